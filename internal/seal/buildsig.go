package seal

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal/eseal/internal/smcrypto"
)

// NewSignatureOptions describes an SES_Signature for BuildSignature.
type NewSignatureOptions struct {
	// Seal is the seal's DER (SESeal, version 4 or 5), embedded exactly as given.
	Seal []byte
	// Version is TBS_Sign.version: 4 (GB/T 38540-2020) or 5 (GM/T 0031-2025); zero means the
	// seal's version. The two layouts are the same; GB/T 38540 requires it to equal the seal's.
	Version int
	// TimeInfo is the signing time; zero means now. Written in UTC with whole seconds.
	TimeInfo time.Time
	// DataHash is the SM3 digest of the protected data (32 bytes).
	DataHash []byte
	// PropertyInfo names the protected data (in OFD the path of Signature.xml; for a detached
	// signature the file's name). Printable ASCII (IA5String): callers percent-encode other names.
	PropertyInfo string
	// Extensions are written as extDatas [0] when not empty.
	Extensions []Extension
	// TimeStamp, when set, is called with the signature value and returns an RFC 3161 token over
	// it, written as timeStamp [0].
	TimeStamp func(signatureValue []byte) ([]byte, error)
}

// BuildSignature makes an SES_Signature of version 4 or 5: signerKey (SM2) signs the DER of
// TBS_Sign with SM2-with-SM3 and the standard signer ID, and the value is stored as the BIT
// STRING of its DER encoding, with signerCert as the signer's certificate. The signer must be
// one the seal allows (its certList), as a verifier requires. The result is parsed back from its
// own encoding and its signature verified before it is returned.
func BuildSignature(opts NewSignatureOptions, signerCert []byte, signerKey crypto.Signer) (*Signature, error) {
	s, err := ParseSeal(opts.Seal)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "seal")
	}
	if s.Version != 4 && s.Version != 5 {
		return nil, errorf(InvalidOptions, "a version %d seal: SES_Signature is built for version 4 and 5 seals only", s.Version)
	}
	if opts.Version == 0 {
		opts.Version = s.Version
	}
	if opts.Version != s.Version {
		return nil, errorf(InvalidOptions, "TBS_Sign version %d for a version %d seal: they must be equal", opts.Version, s.Version)
	}
	if len(opts.DataHash) != 32 {
		return nil, errorf(InvalidOptions, "dataHash of %d bytes; an SM3 digest has 32", len(opts.DataHash))
	}
	if opts.PropertyInfo == "" || !isPrintableASCII(opts.PropertyInfo) {
		return nil, errorf(InvalidOptions, "propertyInfo %q must be non-empty printable ASCII", opts.PropertyInfo)
	}
	extOIDs := make([]asn1.ObjectIdentifier, len(opts.Extensions))
	for i, e := range opts.Extensions {
		if extOIDs[i], err = parseOID(e.ID); err != nil {
			return nil, wrapErr(InvalidOptions, err, "extension ID %q", e.ID)
		}
	}
	cert, err := smcrypto.ParseCertificate(signerCert)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "signer certificate")
	}
	if signerKey == nil || !smcrypto.IsSM2PublicKey(signerKey.Public()) {
		return nil, errorf(InvalidOptions, "signer key is not an SM2 key")
	}
	if pk, ok := signerKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pk.Equal(cert.PublicKey) {
		return nil, errorf(InvalidOptions, "signer key does not match the signer certificate")
	}
	if ok, err := s.AllowsSigner(signerCert); err != nil {
		return nil, err
	} else if !ok {
		return nil, errorf(SignerNotInCertList, "the signer certificate %s is not among the seal's allowed signers", smcrypto.SerialHex(cert.SerialNumber))
	}
	if opts.TimeInfo.IsZero() {
		opts.TimeInfo = time.Now()
	}
	opts.TimeInfo = opts.TimeInfo.UTC().Truncate(time.Second)
	if y := opts.TimeInfo.Year(); y < 1950 || y > 9999 {
		return nil, errorf(InvalidOptions, "timeInfo %s out of range", opts.TimeInfo.Format(time.RFC3339))
	}

	tbs, err := encodeTBSSign(opts, extOIDs)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "encoding TBS_Sign")
	}
	value, err := smcrypto.SignSM2(signerKey, nil, tbs)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "signature")
	}
	var token []byte
	if opts.TimeStamp != nil {
		if token, err = opts.TimeStamp(value); err != nil {
			return nil, fmt.Errorf("seal: timestamp: %w", err)
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1OctetString(signerCert)
		b.AddASN1ObjectIdentifier(oidSM2WithSM3)
		b.AddASN1BitString(value)
		if token != nil {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1BitString(token)
			})
		}
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "encoding SES_Signature")
	}
	sig, err := ParseSignature(der)
	if err != nil {
		return nil, fmt.Errorf("seal: BuildSignature produced a signature it cannot parse: %w", err)
	}
	if _, err := sig.VerifySignatureValue(); err != nil {
		return nil, fmt.Errorf("seal: BuildSignature produced a signature that does not verify: %w", err)
	}
	return sig, nil
}

// encodeTBSSign writes TBS_Sign { version, eseal, timeInfo, dataHash, propertyInfo, extDatas [0]
// OPTIONAL } in DER, the seal as given.
func encodeTBSSign(o NewSignatureOptions, extOIDs []asn1.ObjectIdentifier) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(o.Version))
		b.AddBytes(o.Seal)
		b.AddASN1GeneralizedTime(o.TimeInfo)
		b.AddASN1BitString(o.DataHash)
		b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(o.PropertyInfo)) })
		if len(o.Extensions) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				addExtensions(b, o.Extensions, extOIDs)
			})
		}
	})
	return b.Bytes()
}

// addExtensions writes ExtensionDatas; DER omits critical when it is the DEFAULT FALSE.
func addExtensions(b *cryptobyte.Builder, exts []Extension, oids []asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i, e := range exts {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oids[i])
				if e.Critical {
					b.AddASN1Boolean(true)
				}
				b.AddASN1OctetString(e.Value)
			})
		}
	})
}

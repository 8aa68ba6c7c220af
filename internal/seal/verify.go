package seal

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// This file checks a seal's and a signature's own mathematics and rules. Certificate chains,
// trust, revocation and the data hash are the verifier's job.

// VerifyMakerSignature checks the seal maker's signature (SM2-with-SM3, the standard signer ID)
// over RawSealInfo with the public key of MakerCert. It reports how the signature value was
// encoded (DER, raw r‖s, non-strict DER) even when it fails.
func (s *Seal) VerifyMakerSignature() (smcrypto.SigEncoding, error) {
	if err := checkSM2Algorithm(s.SignAlgorithm, "seal signAlgID"); err != nil {
		return smcrypto.EncodingUnknown, err
	}
	pub, err := certPublicKey(s.MakerCert, "maker certificate")
	if err != nil {
		return smcrypto.EncodingUnknown, err
	}
	return s.verifyMakerWith(pub)
}

// VerifyMakerSignatureWithCert is VerifyMakerSignature for a caller that has already parsed
// the seal's MakerCert (as a verifier must, to build its chain): it is not parsed again.
// maker must be exactly the seal's MakerCert.
func (s *Seal) VerifyMakerSignatureWithCert(maker *smcrypto.Certificate) (smcrypto.SigEncoding, error) {
	if err := checkSM2Algorithm(s.SignAlgorithm, "seal signAlgID"); err != nil {
		return smcrypto.EncodingUnknown, err
	}
	if maker == nil || !bytes.Equal(maker.Raw, s.MakerCert) {
		return smcrypto.EncodingUnknown, errorf(BadCertificate, "the given certificate is not the seal's maker certificate")
	}
	pub, ok := maker.PublicKey.(*ecdsa.PublicKey)
	if !ok || !smcrypto.IsSM2PublicKey(pub) {
		return smcrypto.EncodingUnknown, errorf(BadCertificate, "maker certificate has a %T key, not an SM2 key", maker.PublicKey)
	}
	return s.verifyMakerWith(pub)
}

func (s *Seal) verifyMakerWith(pub *ecdsa.PublicKey) (smcrypto.SigEncoding, error) {
	enc, err := smcrypto.VerifySM2(pub, nil, s.RawSealInfo, s.SignedValue)
	if err != nil {
		return enc, wrapErr(BadMakerSignature, err, "version %d seal %q, signature value %s", s.Version, s.ESID, enc)
	}
	return enc, nil
}

// ValidAt reports whether t lies within the seal's validStart..validEnd (both inclusive).
func (s *Seal) ValidAt(t time.Time) error {
	if t.Before(s.ValidStart) {
		return errorf(NotValidAtTime, "%s is before the seal's validStart %s", t.UTC().Format(time.RFC3339), s.ValidStart.Format(time.RFC3339))
	}
	if t.After(s.ValidEnd) {
		return errorf(NotValidAtTime, "%s is after the seal's validEnd %s", t.UTC().Format(time.RFC3339), s.ValidEnd.Format(time.RFC3339))
	}
	return nil
}

// AllowsSigner reports whether certDER (a DER certificate) is one of the seal's allowed signers:
// an exact DER match with an entry of Certs, or a match of its digest (of the DER) with an entry
// of CertDigests, computed with the algorithm that entry names (sha1, sha256 or sm3, in any
// spelling or by OID). It returns an error only when it cannot decide: no match and a digest
// entry names an algorithm this package does not know.
func (s *Seal) AllowsSigner(certDER []byte) (bool, error) {
	if len(certDER) == 0 {
		return false, nil
	}
	for _, c := range s.Certs {
		if bytes.Equal(c, certDER) {
			return true, nil
		}
	}
	var unknown []string
	for _, d := range s.CertDigests {
		sum, ok := certDigest(d.Type, certDER)
		if !ok {
			unknown = append(unknown, d.Type)
			continue
		}
		if bytes.Equal(sum, d.Value) {
			return true, nil
		}
	}
	if len(unknown) > 0 {
		return false, errorf(UnsupportedAlgorithm, "certDigestList digest type %q", strings.Join(unknown, ", "))
	}
	return false, nil
}

// certDigestAlgorithms are the digests a certList entry may name, by name or by OID. (Not every
// digest smcrypto knows: a seal naming another one is reported as undecidable.)
var certDigestAlgorithms = map[string]smcrypto.OID{
	"sha1": smcrypto.OIDSHA1, string(smcrypto.OIDSHA1): smcrypto.OIDSHA1,
	"sha256": smcrypto.OIDSHA256, string(smcrypto.OIDSHA256): smcrypto.OIDSHA256,
	"sm3": smcrypto.OIDSM3, string(smcrypto.OIDSM3): smcrypto.OIDSM3,
}

// certDigest computes the digest named typ over der.
func certDigest(typ string, der []byte) ([]byte, bool) {
	norm := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(typ)))
	alg, ok := certDigestAlgorithms[norm]
	if !ok {
		return nil, false
	}
	h, err := smcrypto.NewDigest(alg)
	if err != nil {
		return nil, false
	}
	h.Write(der)
	return h.Sum(nil), true
}

// VerifySignatureValue checks the signer's signature (SM2-with-SM3, the standard signer ID) over
// RawTBS with the public key of SignerCert: in every version the signer signs TBS_Sign as
// received. If that fails but the value is a valid signature whose message digest is DataHash
// itself (a GM/T 0031-2014 vendor variant that signs the document, not TBS_Sign), the error's
// Reason is SignatureCoversDataHashOnly, so the verifier can report exactly that.
func (sig *Signature) VerifySignatureValue() (smcrypto.SigEncoding, error) {
	if err := checkSM2Algorithm(sig.SignatureAlgorithm, "signature algorithm"); err != nil {
		return smcrypto.EncodingUnknown, err
	}
	pub, err := certPublicKey(sig.SignerCert, "signer certificate")
	if err != nil {
		return smcrypto.EncodingUnknown, err
	}
	enc, err := smcrypto.VerifySM2(pub, nil, sig.RawTBS, sig.SignatureValue)
	if err == nil {
		return enc, nil
	}
	if errors.Is(err, smcrypto.ErrSignatureMismatch) && len(sig.DataHash) == 32 {
		if _, derr := smcrypto.VerifySM2Digest(pub, sig.DataHash, sig.SignatureValue); derr == nil {
			return enc, errorf(SignatureCoversDataHashOnly,
				"the signature value signs the digest %s (dataHash) directly; TBS_Sign (seal, time, propertyInfo) is not covered",
				hex.EncodeToString(sig.DataHash))
		}
	}
	return enc, wrapErr(BadSignature, err, "version %d signature, signature value %s", sig.Version, enc)
}

// VerifySignerAllowed checks that the signer's certificate is allowed by the embedded seal's
// certList (GB/T 38540 §7.3). The error's Reason is SignerNotInCertList, or UnsupportedAlgorithm
// when a digest entry cannot be computed.
func (sig *Signature) VerifySignerAllowed() error {
	ok, err := sig.Seal.AllowsSigner(sig.SignerCert)
	if err != nil {
		return err
	}
	if !ok {
		n := len(sig.Seal.Certs) + len(sig.Seal.CertDigests)
		if n == 0 {
			return errorf(SignerNotInCertList, "the seal's certList holds no certificate or digest")
		}
		return errorf(SignerNotInCertList, "the signer's certificate matches none of the seal's %d certList entries", n)
	}
	return nil
}

func checkSM2Algorithm(oid, what string) error {
	switch oid {
	case OIDSM2WithSM3, OIDSM2Sign:
		return nil
	}
	return errorf(UnsupportedAlgorithm, "%s %s (only SM2-with-SM3 %s is defined for seals)", what, oid, OIDSM2WithSM3)
}

// certPublicKey returns the SM2 public key of a DER certificate. Certificates that strict X.509
// parsing rejects (real seals carry some with bad IA5Strings in names or bad subject alternative
// names) still give their key: the SubjectPublicKeyInfo is read on its own. Whether the
// certificate is acceptable is for the verifier to judge; the signature mathematics only need
// the key.
func certPublicKey(der []byte, what string) (*ecdsa.PublicKey, error) {
	if len(der) == 0 {
		return nil, errorf(BadCertificate, "%s is empty", what)
	}
	var pubAny any
	cert, err := smcrypto.ParseCertificate(der)
	if err == nil {
		pubAny = cert.PublicKey
	} else {
		spki, serr := extractSPKI(der)
		if serr != nil {
			return nil, wrapErr(BadCertificate, err, "%s unreadable (%v)", what, serr)
		}
		switch pubAny, serr = smcrypto.ParsePKIXPublicKey(spki); {
		case errors.Is(serr, smcrypto.ErrUnknownKeyAlgorithm):
			pubAny = nil // reported below, as for a certificate that parses
		case serr != nil:
			return nil, wrapErr(BadCertificate, serr, "%s rejected by X.509 parsing (%v) and its public key unreadable", what, err)
		}
	}
	if pubAny == nil {
		return nil, errorf(BadCertificate, "%s has a public key of an unknown algorithm", what)
	}
	pub, ok := pubAny.(*ecdsa.PublicKey)
	if !ok || !smcrypto.IsSM2PublicKey(pub) {
		return nil, errorf(BadCertificate, "%s has a %T key, not an SM2 key", what, pubAny)
	}
	return pub, nil
}

// extractSPKI returns the SubjectPublicKeyInfo element of a certificate, read leniently.
func extractSPKI(der []byte) ([]byte, error) {
	q := &quirks{}
	_, kids, err := parseTop(der, q, "Certificate")
	if err != nil {
		return nil, err
	}
	if len(kids) != 3 {
		return nil, errorf(Malformed, "Certificate has %d elements; expected 3", len(kids))
	}
	tbs, err := sequence(kids[0], q, "TBSCertificate")
	if err != nil {
		return nil, err
	}
	i := 0
	if len(tbs) > 0 && tbs[0].tag == tagContext0 {
		i = 1 // explicit version
	}
	if len(tbs) < i+6 || tbs[i+5].tag != tagSequence {
		return nil, errorf(Malformed, "TBSCertificate has no SubjectPublicKeyInfo")
	}
	return tbs[i+5].raw, nil
}

// SignerPublicKey is the signer's SM2 public key, read from SignerCert even when strict X.509
// parsing rejects the certificate (real signers' certificates sometimes carry bad names).
func (sig *Signature) SignerPublicKey() (*ecdsa.PublicKey, error) {
	return certPublicKey(sig.SignerCert, "signer certificate")
}

package smcrypto

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CMSConvention says which object identifiers a SignedData uses for its content types.
type CMSConvention int

const (
	// ConventionPKCS7: id-signedData / id-data (RFC 5652), as PDF and most producers use.
	ConventionPKCS7 CMSConvention = iota
	// ConventionGMT0010: GM/T 0010 (GB/T 35275) signedData 1.2.156.10197.6.1.4.2.2 and data
	// 1.2.156.10197.6.1.4.2.1, as many Chinese systems use.
	ConventionGMT0010
)

func (c CMSConvention) String() string {
	switch c {
	case ConventionPKCS7:
		return "PKCS#7"
	case ConventionGMT0010:
		return "GM/T 0010"
	default:
		return fmt.Sprintf("CMSConvention(%d)", int(c))
	}
}

// contentTypes are the content types of the convention, and the SignerInfo's
// signatureAlgorithm: in PKCS#7 OIDs, SM2-with-SM3 (1.2.156.10197.1.501), what the
// PKCS#7-convention SM2 signatures in the wild name and what BouncyCastle's standard CMS
// verification knows (it rejects 1.2.156.10197.1.301.1 there as "SM3WITH1.2.156.10197.1.301.1");
// in GM/T 0010 OIDs, sm2-1 (1.2.156.10197.1.301.1), as GM/T 0010 itself specifies and the
// Chinese toolkits that choose this convention expect.
func (c CMSConvention) contentTypes() (signedData, data, signature OID, err error) {
	switch c {
	case ConventionPKCS7:
		return OIDSignedData, OIDData, OIDSM2WithSM3, nil
	case ConventionGMT0010:
		return OIDGMSignedData, OIDGMData, OIDSM2Sign, nil
	}
	return "", "", "", fmt.Errorf("smcrypto: unknown CMS convention %d", int(c))
}

// SignedDataOptions controls BuildDetachedSignedData.
type SignedDataOptions struct {
	Convention CMSConvention
	// SigningTime zero: now. Written with one-second precision, in UTC.
	SigningTime time.Time
	// ESeal, when set, is the DER SESeal written as the OIDAttributeESeal signed attribute.
	ESeal []byte
	// ContentType and Content, when set, make the SignedData encapsulate Content (its digest is
	// then contentDigest) as content of that type, as an RFC 3161 token does its TSTInfo.
	ContentType OID
	Content     []byte
	// TimeStamp, when set, is given the signature value and returns an RFC 3161 token over it,
	// written as the signer's unsigned timeStampToken attribute.
	TimeStamp func(signatureValue []byte) ([]byte, error)
}

// BuildDetachedSignedData makes a detached CMS SignedData (DER) with one SM2 signer.
//
// contentDigest is the SM3 digest of the signed content (for a PDF, of its ByteRange), so the
// content itself is never needed here. chain is the signer's certificate first, then its
// issuers; all of them are embedded, in that order (naive verifiers take the first certificate
// as the signer's). The signed attributes are contentType, signingTime, messageDigest,
// signingCertificateV2 (SM3 hash and issuerSerial of the signer certificate) and, if given, the
// seal; the signature is SM2 with DefaultSignerID over their DER SET, DER-encoded. The
// signatureAlgorithm is SM2-with-SM3 (1.2.156.10197.1.501) with PKCS#7 OIDs and sm2-1
// (1.2.156.10197.1.301.1) with GM/T 0010 OIDs (see contentTypes).
func BuildDetachedSignedData(contentDigest []byte, signer crypto.Signer, chain []*Certificate, opts SignedDataOptions) ([]byte, error) {
	if len(contentDigest) != 32 {
		return nil, fmt.Errorf("smcrypto: build SignedData: content digest has %d bytes, an SM3 digest has 32", len(contentDigest))
	}
	if signer == nil || !IsSM2PublicKey(signer.Public()) {
		return nil, errors.New("smcrypto: build SignedData: the signer must be an SM2 key")
	}
	if len(chain) == 0 || chain[0] == nil {
		return nil, errors.New("smcrypto: build SignedData: no signer certificate")
	}
	for i, c := range chain {
		if c == nil || len(c.Raw) == 0 {
			return nil, fmt.Errorf("smcrypto: build SignedData: certificate %d is empty", i)
		}
	}
	leaf := chain[0]
	if pk, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pk.Equal(leaf.PublicKey) {
		return nil, errors.New("smcrypto: build SignedData: the signer key does not match the first certificate")
	}
	sdType, dataType, sigAlg, err := opts.Convention.contentTypes()
	if err != nil {
		return nil, err
	}
	if opts.ContentType != "" {
		dataType = opts.ContentType
	}
	signingTime := opts.SigningTime
	if signingTime.IsZero() {
		signingTime = time.Now()
	}
	signingTime = signingTime.UTC().Truncate(time.Second)

	certHash := SM3(leaf.Raw)
	attrs := [][]byte{
		attributeDER(OIDAttributeContentType, func(b *cryptobyte.Builder) { addOID(b, dataType) }),
		attributeDER(OIDAttributeSigningTime, func(b *cryptobyte.Builder) { addTime(b, signingTime) }),
		attributeDER(OIDAttributeMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(contentDigest) }),
		attributeDER(OIDAttributeSigningCertificateV2, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
						addAlgorithm(b, OIDSM3, true)
						b.AddASN1OctetString(certHash[:])
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerSerial
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
								b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
									b.AddBytes(leaf.RawIssuer) // directoryName
								})
							})
							b.AddASN1BigInt(leaf.SerialNumber)
						})
					})
				})
			})
		}),
	}
	if len(opts.ESeal) > 0 {
		attrs = append(attrs, attributeDER(OIDAttributeESeal, func(b *cryptobyte.Builder) { b.AddASN1OctetString(opts.ESeal) }))
	}
	for _, a := range attrs {
		if a == nil {
			return nil, errors.New("smcrypto: build SignedData: cannot encode a signed attribute")
		}
	}
	// DER SET OF: elements in ascending order of their encodings.
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	content := bytes.Join(attrs, nil)
	signedSet := appendElement(nil, 0x31, content)
	signature, err := SignSM2(signer, nil, signedSet)
	if err != nil {
		return nil, fmt.Errorf("smcrypto: build SignedData: sign: %w", err)
	}
	var unsigned []byte
	if opts.TimeStamp != nil {
		token, err := opts.TimeStamp(signature)
		if err != nil {
			return nil, fmt.Errorf("smcrypto: build SignedData: timestamp: %w", err)
		}
		if unsigned = attributeDER(OIDAttributeTimeStampToken, func(b *cryptobyte.Builder) { b.AddBytes(token) }); unsigned == nil {
			return nil, errors.New("smcrypto: build SignedData: cannot encode the timestamp token")
		}
	}

	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		addOID(b, sdType)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, OIDSM3, true) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EncapsulatedContentInfo
					addOID(b, dataType)
					if opts.Content != nil {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(opts.Content)
						})
					}
				})
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(leaf.RawIssuer)
							b.AddASN1BigInt(leaf.SerialNumber)
						})
						addAlgorithm(b, OIDSM3, true)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(content)
						})
						addAlgorithm(b, sigAlg, true)
						b.AddASN1OctetString(signature)
						if unsigned != nil {
							b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(unsigned) })
						}
					})
				})
			})
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("smcrypto: build SignedData: %w", err)
	}
	return out, nil
}

// attributeDER encodes Attribute ::= SEQUENCE { attrType, attrValues SET { value } }; nil on error.
func attributeDER(t OID, value func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, t)
		b.AddASN1(cbasn1.SET, value)
	})
	out, err := b.Bytes()
	if err != nil {
		return nil
	}
	return out
}

// addAlgorithm writes an AlgorithmIdentifier, with NULL parameters if nullParams (as emmansun and
// most SM2 producers write for SM3 and SM2).
func addAlgorithm(b *cryptobyte.Builder, o OID, nullParams bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, o)
		if nullParams {
			b.AddASN1NULL()
		}
	})
}

// addTime writes UTCTime for 1950-2049 and GeneralizedTime otherwise (RFC 5652, 11.3).
func addTime(b *cryptobyte.Builder, t time.Time) {
	if y := t.Year(); y >= 1950 && y < 2050 {
		b.AddASN1UTCTime(t)
	} else {
		b.AddASN1GeneralizedTime(t)
	}
}

// ErrUnsupportedAlgorithm means an algorithm (digest, signature, key type, key encryption) is
// not one this package implements; it is wrapped with the detail.
var ErrUnsupportedAlgorithm = errors.New("smcrypto: unsupported algorithm")

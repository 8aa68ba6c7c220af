package smcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	encasn1 "encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OCSP (RFC 6960): the requests a client sends, and basic responses signed with SM2-with-SM3.

// MaxOCSPRequestSize bounds what ParseOCSPRequest reads.
const MaxOCSPRequestSize = 16 << 10

// OCSP response statuses (RFC 6960 §4.2.1) other than successful.
const (
	OCSPMalformedRequest = 1
	OCSPInternalError    = 2
	OCSPTryLater         = 3
	OCSPUnauthorized     = 6
)

// Certificate statuses of a single response.
type OCSPCertStatus int

const (
	OCSPGood OCSPCertStatus = iota
	OCSPRevoked
	OCSPUnknown
)

func (s OCSPCertStatus) String() string {
	switch s {
	case OCSPGood:
		return "good"
	case OCSPRevoked:
		return "revoked"
	case OCSPUnknown:
		return "unknown"
	}
	return fmt.Sprintf("OCSPCertStatus(%d)", int(s))
}

var (
	oidOCSPBasic = OID("1.3.6.1.5.5.7.48.1.1")
	// OIDOCSPSigning is the extended key usage of a delegated OCSP responder.
	OIDOCSPSigning = OID("1.3.6.1.5.5.7.3.9")
)

// OCSPCertID names a certificate: hashes of its issuer's name and key, and its serial.
type OCSPCertID struct {
	HashAlgorithm  OID // SHA-1, SHA-256 or SM3
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

// OCSPRequest is what eseal reads of a request: the one certificate asked about.
type OCSPRequest struct {
	CertID OCSPCertID
}

// ocspHash hashes data with a CertID hash algorithm eseal answers for.
func ocspHash(alg OID, data []byte) ([]byte, error) {
	switch alg {
	case OIDSHA1:
		s := sha1.Sum(data)
		return s[:], nil
	case OIDSHA256:
		s := sha256.Sum256(data)
		return s[:], nil
	case OIDSM3:
		s := SM3(data)
		return s[:], nil
	}
	return nil, fmt.Errorf("smcrypto: OCSP: CertID hash algorithm %s (SHA-1, SHA-256 or SM3)", alg)
}

// subjectPublicKeyBits is the content of cert's subjectPublicKey BIT STRING, which OCSP hashes.
func subjectPublicKeyBits(cert *Certificate) ([]byte, error) {
	spki := cryptobyte.String(cert.RawSubjectPublicKeyInfo)
	var inner cryptobyte.String
	var bits encasn1.BitString
	if !spki.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.SkipASN1(cbasn1.SEQUENCE) || !inner.ReadASN1BitString(&bits) {
		return nil, errors.New("smcrypto: malformed subjectPublicKeyInfo")
	}
	return bits.Bytes, nil
}

// NewOCSPCertID names the certificate with serial issued by issuer, hashed with alg.
func NewOCSPCertID(issuer *Certificate, serial *big.Int, alg OID) (OCSPCertID, error) {
	key, err := subjectPublicKeyBits(issuer)
	if err != nil {
		return OCSPCertID{}, err
	}
	nameHash, err := ocspHash(alg, issuer.RawSubject)
	if err != nil {
		return OCSPCertID{}, err
	}
	keyHash, _ := ocspHash(alg, key)
	return OCSPCertID{HashAlgorithm: alg, IssuerNameHash: nameHash, IssuerKeyHash: keyHash, SerialNumber: serial}, nil
}

// IssuedBy tells whether the CertID names a certificate of issuer.
func (id OCSPCertID) IssuedBy(issuer *Certificate) bool {
	want, err := NewOCSPCertID(issuer, id.SerialNumber, id.HashAlgorithm)
	return err == nil && subtle.ConstantTimeCompare(want.IssuerNameHash, id.IssuerNameHash) == 1 &&
		subtle.ConstantTimeCompare(want.IssuerKeyHash, id.IssuerKeyHash) == 1
}

// ParseOCSPRequest reads a DER OCSP request that asks about one certificate. Request signatures
// and extensions (a nonce among them) are ignored: eseal's responses are signed in advance.
func ParseOCSPRequest(der []byte) (req *OCSPRequest, err error) {
	defer recoverAsError(&err)
	if len(der) > MaxOCSPRequestSize {
		return nil, fmt.Errorf("smcrypto: OCSP request larger than %d bytes", MaxOCSPRequestSize)
	}
	malformed := errors.New("smcrypto: malformed OCSP request")
	s := cryptobyte.String(der)
	var outer, tbs, list cryptobyte.String
	if !s.ReadASN1(&outer, cbasn1.SEQUENCE) || !s.Empty() || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, malformed
	}
	if !outer.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !outer.Empty() {
		return nil, malformed
	}
	var version int64
	var versionPresent bool
	var versionBytes cryptobyte.String
	if !tbs.ReadOptionalASN1(&versionBytes, &versionPresent, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed
	}
	if versionPresent && (!versionBytes.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) || version != 0) {
		return nil, errors.New("smcrypto: OCSP request version is not v1")
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || !tbs.ReadASN1(&list, cbasn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(cbasn1.Tag(2).Constructed().ContextSpecific()) || !tbs.Empty() {
		return nil, malformed
	}
	var one cryptobyte.String
	if !list.ReadASN1(&one, cbasn1.SEQUENCE) {
		return nil, errors.New("smcrypto: the OCSP request asks about no certificate")
	}
	if !list.Empty() {
		return nil, errors.New("smcrypto: the OCSP request asks about several certificates; ask about one at a time")
	}
	id, ok := readOCSPCertID(&one)
	if !ok || !one.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || !one.Empty() {
		return nil, malformed
	}
	return &OCSPRequest{CertID: id}, nil
}

func readOCSPCertID(s *cryptobyte.String) (OCSPCertID, bool) {
	var id OCSPCertID
	var seq, alg cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) {
		return id, false
	}
	oid, ok := readOID(&alg)
	if !ok {
		return id, false
	}
	id.HashAlgorithm = oid
	// Parameters: absent or NULL.
	if !alg.Empty() && (!alg.SkipASN1(cbasn1.NULL) || !alg.Empty()) {
		return id, false
	}
	var name, key []byte
	id.SerialNumber = new(big.Int)
	if !seq.ReadASN1Bytes(&name, cbasn1.OCTET_STRING) || !seq.ReadASN1Bytes(&key, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1Integer(id.SerialNumber) || !seq.Empty() {
		return id, false
	}
	id.IssuerNameHash, id.IssuerKeyHash = name, key
	return id, true
}

func addOCSPCertID(b *cryptobyte.Builder, id OCSPCertID) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addOID(b, id.HashAlgorithm)
			b.AddASN1NULL()
		})
		b.AddASN1OctetString(id.IssuerNameHash)
		b.AddASN1OctetString(id.IssuerKeyHash)
		b.AddASN1BigInt(id.SerialNumber)
	})
}

// MarshalOCSPRequest encodes a request about one certificate (for clients and tests).
func MarshalOCSPRequest(id OCSPCertID) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addOCSPCertID(b, id) })
			})
		})
	})
	return b.Bytes()
}

// OCSPSingleResponse is the status of one certificate.
type OCSPSingleResponse struct {
	CertID     OCSPCertID
	Status     OCSPCertStatus
	RevokedAt  time.Time
	Reason     int // RFC 5280 reason code; -1 when none is given
	ThisUpdate time.Time
	NextUpdate time.Time
}

// CreateOCSPResponse signs a successful basic OCSP response about one certificate with the
// issuing CA's own SM2 key (the CA is its own responder, RFC 6960 §4.2.2.2), identified by its
// key hash, and carrying its certificate.
func CreateOCSPResponse(r OCSPSingleResponse, producedAt time.Time, responder *Certificate, key crypto.Signer) (der []byte, err error) {
	defer recoverAsError(&err)
	if key == nil || !IsSM2PublicKey(key.Public()) {
		return nil, errors.New("smcrypto: OCSP response: the responder key must be an SM2 key")
	}
	if r.SerialNumber() == nil {
		return nil, errors.New("smcrypto: OCSP response: no serial number")
	}
	keyBits, err := subjectPublicKeyBits(responder)
	if err != nil {
		return nil, err
	}
	keyHash := sha1.Sum(keyBits)
	var tb cryptobyte.Builder
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(keyHash[:]) })
		b.AddASN1GeneralizedTime(producedAt.UTC())
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addOCSPCertID(b, r.CertID)
				switch r.Status {
				case OCSPGood:
					b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(*cryptobyte.Builder) {})
				case OCSPRevoked:
					b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						b.AddASN1GeneralizedTime(r.RevokedAt.UTC())
						if r.Reason >= 0 {
							b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddASN1Enum(int64(r.Reason))
							})
						}
					})
				default:
					b.AddASN1(cbasn1.Tag(2).ContextSpecific(), func(*cryptobyte.Builder) {})
				}
				b.AddASN1GeneralizedTime(r.ThisUpdate.UTC())
				if !r.NextUpdate.IsZero() {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						b.AddASN1GeneralizedTime(r.NextUpdate.UTC())
					})
				}
			})
		})
	})
	tbs, err := tb.Bytes()
	if err != nil {
		return nil, fmt.Errorf("smcrypto: OCSP response: %w", err)
	}
	sig, err := SignSM2(key, nil, tbs)
	if err != nil {
		return nil, err
	}
	var bb cryptobyte.Builder
	bb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addOID(b, OIDSM2WithSM3) })
		b.AddASN1BitString(sig)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(responder.Raw) })
		})
	})
	basic, err := bb.Bytes()
	if err != nil {
		return nil, err
	}
	var ob cryptobyte.Builder
	ob.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Enum(0) // successful
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addOID(b, oidOCSPBasic)
				b.AddASN1OctetString(basic)
			})
		})
	})
	return ob.Bytes()
}

// SerialNumber is the serial the response is about.
func (r OCSPSingleResponse) SerialNumber() *big.Int { return r.CertID.SerialNumber }

// OCSPErrorResponse is an unsuccessful OCSP response (malformedRequest, internalError,
// tryLater, unauthorized): unsigned, as RFC 6960 has it.
func OCSPErrorResponse(status int) []byte {
	return []byte{0x30, 0x03, 0x0a, 0x01, byte(status)}
}

// OCSPResponse is a parsed OCSP response.
type OCSPResponse struct {
	Status       int // 0: successful
	ProducedAt   time.Time
	Single       OCSPSingleResponse
	Certificates []*Certificate
	TBS          []byte // the signed ResponseData
	Signature    []byte
	SignatureAlg OID
}

// ParseOCSPResponse reads a DER OCSP response with one single response. It never panics; the
// signature is CheckSignatureFrom's.
func ParseOCSPResponse(der []byte) (resp *OCSPResponse, err error) {
	defer recoverAsError(&err)
	malformed := errors.New("smcrypto: malformed OCSP response")
	s := cryptobyte.String(der)
	var outer cryptobyte.String
	var status int
	if !s.ReadASN1(&outer, cbasn1.SEQUENCE) || !s.Empty() || !outer.ReadASN1Enum(&status) {
		return nil, malformed
	}
	resp = &OCSPResponse{Status: status}
	if status != 0 {
		return resp, nil
	}
	var bytesWrap, rb, basicDER cryptobyte.String
	if !outer.ReadASN1(&bytesWrap, cbasn1.Tag(0).Constructed().ContextSpecific()) || !bytesWrap.ReadASN1(&rb, cbasn1.SEQUENCE) {
		return nil, malformed
	}
	typ, ok := readOID(&rb)
	if !ok || typ != oidOCSPBasic || !rb.ReadASN1(&basicDER, cbasn1.OCTET_STRING) {
		return nil, fmt.Errorf("smcrypto: OCSP response type %s is not the basic one", typ)
	}
	var basic, tbsFull, algSeq cryptobyte.String
	var sig encasn1.BitString
	if !basicDER.ReadASN1(&basic, cbasn1.SEQUENCE) || !basic.ReadASN1Element(&tbsFull, cbasn1.SEQUENCE) ||
		!basic.ReadASN1(&algSeq, cbasn1.SEQUENCE) || !basic.ReadASN1BitString(&sig) {
		return nil, malformed
	}
	resp.TBS, resp.Signature = tbsFull, sig.RightAlign()
	if resp.SignatureAlg, ok = readOID(&algSeq); !ok {
		return nil, malformed
	}
	var certsWrap, certs cryptobyte.String
	var present bool
	if !basic.ReadOptionalASN1(&certsWrap, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed
	}
	if present {
		if !certsWrap.ReadASN1(&certs, cbasn1.SEQUENCE) {
			return nil, malformed
		}
		for !certs.Empty() {
			var c cryptobyte.String
			if !certs.ReadASN1Element(&c, cbasn1.SEQUENCE) {
				return nil, malformed
			}
			cert, err := ParseCertificate(c)
			if err != nil {
				return nil, err
			}
			resp.Certificates = append(resp.Certificates, cert)
		}
	}
	var tbs, list, single cryptobyte.String
	tbsCopy := cryptobyte.String(tbsFull)
	if !tbsCopy.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed
	}
	// responderID: byName [1] or byKey [2].
	if !tbs.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) && !tbs.PeekASN1Tag(cbasn1.Tag(2).Constructed().ContextSpecific()) ||
		!tbs.SkipASN1(asn1TagOf(tbs)) {
		return nil, malformed
	}
	if !tbs.ReadASN1GeneralizedTime(&resp.ProducedAt) || !tbs.ReadASN1(&list, cbasn1.SEQUENCE) || !list.ReadASN1(&single, cbasn1.SEQUENCE) {
		return nil, malformed
	}
	r := &resp.Single
	r.Reason = -1
	if r.CertID, ok = readOCSPCertID(&single); !ok {
		return nil, malformed
	}
	var tag cbasn1.Tag
	var st cryptobyte.String
	if !single.ReadAnyASN1(&st, &tag) {
		return nil, malformed
	}
	switch tag {
	case cbasn1.Tag(0).ContextSpecific():
		r.Status = OCSPGood
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		r.Status = OCSPRevoked
		if !st.ReadASN1GeneralizedTime(&r.RevokedAt) {
			return nil, malformed
		}
		var reasonWrap cryptobyte.String
		var hasReason bool
		if !st.ReadOptionalASN1(&reasonWrap, &hasReason, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, malformed
		}
		if hasReason {
			var reason int
			if !reasonWrap.ReadASN1Enum(&reason) {
				return nil, malformed
			}
			r.Reason = reason
		}
	case cbasn1.Tag(2).ContextSpecific():
		r.Status = OCSPUnknown
	default:
		return nil, malformed
	}
	if !single.ReadASN1GeneralizedTime(&r.ThisUpdate) {
		return nil, malformed
	}
	var next cryptobyte.String
	var hasNext bool
	if !single.ReadOptionalASN1(&next, &hasNext, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed
	}
	if hasNext && !next.ReadASN1GeneralizedTime(&r.NextUpdate) {
		return nil, malformed
	}
	return resp, nil
}

// CheckSignatureFrom verifies the response's SM2-with-SM3 signature with issuer's key.
func (r *OCSPResponse) CheckSignatureFrom(issuer *Certificate) error {
	if r.SignatureAlg != OIDSM2WithSM3 && r.SignatureAlg != OIDSM2Sign {
		return fmt.Errorf("smcrypto: OCSP response signed with %s, not SM2-with-SM3", r.SignatureAlg)
	}
	pub, ok := sm2PublicKey(issuer)
	if !ok {
		return errors.New("smcrypto: the OCSP responder's key is not an SM2 key")
	}
	_, err := VerifySM2(pub, nil, r.TBS, r.Signature)
	return err
}

func sm2PublicKey(cert *Certificate) (*ecdsa.PublicKey, bool) {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	return pub, ok && IsSM2PublicKey(pub)
}

// asn1TagOf is the tag of the element s starts with (0 when there is none).
func asn1TagOf(s cryptobyte.String) cbasn1.Tag {
	if len(s) == 0 {
		return 0
	}
	return cbasn1.Tag(s[0])
}

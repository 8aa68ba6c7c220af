package smcrypto

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Certificate is an X.509 certificate that may carry an SM2 key or an SM2-with-SM3 signature
// (the standard library cannot parse those). It is emmansun's smx509.Certificate; other packages
// use it only through this name.
type Certificate = smx509.Certificate

// ParseCertificate parses one DER certificate. It never panics. Unlike Go 1.23+ it accepts a
// negative serial number, which old CAs issued and signed documents still carry.
func ParseCertificate(der []byte) (cert *Certificate, err error) {
	defer recoverAsError(&err)
	cert, err = smx509.ParseCertificate(der)
	if err != nil && err.Error() == "x509: negative serial number" {
		cert, err = parseNegativeSerial(der)
	}
	if err != nil {
		return nil, fmt.Errorf("smcrypto: parse certificate: %w", err)
	}
	return cert, nil
}

// ErrUnknownKeyAlgorithm is ParsePKIXPublicKey's error for a key whose algorithm it does not
// know (as a certificate with such a key parses with a nil PublicKey).
var ErrUnknownKeyAlgorithm = errors.New("smcrypto: unknown public key algorithm")

// ParsePKIXPublicKey parses a DER SubjectPublicKeyInfo (SM2, ECDSA, RSA, Ed25519) exactly as
// ParseCertificate parses a certificate's key. It never panics.
func ParsePKIXPublicKey(der []byte) (pub any, err error) {
	defer recoverAsError(&err)
	pub, err = smx509.ParsePKIXPublicKey(der)
	if err != nil && err.Error() == "x509: unknown public key algorithm" {
		return nil, ErrUnknownKeyAlgorithm
	}
	if err != nil {
		return nil, fmt.Errorf("smcrypto: parse public key: %w", err)
	}
	return pub, nil
}

// parseNegativeSerial parses a certificate whose serial is negative: smx509 refuses those
// (unless GODEBUG=x509negativeserial=1, a process-wide switch), so a copy with the serial's first
// octet made positive (same length, so every other field stays in place) is parsed, and the
// parsed certificate gets back the original bytes and serial. Signatures are then checked over
// the original TBSCertificate.
func parseNegativeSerial(der []byte) (*Certificate, error) {
	malformed := errors.New("x509: malformed certificate")
	in := cryptobyte.String(der)
	var certSeq, tbsElem, tbs, serial cryptobyte.String
	if !in.ReadASN1(&certSeq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, malformed
	}
	tbsStart := len(der) - len(certSeq)
	if !certSeq.ReadASN1Element(&tbsElem, cbasn1.SEQUENCE) {
		return nil, malformed
	}
	t := tbsElem
	if !t.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, malformed
	}
	tbsContentStart := tbsStart + len(tbsElem) - len(tbs)
	rest := tbs
	if !rest.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed
	}
	serialStart := tbsContentStart + len(tbs) - len(rest)
	before := len(rest)
	if !rest.ReadASN1(&serial, cbasn1.INTEGER) || len(serial) == 0 || serial[0]&0x80 == 0 {
		return nil, errors.New("x509: negative serial number")
	}
	contentAt := serialStart + (before - len(rest)) - len(serial)
	patched := append([]byte(nil), der...)
	patched[contentAt] = 0x01
	cert, err := smx509.ParseCertificate(patched)
	if err != nil {
		return nil, err
	}
	cert.Raw = der
	cert.RawTBSCertificate = der[tbsStart : tbsStart+len(tbsElem)]
	cert.SerialNumber = twosComplement(serial)
	return cert, nil
}

// ParseCertificates reads certificates from PEM (any number of CERTIFICATE blocks; other block
// types are skipped) or from one or more concatenated DER certificates.
func ParseCertificates(data []byte) ([]*Certificate, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		var certs []*Certificate
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			cert, err := ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("smcrypto: PEM certificate %d: %w", len(certs)+1, err)
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 {
			return nil, errors.New("smcrypto: no CERTIFICATE block in PEM data")
		}
		return certs, nil
	}
	input := cryptobyte.String(data)
	var certs []*Certificate
	for !input.Empty() {
		var der cryptobyte.String
		if !input.ReadASN1Element(&der, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("smcrypto: DER certificate %d: not a DER SEQUENCE", len(certs)+1)
		}
		cert, err := ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("smcrypto: DER certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("smcrypto: no certificate in empty input")
	}
	return certs, nil
}

// EncodeCertificatePEM returns cert as one PEM CERTIFICATE block.
func EncodeCertificatePEM(cert *Certificate) []byte {
	if cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// SerialHex is the project's canonical text form of a certificate serial number: lower-case hex
// without leading zeros ("0" for zero, a leading "-" for the negative serials some old CAs made).
func SerialHex(serial *big.Int) string {
	if serial == nil {
		return ""
	}
	return serial.Text(16)
}

// CertTemplate describes a certificate for CreateCertificate. It keeps only what eseal's CAs need.
type CertTemplate struct {
	Subject pkix.Name
	// SerialNumber nil: a random positive 16-byte serial.
	SerialNumber        *big.Int
	NotBefore, NotAfter time.Time
	IsCA                bool
	// MaxPathLen and MaxPathLenZero follow crypto/x509: for a CA, MaxPathLen > 0 limits the number
	// of intermediate CAs below it; 0 (or -1) writes no limit unless MaxPathLenZero is set, which
	// writes pathLenConstraint 0 (the CA may issue end-entity certificates only).
	MaxPathLen     int
	MaxPathLenZero bool
	// KeyUsage zero: keyCertSign|cRLSign for a CA, digitalSignature|contentCommitment otherwise.
	KeyUsage    x509.KeyUsage
	ExtKeyUsage []x509.ExtKeyUsage
}

// CreateCertificate issues a certificate for pub, signed with SM2-with-SM3 by issuerKey (an SM2
// key). issuer nil makes a self-signed certificate, and pub must then be issuerKey's public key.
// The SubjectKeyId is the SHA-1 of the subjectPublicKey bits (RFC 5280 method 1, what OpenSSL's
// "hash" writes), and the AuthorityKeyId is the issuer's SubjectKeyId.
func CreateCertificate(t CertTemplate, pub crypto.PublicKey, issuer *Certificate, issuerKey crypto.Signer) (*Certificate, error) {
	if issuerKey == nil || !IsSM2PublicKey(issuerKey.Public()) {
		return nil, errors.New("smcrypto: create certificate: the issuer key must be an SM2 key")
	}
	if pub == nil {
		return nil, errors.New("smcrypto: create certificate: no public key")
	}
	if t.NotBefore.IsZero() || t.NotAfter.IsZero() || !t.NotAfter.After(t.NotBefore) {
		return nil, errors.New("smcrypto: create certificate: NotBefore and NotAfter must be set, NotAfter after NotBefore")
	}
	if !t.IsCA && (t.MaxPathLen > 0 || t.MaxPathLenZero) {
		return nil, errors.New("smcrypto: create certificate: only a CA may have a path length constraint")
	}
	serial := t.SerialNumber
	if serial == nil {
		var err error
		if serial, err = randomSerial(); err != nil {
			return nil, err
		}
	} else if serial.Sign() <= 0 {
		return nil, errors.New("smcrypto: create certificate: serial number must be positive")
	}
	ski, err := SubjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	keyUsage := smx509.KeyUsage(t.KeyUsage)
	if keyUsage == 0 {
		if t.IsCA {
			keyUsage = smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign
		} else {
			keyUsage = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
		}
	}
	ext := make([]smx509.ExtKeyUsage, len(t.ExtKeyUsage))
	for i, u := range t.ExtKeyUsage {
		ext[i] = smx509.ExtKeyUsage(u)
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               t.Subject,
		NotBefore:             t.NotBefore,
		NotAfter:              t.NotAfter,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           ext,
		BasicConstraintsValid: true,
		IsCA:                  t.IsCA,
		MaxPathLen:            t.MaxPathLen,
		MaxPathLenZero:        t.MaxPathLenZero,
		SubjectKeyId:          ski,
		// Set explicitly: some libraries (tjfoc) sign wrongly when they pick the algorithm.
		SignatureAlgorithm: smx509.SM2WithSM3,
	}
	parent := tmpl
	if issuer != nil {
		parent = issuer
		if !issuer.BasicConstraintsValid || !issuer.IsCA ||
			(issuer.KeyUsage != 0 && issuer.KeyUsage&smx509.KeyUsageCertSign == 0) {
			return nil, errors.New("smcrypto: create certificate: the issuer certificate is not a CA allowed to sign certificates")
		}
		if len(issuer.SubjectKeyId) > 0 {
			tmpl.AuthorityKeyId = issuer.SubjectKeyId
		}
		if pk, ok := issuerKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pk.Equal(issuer.PublicKey) {
			return nil, errors.New("smcrypto: create certificate: issuerKey does not belong to the issuer certificate")
		}
	} else {
		if pk, ok := issuerKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pk.Equal(pub) {
			return nil, errors.New("smcrypto: create certificate: a self-signed certificate needs pub to be issuerKey's public key")
		}
		tmpl.AuthorityKeyId = ski
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, pub, issuerKey)
	if err != nil {
		return nil, fmt.Errorf("smcrypto: create certificate: %w", err)
	}
	cert, err := ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	signer := cert
	if issuer != nil {
		signer = issuer
	}
	if err := cert.CheckSignatureFrom(signer); err != nil {
		return nil, fmt.Errorf("smcrypto: create certificate: the new certificate does not verify: %w", err)
	}
	return cert, nil
}

func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("smcrypto: random serial: %w", err)
	}
	// Top bit clear: positive and exactly 16 bytes once DER-encoded; second bit set: no leading
	// zero nibble, so every serial has 32 hex digits.
	b[0] = b[0]&0x7f | 0x40
	return new(big.Int).SetBytes(b), nil
}

// SubjectKeyID returns the SHA-1 of pub's subjectPublicKey BIT STRING contents (RFC 5280
// 4.2.1.2 method 1), the key identifier CreateCertificate writes.
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("smcrypto: public key: %w", err)
	}
	input := cryptobyte.String(spki)
	var inner cryptobyte.String
	var bs []byte
	if !input.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.SkipASN1(cbasn1.SEQUENCE) ||
		!inner.ReadASN1((*cryptobyte.String)(&bs), cbasn1.BIT_STRING) || len(bs) < 1 {
		return nil, errors.New("smcrypto: public key: malformed SubjectPublicKeyInfo")
	}
	sum := sha1.Sum(bs[1:])
	return sum[:], nil
}

// ToStdlibCertificate gives a *x509.Certificate for libraries that only know crypto/x509
// (github.com/digitorus/pdfsign). If the standard library can parse the certificate, that result
// is returned; otherwise (SM2 keys or signatures) the fields such libraries read are filled by
// hand from the smx509 parse, with the SM2 key as an *ecdsa.PublicKey on the SM2 curve. Such a
// certificate must not be used for verification with crypto/x509.
func ToStdlibCertificate(cert *Certificate) (*x509.Certificate, error) {
	if cert == nil || len(cert.Raw) == 0 {
		return nil, errors.New("smcrypto: no certificate to convert")
	}
	if std, err := x509.ParseCertificate(cert.Raw); err == nil {
		return std, nil
	}
	ext := make([]x509.ExtKeyUsage, len(cert.ExtKeyUsage))
	for i, u := range cert.ExtKeyUsage {
		ext[i] = x509.ExtKeyUsage(u)
	}
	std := &x509.Certificate{
		Raw:                     cert.Raw,
		RawTBSCertificate:       cert.RawTBSCertificate,
		RawSubjectPublicKeyInfo: cert.RawSubjectPublicKeyInfo,
		RawSubject:              cert.RawSubject,
		RawIssuer:               cert.RawIssuer,
		Signature:               cert.Signature,
		Version:                 cert.Version,
		SerialNumber:            cert.SerialNumber,
		Issuer:                  cert.Issuer,
		Subject:                 cert.Subject,
		NotBefore:               cert.NotBefore,
		NotAfter:                cert.NotAfter,
		KeyUsage:                x509.KeyUsage(cert.KeyUsage),
		ExtKeyUsage:             ext,
		Extensions:              cert.Extensions,
		BasicConstraintsValid:   cert.BasicConstraintsValid,
		IsCA:                    cert.IsCA,
		MaxPathLen:              cert.MaxPathLen,
		MaxPathLenZero:          cert.MaxPathLenZero,
		SubjectKeyId:            cert.SubjectKeyId,
		AuthorityKeyId:          cert.AuthorityKeyId,
		DNSNames:                cert.DNSNames,
		EmailAddresses:          cert.EmailAddresses,
	}
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		std.PublicKey = pub
		std.PublicKeyAlgorithm = x509.ECDSA
	default:
		return nil, fmt.Errorf("smcrypto: cannot convert a certificate with a %T key", cert.PublicKey)
	}
	return std, nil
}

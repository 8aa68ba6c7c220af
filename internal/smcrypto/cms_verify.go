package smcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrMalformedSignature means the signature value cannot be decoded at all (as opposed to
// ErrSignatureMismatch: well formed, wrong).
var ErrMalformedSignature = errors.New("smcrypto: malformed signature value")

var bigThree = big.NewInt(3)

// SignatureCheck reports how a signature verified.
type SignatureCheck struct {
	// Algorithm names the scheme, e.g. "SM2-with-SM3", "RSA PKCS#1 v1.5 SHA-256",
	// "RSA-PSS SHA-256", "ECDSA P-256 SHA-256".
	Algorithm string
	// Encoding of an SM2/ECDSA signature value (EncodingUnknown for RSA).
	Encoding SigEncoding
	// SignerID is, for SM2 only, the signer ID that verified: DefaultSignerID, or "" for the
	// empty ID that OpenSSL 3 uses without -sigopt distid.
	SignerID string
}

// digestInfo describes a supported digest algorithm.
type digestInfo struct {
	name string
	hash crypto.Hash // 0 for SM3
	new  func() hash.Hash
}

func (d digestInfo) size() int { return d.new().Size() }

var (
	digestSM3    = digestInfo{"SM3", 0, NewSM3}
	digestSHA1   = digestInfo{"SHA-1", crypto.SHA1, sha1.New}
	digestSHA224 = digestInfo{"SHA-224", crypto.SHA224, sha256.New224}
	digestSHA256 = digestInfo{"SHA-256", crypto.SHA256, sha256.New}
	digestSHA384 = digestInfo{"SHA-384", crypto.SHA384, sha512.New384}
	digestSHA512 = digestInfo{"SHA-512", crypto.SHA512, sha512.New}
)

// digestByOID maps digest OIDs, and signature OIDs that imply a digest (some producers put those
// in digestAlgorithm), to the digest.
var digestByOID = map[OID]digestInfo{
	OIDSM3: digestSM3, OIDSM2WithSM3: digestSM3, OIDSM2Sign: digestSM3,
	OIDSHA1: digestSHA1, OIDSHA1WithRSA: digestSHA1, OIDECDSAWithSHA1: digestSHA1, "1.3.14.3.2.29": digestSHA1,
	OIDSHA224: digestSHA224, OIDSHA224WithRSA: digestSHA224, OIDECDSAWithSHA224: digestSHA224,
	OIDSHA256: digestSHA256, OIDSHA256WithRSA: digestSHA256, OIDECDSAWithSHA256: digestSHA256,
	OIDSHA384: digestSHA384, OIDSHA384WithRSA: digestSHA384, OIDECDSAWithSHA384: digestSHA384,
	OIDSHA512: digestSHA512, OIDSHA512WithRSA: digestSHA512, OIDECDSAWithSHA512: digestSHA512,
}

func lookupDigest(alg OID) (digestInfo, error) {
	d, ok := digestByOID[alg]
	if !ok {
		return digestInfo{}, fmt.Errorf("%w: digest %s", ErrUnsupportedAlgorithm, alg)
	}
	return d, nil
}

// NewDigest returns a streaming hash for a digest algorithm OID (SM3, SHA-1, SHA-224/256/384/
// 512, or a signature OID that implies one). Unknown OIDs give ErrUnsupportedAlgorithm.
func NewDigest(alg OID) (hash.Hash, error) {
	d, err := lookupDigest(alg)
	if err != nil {
		return nil, err
	}
	return d.new(), nil
}

// signatureScheme is what a SignerInfo's algorithms and the certificate's key amount to.
type signatureScheme struct {
	kind   int // schemeSM2, schemeRSA, schemeRSAPSS, schemeECDSA
	digest digestInfo
	pss    *rsa.PSSOptions
}

const (
	schemeSM2 = iota + 1
	schemeRSA
	schemeRSAPSS
	schemeECDSA
)

func (s signatureScheme) name(pub crypto.PublicKey) string {
	switch s.kind {
	case schemeSM2:
		return "SM2-with-SM3"
	case schemeRSA:
		return "RSA PKCS#1 v1.5 " + s.digest.name
	case schemeRSAPSS:
		return "RSA-PSS " + s.digest.name
	case schemeECDSA:
		curve := "unknown curve"
		if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve != nil {
			curve = k.Curve.Params().Name
		}
		return "ECDSA " + curve + " " + s.digest.name
	}
	return "unknown"
}

// schemeFor decides the scheme from the key type, the signature algorithm and the digest
// algorithm. The digest algorithm field decides the hash (RFC 5652 5.4, as OpenSSL does); a
// signature OID implying a hash is used when the digest field is unusable.
func schemeFor(pub crypto.PublicKey, digestAlg, sigAlg OID, sigParams []byte) (signatureScheme, error) {
	d, derr := lookupDigest(digestAlg)
	if derr != nil {
		var err error
		if d, err = lookupDigest(sigAlg); err != nil {
			return signatureScheme{}, derr
		}
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if IsSM2PublicKey(k) {
			switch sigAlg {
			case OIDSM2Sign, OIDSM2WithSM3, OIDECPublicKey, OIDSM2Curve:
			default:
				return signatureScheme{}, fmt.Errorf("%w: signature algorithm %s with an SM2 key", ErrUnsupportedAlgorithm, sigAlg)
			}
			if d.hash != 0 {
				return signatureScheme{}, fmt.Errorf("%w: SM2 with digest %s", ErrUnsupportedAlgorithm, d.name)
			}
			return signatureScheme{kind: schemeSM2, digest: d}, nil
		}
		switch sigAlg {
		case OIDECPublicKey, OIDECDSAWithSHA1, OIDECDSAWithSHA224, OIDECDSAWithSHA256, OIDECDSAWithSHA384, OIDECDSAWithSHA512:
		default:
			return signatureScheme{}, fmt.Errorf("%w: signature algorithm %s with an ECDSA key", ErrUnsupportedAlgorithm, sigAlg)
		}
		if d.hash == 0 {
			return signatureScheme{}, fmt.Errorf("%w: ECDSA with SM3", ErrUnsupportedAlgorithm)
		}
		return signatureScheme{kind: schemeECDSA, digest: d}, nil
	case *rsa.PublicKey:
		switch sigAlg {
		case OIDRSAEncryption, OIDSHA1WithRSA, "1.3.14.3.2.29", OIDSHA224WithRSA, OIDSHA256WithRSA, OIDSHA384WithRSA, OIDSHA512WithRSA:
			if d.hash == 0 {
				return signatureScheme{}, fmt.Errorf("%w: RSA with SM3", ErrUnsupportedAlgorithm)
			}
			return signatureScheme{kind: schemeRSA, digest: d}, nil
		case OIDRSASSAPSS:
			pd, opts, err := parsePSSParams(sigParams)
			if err != nil {
				return signatureScheme{}, err
			}
			return signatureScheme{kind: schemeRSAPSS, digest: pd, pss: opts}, nil
		}
		return signatureScheme{}, fmt.Errorf("%w: signature algorithm %s with an RSA key", ErrUnsupportedAlgorithm, sigAlg)
	case nil:
		return signatureScheme{}, errors.New("smcrypto: no public key")
	}
	return signatureScheme{}, fmt.Errorf("%w: %T public key", ErrUnsupportedAlgorithm, pub)
}

// parsePSSParams reads RSASSA-PSS-params (RFC 4055); MGF1 must use the message hash, as Go's
// rsa.VerifyPSS requires.
func parsePSSParams(params []byte) (digestInfo, *rsa.PSSOptions, error) {
	d, saltLen := digestSHA1, 20
	in := cryptobyte.String(params)
	var seq cryptobyte.String
	if len(params) > 0 && !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return d, nil, errors.New("smcrypto: malformed RSASSA-PSS parameters")
	}
	mgfHash := OIDSHA1
	var field cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return d, nil, errors.New("smcrypto: malformed RSASSA-PSS hashAlgorithm")
	}
	if present {
		alg, _, ok := readAlgorithm(&field)
		if !ok {
			return d, nil, errors.New("smcrypto: malformed RSASSA-PSS hashAlgorithm")
		}
		var err error
		if d, err = lookupDigest(alg); err != nil {
			return d, nil, err
		}
		mgfHash = alg
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return d, nil, errors.New("smcrypto: malformed RSASSA-PSS maskGenAlgorithm")
	}
	if present {
		alg, p, ok := readAlgorithm(&field)
		if !ok || alg != OIDMGF1 {
			return d, nil, fmt.Errorf("%w: RSASSA-PSS mask generation %s", ErrUnsupportedAlgorithm, alg)
		}
		ps := cryptobyte.String(p)
		h, _, ok := readAlgorithm(&ps)
		if !ok {
			return d, nil, errors.New("smcrypto: malformed RSASSA-PSS MGF1 hash")
		}
		mgfHash = h
	} else {
		mgfHash = OIDSHA1
	}
	if md, err := lookupDigest(mgfHash); err != nil || md.hash != d.hash {
		return d, nil, fmt.Errorf("%w: RSASSA-PSS with MGF1 hash %s differing from the message hash", ErrUnsupportedAlgorithm, mgfHash)
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return d, nil, errors.New("smcrypto: malformed RSASSA-PSS saltLength")
	}
	if present {
		var v int64
		if !field.ReadASN1Integer(&v) || v < 0 || v > 1<<16 {
			return d, nil, errors.New("smcrypto: malformed RSASSA-PSS saltLength")
		}
		saltLen = int(v)
	}
	if d.hash == 0 {
		return d, nil, fmt.Errorf("%w: RSA-PSS with SM3", ErrUnsupportedAlgorithm)
	}
	return d, &rsa.PSSOptions{SaltLength: saltLen, Hash: d.hash}, nil
}

// VerifySignature checks the signature of a signer that has signed attributes, over
// SignedAttrsDER, with cert's public key. SM2 is tried with DefaultSignerID and then with the
// empty ID (OpenSSL 3 without distid); SignatureCheck says which verified. It does not compare
// MessageDigest with the content: the caller hashes the content (NewContentHash) and compares.
// Errors: ErrSignatureMismatch (well formed, does not verify), ErrMalformedSignature,
// ErrUnsupportedAlgorithm, or another error for a missing key or attributes.
func (si *SignerInfo) VerifySignature(cert *Certificate) (check SignatureCheck, err error) {
	defer recoverAsError(&err)
	if len(si.SignedAttrsDER) == 0 {
		return check, errors.New("smcrypto: signer has no signed attributes: use NewContentHash and VerifyContentDigest")
	}
	scheme, err := si.schemeWith(cert)
	if err != nil {
		return check, err
	}
	check.Algorithm = scheme.name(cert.PublicKey)
	if scheme.kind == schemeSM2 {
		pub := cert.PublicKey.(*ecdsa.PublicKey)
		check.SignerID = DefaultSignerID
		check.Encoding, err = VerifySM2(pub, []byte(DefaultSignerID), si.SignedAttrsDER, si.Signature)
		if !errors.Is(err, ErrSignatureMismatch) {
			return check, err
		}
		h, herr := newSM2HashEmptyID(pub)
		if herr != nil {
			return check, herr
		}
		h.Write(si.SignedAttrsDER)
		if _, err2 := VerifySM2Digest(pub, h.Sum(nil), si.Signature); err2 == nil {
			check.SignerID = ""
			return check, nil
		}
		return check, err
	}
	h := scheme.digest.new()
	h.Write(si.SignedAttrsDER)
	check.Encoding, err = verifyDigestWith(scheme, cert.PublicKey, h.Sum(nil), si.Signature)
	return check, err
}

// schemeWith is the signature scheme of si with cert's key.
func (si *SignerInfo) schemeWith(cert *Certificate) (signatureScheme, error) {
	if cert == nil {
		return signatureScheme{}, errors.New("smcrypto: no signer certificate")
	}
	return schemeFor(cert.PublicKey, si.DigestAlgorithm, si.SignatureAlgorithm, si.SignatureAlgorithmParams)
}

// NewContentHash returns the hash to stream the signed content through. For a signer with
// signed attributes it is the digest algorithm (compare its Sum with MessageDigest, then call
// VerifySignature); without signed attributes it is what the signature signs (for SM2,
// SM3(Z‖M) with DefaultSignerID), to pass to VerifyContentDigest. Either way the content is
// hashed once.
func (si *SignerInfo) NewContentHash(cert *Certificate) (hash.Hash, error) {
	if len(si.SignedAttrsDER) > 0 {
		return NewDigest(si.DigestAlgorithm)
	}
	scheme, err := si.schemeWith(cert)
	if err != nil {
		return nil, err
	}
	if scheme.kind == schemeSM2 {
		return NewSM2MessageHash(cert.PublicKey.(*ecdsa.PublicKey), nil)
	}
	return scheme.digest.new(), nil
}

// VerifyContentDigest checks the signature of a signer WITHOUT signed attributes, given the Sum
// of NewContentHash(cert) over the content. SM2 is checked with DefaultSignerID only (the hash
// already contains Z).
func (si *SignerInfo) VerifyContentDigest(cert *Certificate, digest []byte) (check SignatureCheck, err error) {
	defer recoverAsError(&err)
	if len(si.SignedAttrsDER) > 0 {
		return check, errors.New("smcrypto: signer has signed attributes: use VerifySignature")
	}
	scheme, err := si.schemeWith(cert)
	if err != nil {
		return check, err
	}
	check.Algorithm = scheme.name(cert.PublicKey)
	if scheme.kind == schemeSM2 {
		check.SignerID = DefaultSignerID
	}
	check.Encoding, err = verifyDigestWith(scheme, cert.PublicKey, digest, si.Signature)
	return check, err
}

// VerifyDigestSignature checks a plain signature (no CMS), e.g. PDF adbe.x509.rsa_sha1: digest
// is the digestAlg hash of the data; for SM2 it must be e = SM3(Z‖M) (NewSM2MessageHash).
func VerifyDigestSignature(pub crypto.PublicKey, digestAlg OID, digest, sig []byte) (check SignatureCheck, err error) {
	defer recoverAsError(&err)
	sigAlg := OIDRSAEncryption
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		sigAlg = OIDECPublicKey
		if IsSM2PublicKey(k) {
			sigAlg = OIDSM2Sign
		}
	}
	scheme, err := schemeFor(pub, digestAlg, sigAlg, nil)
	if err != nil {
		return check, err
	}
	check.Algorithm = scheme.name(pub)
	if scheme.kind == schemeSM2 {
		check.SignerID = DefaultSignerID
	}
	check.Encoding, err = verifyDigestWith(scheme, pub, digest, sig)
	return check, err
}

func verifyDigestWith(scheme signatureScheme, pub crypto.PublicKey, digest, sig []byte) (SigEncoding, error) {
	// SM2 schemes only ever carry SM3 (schemeFor), so this also holds SM2 to 32 bytes.
	if len(digest) != scheme.digest.size() {
		return EncodingUnknown, fmt.Errorf("smcrypto: digest has %d bytes, %s has %d", len(digest), scheme.digest.name, scheme.digest.size())
	}
	switch scheme.kind {
	case schemeSM2:
		enc, err := VerifySM2Digest(pub.(*ecdsa.PublicKey), digest, sig)
		return enc, err
	case schemeRSA:
		if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), scheme.digest.hash, digest, sig); err != nil {
			return EncodingUnknown, ErrSignatureMismatch
		}
		return EncodingUnknown, nil
	case schemeRSAPSS:
		if err := rsa.VerifyPSS(pub.(*rsa.PublicKey), scheme.digest.hash, digest, sig, scheme.pss); err != nil {
			return EncodingUnknown, ErrSignatureMismatch
		}
		return EncodingUnknown, nil
	case schemeECDSA:
		k := pub.(*ecdsa.PublicKey)
		switch k.Curve {
		case elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return EncodingUnknown, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedAlgorithm, k.Curve.Params().Name)
		}
		r, s, enc, err := DecodeSignature(sig, (k.Curve.Params().BitSize+7)/8)
		if err != nil {
			return enc, err
		}
		if !ecdsa.Verify(k, digest, r, s) {
			return enc, ErrSignatureMismatch
		}
		return enc, nil
	}
	return EncodingUnknown, ErrUnsupportedAlgorithm
}

// newSM2HashEmptyID returns SM3 primed with Z computed over an EMPTY signer ID (ENTL = 0), as
// OpenSSL 3 signs without -sigopt distid. emmansun substitutes the default ID for an empty one,
// so Z is assembled here from the curve parameters (GB/T 32918.2 5.5), hashed with SM3.
func newSM2HashEmptyID(pub *ecdsa.PublicKey) (hash.Hash, error) {
	if !IsSM2PublicKey(pub) || pub.X == nil || pub.Y == nil {
		return nil, errors.New("smcrypto: public key is not an SM2 key")
	}
	params := sm2.P256().Params()
	a := new(big.Int).Sub(params.P, bigThree)
	z := NewSM3()
	z.Write([]byte{0, 0}) // ENTL: zero bits of ID
	for _, v := range []*big.Int{a, params.B, params.Gx, params.Gy, pub.X, pub.Y} {
		var buf [32]byte
		v.FillBytes(buf[:])
		z.Write(buf[:])
	}
	h := NewSM3()
	h.Write(z.Sum(nil))
	return h, nil
}

package smcrypto

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

func TestCreateCertificateFields(t *testing.T) {
	p := newTestPKI(t)
	for _, c := range []*Certificate{p.root, p.inter, p.leaf} {
		if c.SignatureAlgorithm != smx509.SM2WithSM3 {
			t.Errorf("%s: signature algorithm %v, want SM2-SM3", c.Subject.CommonName, c.SignatureAlgorithm)
		}
		if len(c.SerialNumber.Bytes()) != 16 || c.SerialNumber.Sign() <= 0 {
			t.Errorf("%s: serial %x is not a positive 16-byte number", c.Subject.CommonName, c.SerialNumber)
		}
		if len(SerialHex(c.SerialNumber)) != 32 {
			t.Errorf("%s: serial hex %q is not 32 digits", c.Subject.CommonName, SerialHex(c.SerialNumber))
		}
		want, err := SubjectKeyID(c.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.SubjectKeyId, want) {
			t.Errorf("%s: SKI %x, want %x", c.Subject.CommonName, c.SubjectKeyId, want)
		}
		if !c.BasicConstraintsValid {
			t.Errorf("%s: basicConstraints missing", c.Subject.CommonName)
		}
	}
	// The key identifier is RFC 5280 method 1, computed independently here.
	spki := p.leaf.RawSubjectPublicKeyInfo
	if sum := sha1.Sum(spki[len(spki)-65:]); !bytes.Equal(sum[:], p.leaf.SubjectKeyId) {
		t.Errorf("SKI is not SHA-1 of the public key bits")
	}
	if !bytes.Equal(p.root.AuthorityKeyId, p.root.SubjectKeyId) {
		t.Error("self-signed root: AKI should equal its SKI")
	}
	if !bytes.Equal(p.inter.AuthorityKeyId, p.root.SubjectKeyId) || !bytes.Equal(p.leaf.AuthorityKeyId, p.inter.SubjectKeyId) {
		t.Error("AKI does not name the issuer's SKI")
	}
	if !p.root.IsCA || p.leaf.IsCA {
		t.Error("IsCA not as requested")
	}
	if p.root.KeyUsage != smx509.KeyUsageCertSign|smx509.KeyUsageCRLSign {
		t.Errorf("CA default key usage = %v", p.root.KeyUsage)
	}
	if p.leaf.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment {
		t.Errorf("leaf key usage = %v", p.leaf.KeyUsage)
	}
	if err := p.leaf.CheckSignatureFrom(p.inter); err != nil {
		t.Errorf("leaf does not verify under intermediate: %v", err)
	}
	if !bytes.Equal(p.leaf.RawIssuer, p.inter.RawSubject) {
		t.Error("leaf issuer is not the intermediate's subject")
	}
}

func TestCreateCertificateOptions(t *testing.T) {
	k := mustKey(t)
	tmpl := caTemplate("pathlen")
	tmpl.SerialNumber = big.NewInt(0x1234)
	tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning, x509.ExtKeyUsageEmailProtection}
	c := mustCert(t, tmpl, k.Public(), nil, k)
	if c.SerialNumber.Int64() != 0x1234 || SerialHex(c.SerialNumber) != "1234" {
		t.Errorf("serial = %v", c.SerialNumber)
	}
	if c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("pathlen 0 not written: %d %v", c.MaxPathLen, c.MaxPathLenZero)
	}
	if len(c.ExtKeyUsage) != 2 || c.ExtKeyUsage[0] != smx509.ExtKeyUsageCodeSigning || c.ExtKeyUsage[1] != smx509.ExtKeyUsageEmailProtection {
		t.Errorf("ext key usage = %v", c.ExtKeyUsage)
	}
	tmpl.MaxPathLen, tmpl.MaxPathLenZero = 2, false
	if c := mustCert(t, tmpl, k.Public(), nil, k); c.MaxPathLen != 2 {
		t.Errorf("pathlen 2 not written: %d", c.MaxPathLen)
	}
	tmpl.MaxPathLen = 0
	if c := mustCert(t, tmpl, k.Public(), nil, k); c.MaxPathLen != -1 {
		t.Errorf("no path length limit expected, got %d", c.MaxPathLen)
	}
	// An ECDSA subject key certified by an SM2 CA.
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := mustCert(t, caTemplate("ca"), k.Public(), nil, k)
	if c := mustCert(t, leafTemplate("ecdsa subject"), &ec.PublicKey, ca, k); c.PublicKeyAlgorithm != smx509.ECDSA {
		t.Errorf("ECDSA subject key: %v", c.PublicKeyAlgorithm)
	}
}

func TestCreateCertificateErrors(t *testing.T) {
	k, other := mustKey(t), mustKey(t)
	ca := mustCert(t, caTemplate("ca"), k.Public(), nil, k)
	leafKey := mustKey(t)
	leaf := mustCert(t, leafTemplate("leaf"), leafKey.Public(), ca, k)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(mod func(*CertTemplate)) CertTemplate {
		tm := leafTemplate("x")
		mod(&tm)
		return tm
	}
	tests := []struct {
		name      string
		tmpl      CertTemplate
		pub       any
		issuer    *Certificate
		issuerKey any
		want      string
	}{
		{"RSA issuer key", leafTemplate("x"), k.Public(), nil, rsaKey, "must be an SM2 key"},
		{"nil issuer key", leafTemplate("x"), k.Public(), nil, nil, "must be an SM2 key"},
		{"nil public key", leafTemplate("x"), nil, ca, k, "no public key"},
		{"no validity", bad(func(c *CertTemplate) { c.NotBefore = time.Time{} }), other.Public(), ca, k, "NotBefore and NotAfter"},
		{"reversed validity", bad(func(c *CertTemplate) { c.NotAfter = c.NotBefore.Add(-time.Second) }), other.Public(), ca, k, "NotAfter after NotBefore"},
		{"pathlen on leaf", bad(func(c *CertTemplate) { c.MaxPathLen = 1 }), other.Public(), ca, k, "only a CA"},
		{"negative serial", bad(func(c *CertTemplate) { c.SerialNumber = big.NewInt(-5) }), other.Public(), ca, k, "must be positive"},
		{"zero serial", bad(func(c *CertTemplate) { c.SerialNumber = big.NewInt(0) }), other.Public(), ca, k, "must be positive"},
		{"issuer is not a CA", leafTemplate("x"), other.Public(), leaf, leafKey, "not a CA"},
		{"issuer key mismatch", leafTemplate("x"), other.Public(), ca, other, "does not belong to the issuer"},
		{"self-signed with foreign key", caTemplate("x"), other.Public(), nil, k, "self-signed certificate needs pub"},
		{"unsupported public key", leafTemplate("x"), struct{}{}, ca, k, "public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := tt.issuerKey.(crypto.Signer)
			_, err := CreateCertificate(tt.tmpl, tt.pub, tt.issuer, s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCertificates(t *testing.T) {
	p := newTestPKI(t)
	pemChain := append(append(EncodeCertificatePEM(p.leaf), EncodeCertificatePEM(p.inter)...), EncodeCertificatePEM(p.root)...)
	withKey := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), pemChain...)
	derChain := append(append(append([]byte{}, p.leaf.Raw...), p.inter.Raw...), p.root.Raw...)
	for name, in := range map[string][]byte{"PEM": pemChain, "PEM with key block": withKey, "DER": derChain} {
		certs, err := ParseCertificates(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(certs) != 3 || !certs[0].Equal(p.leaf) || !certs[1].Equal(p.inter) || !certs[2].Equal(p.root) {
			t.Errorf("%s: got %d certificates, not the chain in order", name, len(certs))
		}
	}
	corruptPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})
	errCases := map[string][]byte{
		"empty":               nil,
		"PEM without certs":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}),
		"corrupt PEM cert":    corruptPEM,
		"DER garbage":         []byte("not a certificate"),
		"truncated DER":       p.leaf.Raw[:len(p.leaf.Raw)-1],
		"DER trailing":        append(append([]byte{}, p.leaf.Raw...), 0x01),
		"valid SEQ, not cert": {0x30, 0x00},
	}
	for name, in := range errCases {
		if _, err := ParseCertificates(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseCertificateErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty": nil, "short": {0x30}, "garbage": []byte("hello"), "panic seed": {0x30, 0x82, 0x06},
	} {
		if c, err := ParseCertificate(in); err == nil || c != nil {
			t.Errorf("%s: got %v, %v", name, c, err)
		}
	}
}

func TestEncodeCertificatePEM(t *testing.T) {
	p := newTestPKI(t)
	out := EncodeCertificatePEM(p.leaf)
	block, rest := pem.Decode(out)
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, p.leaf.Raw) || len(rest) != 0 {
		t.Fatalf("bad PEM %q", out)
	}
	if EncodeCertificatePEM(nil) != nil {
		t.Error("nil certificate should give nil")
	}
}

func TestSerialHex(t *testing.T) {
	big1, _ := new(big.Int).SetString("00ff00000000000000000000000000000001", 16)
	for _, tt := range []struct {
		in   *big.Int
		want string
	}{
		{big.NewInt(0), "0"}, {big.NewInt(1), "1"}, {big.NewInt(0x0abc), "abc"}, {big.NewInt(255), "ff"},
		{big1, "ff00000000000000000000000000000001"}, {big.NewInt(-16), "-10"}, {nil, ""},
	} {
		if got := SerialHex(tt.in); got != tt.want {
			t.Errorf("SerialHex(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestToStdlibCertificate(t *testing.T) {
	p := newTestPKI(t)
	if _, err := x509.ParseCertificate(p.leaf.Raw); err == nil {
		t.Log("note: the standard library now parses SM2 certificates")
	}
	std, err := ToStdlibCertificate(p.leaf)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := std.PublicKey.(*ecdsa.PublicKey)
	if !ok || !IsSM2PublicKey(pub) || !pub.Equal(p.leafKey.Public()) {
		t.Errorf("public key %T is not the SM2 key", std.PublicKey)
	}
	checks := map[string]bool{
		"Raw":               bytes.Equal(std.Raw, p.leaf.Raw),
		"RawTBSCertificate": bytes.Equal(std.RawTBSCertificate, p.leaf.RawTBSCertificate),
		"RawIssuer":         bytes.Equal(std.RawIssuer, p.leaf.RawIssuer),
		"RawSubject":        bytes.Equal(std.RawSubject, p.leaf.RawSubject),
		"SerialNumber":      std.SerialNumber.Cmp(p.leaf.SerialNumber) == 0,
		"Subject":           std.Subject.String() == p.leaf.Subject.String(),
		"Issuer":            std.Issuer.String() == p.inter.Subject.String(),
		"NotBefore":         std.NotBefore.Equal(p.leaf.NotBefore),
		"NotAfter":          std.NotAfter.Equal(p.leaf.NotAfter),
		"KeyUsage":          std.KeyUsage == x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment,
		"SubjectKeyId":      bytes.Equal(std.SubjectKeyId, p.leaf.SubjectKeyId),
		"AuthorityKeyId":    bytes.Equal(std.AuthorityKeyId, p.inter.SubjectKeyId),
	}
	for field, ok := range checks {
		if !ok {
			t.Errorf("%s not carried over", field)
		}
	}
	// A certificate the standard library can parse comes back from the standard library.
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "rsa"}, NotBefore: testNow, NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	std, err = ToStdlibCertificate(rc)
	if err != nil || std.PublicKeyAlgorithm != x509.RSA || std.Subject.CommonName != "rsa" {
		t.Errorf("RSA certificate: %v %v", std, err)
	}
	if _, err := ToStdlibCertificate(nil); err == nil {
		t.Error("nil: no error")
	}
	if _, err := ToStdlibCertificate(&Certificate{}); err == nil {
		t.Error("empty: no error")
	}
	// An SM2-signed certificate for an Ed25519 key: stdlib cannot parse it, and the hand-filled
	// path only knows (EC)DSA-shaped keys.
	odd := *p.leaf
	odd.Raw = append([]byte{}, p.leaf.Raw...)
	odd.PublicKey = "not a key"
	if _, err := ToStdlibCertificate(&odd); err == nil {
		t.Error("unsupported key: no error")
	}
}

// TestCertificatesOpenSSL is the OpenSSL 3 oracle: every certificate we create verifies link by
// link with the standard SM2 ID, and a tampered one does not.
func TestCertificatesOpenSSL(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	root := writeFile(t, dir, "root.pem", EncodeCertificatePEM(p.root))
	inter := writeFile(t, dir, "inter.pem", EncodeCertificatePEM(p.inter))
	leaf := writeFile(t, dir, "leaf.pem", EncodeCertificatePEM(p.leaf))
	opt := "distid:" + DefaultSignerID
	runOpenSSL(t, nil, "verify", "-vfyopt", opt, "-CAfile", root, root)
	runOpenSSL(t, nil, "verify", "-vfyopt", opt, "-CAfile", root, inter)
	// The leaf's own link: the intermediate as the (partial-chain) anchor.
	runOpenSSL(t, nil, "verify", "-vfyopt", opt, "-partial_chain", "-CAfile", inter, leaf)
	// The ID matters: without it OpenSSL 3 uses an empty ID and rejects our signature.
	if failed, out := openSSLFails(t, "verify", "-CAfile", root, inter); !failed {
		t.Errorf("openssl verified without distid, the oracle is not discriminating:\n%s", out)
	}
	tampered := append([]byte{}, p.inter.Raw...)
	tampered[len(tampered)-5] ^= 0x01 // inside the signature value
	tp := writeFile(t, dir, "tampered.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tampered}))
	if failed, out := openSSLFails(t, "verify", "-vfyopt", opt, "-CAfile", root, tp); !failed {
		t.Errorf("openssl verified a tampered certificate:\n%s", out)
	}
	// And OpenSSL reads back what we wrote.
	out := runOpenSSL(t, nil, "x509", "-in", leaf, "-noout", "-text")
	for _, want := range []string{"SM2-with-SM3", "Digital Signature, Non Repudiation", "X509v3 Authority Key Identifier"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("openssl x509 -text lacks %q", want)
		}
	}
}

// TestParseCertificateNegativeSerial: a real 2009 certificate (pdf-17's signer) has a negative
// serial, which Go 1.23+ refuses; we parse it and keep its exact bytes, so its self-signature
// still verifies over the original TBSCertificate.
func TestParseCertificateNegativeSerial(t *testing.T) {
	der := readTestdata(t, "pdf-17-cert.der")
	if _, err := smx509.ParseCertificate(der); err == nil {
		t.Log("note: smx509 now accepts negative serials")
	}
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.SerialNumber.Sign() >= 0 || !strings.HasPrefix(SerialHex(c.SerialNumber), "-") {
		t.Errorf("serial %v is not negative", c.SerialNumber)
	}
	if !bytes.Equal(c.Raw, der) || !bytes.Contains(der, c.RawTBSCertificate) || c.Subject.CommonName != "Alice" {
		t.Fatal("raw bytes or fields not those of the input")
	}
	sum := sha1.Sum(c.RawTBSCertificate)
	if _, err := VerifyDigestSignature(c.PublicKey, OIDSHA1, sum[:], c.Signature); err != nil {
		t.Errorf("self-signature over the original TBS: %v", err)
	}
	// A negative serial with a truncated body still fails cleanly.
	if _, err := ParseCertificate(der[:len(der)-10]); err == nil {
		t.Error("truncated certificate accepted")
	}
}

// TestParsePKIXPublicKey: a certificate's SubjectPublicKeyInfo gives the certificate's key; an
// unknown algorithm is ErrUnknownKeyAlgorithm; broken input is an error.
func TestParsePKIXPublicKey(t *testing.T) {
	p := newTestPKI(t)
	pub, err := ParsePKIXPublicKey(p.leaf.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := pub.(*ecdsa.PublicKey); !ok || !IsSM2PublicKey(k) || !k.Equal(p.leaf.PublicKey) {
		t.Errorf("key %T is not the certificate's SM2 key", pub)
	}
	// SEQUENCE { SEQUENCE { OID 1.2.3.4 }, BIT STRING {0x00 0x01} }
	unknown := []byte{0x30, 0x0b, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x03, 0x02, 0x00, 0x01}
	if _, err := ParsePKIXPublicKey(unknown); !errors.Is(err, ErrUnknownKeyAlgorithm) {
		t.Errorf("unknown algorithm: %v, want ErrUnknownKeyAlgorithm", err)
	}
	for _, bad := range [][]byte{nil, {0x30}, append(bytes.Clone(p.leaf.RawSubjectPublicKeyInfo), 0)} {
		if pub, err := ParsePKIXPublicKey(bad); err == nil || errors.Is(err, ErrUnknownKeyAlgorithm) || pub != nil {
			t.Errorf("ParsePKIXPublicKey(% x) = %v, %v; want an error", bad, pub, err)
		}
	}
}

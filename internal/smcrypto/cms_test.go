package smcrypto

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var testSeal = []byte{0x30, 0x06, 0x16, 0x04, 'S', 'E', 'A', 'L'} // stands in for a DER SESeal

func buildTestCMS(t testing.TB, p *testPKI, digest []byte, opts SignedDataOptions) []byte {
	t.Helper()
	der, err := BuildDetachedSignedData(digest, p.leafKey, []*Certificate{p.leaf, p.inter, p.root}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestBuildDetachedSignedDataEmmansun checks our SignedData with an independent verifier,
// emmansun's pkcs7 (without the seal attribute, whose 128-bit OID arc it cannot parse).
func TestBuildDetachedSignedDataEmmansun(t *testing.T) {
	p := newTestPKI(t)
	digest := SM3([]byte("the ByteRange of a PDF"))
	pool := smx509.NewCertPool()
	pool.AddCert(p.root)
	for _, conv := range []CMSConvention{ConventionPKCS7, ConventionGMT0010} {
		t.Run(conv.String(), func(t *testing.T) {
			der := buildTestCMS(t, p, digest[:], SignedDataOptions{Convention: conv})
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			p7.Content = digest[:]
			if conv == ConventionPKCS7 {
				// With PKCS#7 OIDs we name SM2-with-SM3 (1.2.156.10197.1.501), as the signatures
				// in the wild and BouncyCastle do; emmansun's verifier knows only sm2-1 there.
				// The GM/T 0010 case below checks the same signature mathematics.
				if err := p7.VerifyAsDigest(); err == nil || !strings.Contains(err.Error(), `unsupported algorithm "1.2.156.10197.1.501"`) {
					t.Fatalf("emmansun VerifyAsDigest with SM2-with-SM3: %v; its known limitation changed", err)
				}
				return
			}
			if err := p7.VerifyAsDigest(); err != nil {
				t.Fatalf("emmansun VerifyAsDigest: %v", err)
			}
			if err := p7.VerifyAsDigestWithChain(pool); err != nil {
				t.Fatalf("emmansun VerifyAsDigestWithChain: %v", err)
			}
			if s := p7.GetOnlySigner(); s == nil || !s.Equal(p.leaf) {
				t.Error("emmansun does not find our signer certificate")
			}
			// The oracle discriminates: another digest fails.
			other := SM3([]byte("something else"))
			p7.Content = other[:]
			if err := p7.VerifyAsDigest(); err == nil {
				t.Error("emmansun accepted a wrong digest: oracle not discriminating")
			}
		})
	}
}

func TestBuildDetachedSignedDataParse(t *testing.T) {
	p := newTestPKI(t)
	digest := SM3([]byte("content"))
	when := time.Date(2031, 5, 6, 7, 8, 9, 500, time.FixedZone("CST", 8*3600))
	for _, tt := range []struct {
		conv         CMSConvention
		sdType, data OID
	}{
		{ConventionPKCS7, OIDSignedData, OIDData},
		{ConventionGMT0010, OIDGMSignedData, OIDGMData},
	} {
		t.Run(tt.conv.String(), func(t *testing.T) {
			der := buildTestCMS(t, p, digest[:], SignedDataOptions{Convention: tt.conv, SigningTime: when, ESeal: testSeal})
			sd, err := ParseSignedData(der)
			if err != nil {
				t.Fatal(err)
			}
			if sd.ContentType != tt.sdType || sd.EncapContentType != tt.data || sd.Convention != tt.conv || sd.WasBER {
				t.Errorf("types %s/%s, convention %v, BER %v", sd.ContentType, sd.EncapContentType, sd.Convention, sd.WasBER)
			}
			if sd.Content != nil {
				t.Error("detached SignedData has content")
			}
			if len(sd.Certificates) != 3 || !sd.Certificates[0].Equal(p.leaf) || !sd.Certificates[2].Equal(p.root) {
				t.Error("certificates are not the chain, signer first")
			}
			if len(sd.DigestAlgorithms) != 1 || sd.DigestAlgorithms[0] != OIDSM3 || sd.Version != 1 {
				t.Errorf("digestAlgorithms %v version %d", sd.DigestAlgorithms, sd.Version)
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			si := sd.Signers[0]
			certHash := SM3(p.leaf.Raw)
			wantSig := OIDSM2WithSM3
			if tt.conv == ConventionGMT0010 {
				wantSig = OIDSM2Sign
			}
			if si.DigestAlgorithm != OIDSM3 || si.SignatureAlgorithm != wantSig ||
				si.ContentType != tt.data || !bytes.Equal(si.MessageDigest, digest[:]) ||
				!si.SigningTime.Equal(when.Truncate(time.Second)) || !bytes.Equal(si.ESeal, testSeal) ||
				!bytes.Equal(si.SigningCertificateHash, certHash[:]) || si.SigningCertificateHashAlgorithm != OIDSM3 {
				t.Errorf("signer info: %+v", si)
			}
			if si.SerialNumber.Cmp(p.leaf.SerialNumber) != 0 || !bytes.Equal(si.IssuerRaw, p.leaf.RawIssuer) {
				t.Error("issuerAndSerialNumber does not name the leaf")
			}
			if c := sd.SignerCertificate(si); c == nil || !c.Equal(p.leaf) {
				t.Error("SignerCertificate does not find the leaf")
			}
			check, err := si.VerifySignature(p.leaf)
			if err != nil {
				t.Fatal(err)
			}
			if check.Algorithm != "SM2-with-SM3" || check.Encoding != EncodingDER || check.SignerID != DefaultSignerID {
				t.Errorf("check %+v", check)
			}
			// DER SET OF order: the attributes' encodings ascend.
			set, _ := parseAttributes(si.SignedAttrsDER)
			if len(set) != 5 {
				t.Fatalf("%d signed attributes, want 5", len(set))
			}
			var prev []byte
			in := cryptobyte.String(si.SignedAttrsDER)
			var content cryptobyte.String
			in.ReadASN1(&content, cbasn1.SET)
			for !content.Empty() {
				var a cryptobyte.String
				content.ReadASN1Element(&a, cbasn1.SEQUENCE)
				if prev != nil && bytes.Compare(prev, a) >= 0 {
					t.Error("signed attributes not in DER order")
				}
				prev = a
			}
			// The signature covers the seal: changing it breaks the signature.
			tampered := bytes.Replace(der, []byte("SEAL"), []byte("FAKE"), 1)
			sd2, err := ParseSignedData(tampered)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sd2.Signers[0].VerifySignature(p.leaf); !errors.Is(err, ErrSignatureMismatch) {
				t.Errorf("tampered seal: %v", err)
			}
		})
	}
}

func TestBuildSigningTimeEncoding(t *testing.T) {
	p := newTestPKI(t)
	digest := SM3(nil)
	for _, tt := range []struct {
		when time.Time
		tag  byte
	}{
		{time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC), 0x17},
		{time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC), 0x18},
		{time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), 0x18},
		{time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), 0x17},
	} {
		sd, err := ParseSignedData(buildTestCMS(t, p, digest[:], SignedDataOptions{SigningTime: tt.when}))
		if err != nil {
			t.Fatal(err)
		}
		si := sd.Signers[0]
		for _, a := range si.SignedAttrs {
			if a.Type == OIDAttributeSigningTime && a.Values[0][0] != tt.tag {
				t.Errorf("%v written with tag %#x, want %#x", tt.when, a.Values[0][0], tt.tag)
			}
		}
		if !si.SigningTime.Equal(tt.when) {
			t.Errorf("signing time %v, want %v", si.SigningTime, tt.when)
		}
	}
	// Zero: now.
	sd, err := ParseSignedData(buildTestCMS(t, p, digest[:], SignedDataOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(sd.Signers[0].SigningTime); d < 0 || d > time.Minute {
		t.Errorf("zero SigningTime gave %v", sd.Signers[0].SigningTime)
	}
}

func TestBuildDetachedSignedDataErrors(t *testing.T) {
	p := newTestPKI(t)
	d := SM3(nil)
	chain := []*Certificate{p.leaf, p.inter}
	rsaSigner, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		digest []byte
		signer any
		chain  []*Certificate
		opts   SignedDataOptions
		want   string
	}{
		{"short digest", d[:20], p.leafKey, chain, SignedDataOptions{}, "32"},
		{"RSA signer", d[:], rsaSigner, chain, SignedDataOptions{}, "SM2 key"},
		{"nil signer", d[:], nil, chain, SignedDataOptions{}, "SM2 key"},
		{"no chain", d[:], p.leafKey, nil, SignedDataOptions{}, "no signer certificate"},
		{"nil certificate", d[:], p.leafKey, []*Certificate{p.leaf, nil}, SignedDataOptions{}, "empty"},
		{"key not the leaf's", d[:], p.interKey, chain, SignedDataOptions{}, "does not match"},
		{"bad convention", d[:], p.leafKey, chain, SignedDataOptions{Convention: 7}, "convention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, _ := tt.signer.(crypto.Signer)
			if _, err := BuildDetachedSignedData(tt.digest, signer, tt.chain, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if CMSConvention(7).String() != "CMSConvention(7)" {
		t.Error("unknown convention string")
	}
}

// TestSignedAttributesOpenSSL: OpenSSL 3 verifies our SM2 signature over the signed attributes
// (with distid; without it, it must fail), and parses our SignedData including the seal's OID.
func TestSignedAttributesOpenSSL(t *testing.T) {
	p := newTestPKI(t)
	d := SM3([]byte("pdf"))
	der := buildTestCMS(t, p, d[:], SignedDataOptions{Convention: ConventionGMT0010, ESeal: testSeal})
	sd, err := ParseSignedData(der)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	dir := t.TempDir()
	pubDER, err := smx509.MarshalPKIXPublicKey(p.leafKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub := writeFile(t, dir, "pub.der", pubDER)
	msg := writeFile(t, dir, "attrs.der", si.SignedAttrsDER)
	sig := writeFile(t, dir, "sig.der", si.Signature)
	out := runOpenSSL(t, nil, "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:"+DefaultSignerID,
		"-pubin", "-keyform", "DER", "-inkey", pub, "-in", msg, "-sigfile", sig)
	if !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl: %s", out)
	}
	if failed, out := openSSLFails(t, "pkeyutl", "-verify", "-rawin", "-digest", "sm3",
		"-pubin", "-keyform", "DER", "-inkey", pub, "-in", msg, "-sigfile", sig); !failed {
		t.Errorf("openssl verified without distid: oracle not discriminating\n%s", out)
	}
	cmsFile := writeFile(t, dir, "sd.der", der)
	printed := runOpenSSL(t, nil, "asn1parse", "-inform", "DER", "-in", cmsFile)
	if !strings.Contains(string(printed), "2.25.164522088066992829398542477671201625689.1") {
		t.Errorf("openssl does not see the seal attribute OID:\n%s", printed)
	}
}

// TestVerifySM2SignerIDAndEncodings: a signature made by OpenSSL 3 without distid (empty ID)
// verifies and is reported as such; raw r||s and non-minimal DER values are accepted and named.
func TestVerifySM2SignerIDAndEncodings(t *testing.T) {
	p := newTestPKI(t)
	d := SM3(nil)
	sd, err := ParseSignedData(buildTestCMS(t, p, d[:], SignedDataOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	dir := t.TempDir()
	keyPEM, err := MarshalPKCS8PrivateKey(p.leafKey, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	key := writeFile(t, dir, "key.pem", keyPEM)
	msg := writeFile(t, dir, "attrs.der", si.SignedAttrsDER)
	for _, tt := range []struct {
		name   string
		extra  []string
		wantID string
	}{
		{"empty ID (OpenSSL default)", nil, ""},
		{"default ID", []string{"-pkeyopt", "distid:" + DefaultSignerID}, DefaultSignerID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", key, "-passin", "pass:pw", "-in", msg, "-out", dir + "/sig"}, tt.extra...)
			runOpenSSL(t, nil, args...)
			mod := *si
			mod.Signature = readFile(t, dir+"/sig")
			check, err := mod.VerifySignature(p.leaf)
			if err != nil {
				t.Fatal(err)
			}
			if check.SignerID != tt.wantID {
				t.Errorf("SignerID %q, want %q", check.SignerID, tt.wantID)
			}
		})
	}
	r, s, _, err := DecodeSignature(si.Signature, 32)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	mod := *si
	mod.Signature = raw
	if check, err := mod.VerifySignature(p.leaf); err != nil || check.Encoding != EncodingRaw {
		t.Errorf("raw r||s: %+v %v", check, err)
	}
	// Tampered attributes, garbage signature, missing pieces.
	mod = *si
	mod.SignedAttrsDER = append([]byte{}, si.SignedAttrsDER...)
	mod.SignedAttrsDER[len(mod.SignedAttrsDER)-1] ^= 1
	if _, err := mod.VerifySignature(p.leaf); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("tampered attributes: %v", err)
	}
	mod = *si
	mod.Signature = []byte{1, 2, 3}
	if _, err := mod.VerifySignature(p.leaf); !errors.Is(err, ErrMalformedSignature) || errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("garbage signature: %v", err)
	}
	if _, err := si.VerifySignature(p.inter); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("wrong certificate: %v", err)
	}
	if _, err := si.VerifySignature(nil); err == nil {
		t.Error("nil certificate accepted")
	}
	mod = *si
	mod.SignedAttrsDER = nil
	if _, err := mod.VerifySignature(p.leaf); err == nil || !strings.Contains(err.Error(), "no signed attributes") {
		t.Errorf("no signed attributes: %v", err)
	}
	for _, alg := range []struct{ digest, sig OID }{
		{"1.2.840.113549.2.5", OIDECPublicKey}, // MD5
		{OIDSM3, OIDSHA256WithRSA},             // RSA OID with an SM2 key
		{OIDSHA256, OIDSM2Sign},                // SM2 with SHA-256
		{"1.2.3.4", "1.2.3.5"},                 // nothing known
	} {
		mod = *si
		mod.DigestAlgorithm, mod.SignatureAlgorithm = alg.digest, alg.sig
		if _, err := mod.VerifySignature(p.leaf); !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("%s/%s: %v", alg.digest, alg.sig, err)
		}
	}
	// Producers that write SM2-with-SM3 (501) or the SM2 key OID as signatureAlgorithm.
	for _, sigAlg := range []OID{OIDSM2WithSM3, OIDECPublicKey} {
		mod = *si
		mod.SignatureAlgorithm = sigAlg
		if _, err := mod.VerifySignature(p.leaf); err != nil {
			t.Errorf("signatureAlgorithm %s: %v", sigAlg, err)
		}
	}
}

func TestNewDigest(t *testing.T) {
	for _, tt := range []struct {
		alg  OID
		size int
	}{
		{OIDSM3, 32}, {OIDSHA1, 20}, {OIDSHA224, 28}, {OIDSHA256, 32}, {OIDSHA384, 48}, {OIDSHA512, 64},
		{OIDSM2WithSM3, 32}, {OIDSHA256WithRSA, 32}, {OIDECDSAWithSHA384, 48}, {OIDSHA1WithRSA, 20},
	} {
		h, err := NewDigest(tt.alg)
		if err != nil || h.Size() != tt.size {
			t.Errorf("%s: %v size %d", tt.alg, err, h.Size())
		}
	}
	// SM3 really is SM3.
	h, _ := NewDigest(OIDSM3)
	h.Write([]byte("abc"))
	want := SM3([]byte("abc"))
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("NewDigest(SM3) is not SM3")
	}
	for _, alg := range []OID{"1.2.840.113549.2.5", "", "2.16.840.1.101.3.4.2.8"} {
		if _, err := NewDigest(alg); !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("%q: %v", alg, err)
		}
	}
}

func TestVerifyDigestSignature(t *testing.T) {
	// Real world: PDF adbe.x509.rsa_sha1 (pdf-17), RSA PKCS#1 v1.5 over SHA-1 of the ByteRange.
	cert, err := ParseCertificate(readTestdata(t, "pdf-17-cert.der"))
	if err != nil {
		t.Fatal(err)
	}
	in := cryptobyte.String(readTestdata(t, "pdf-17-rsa_sha1.sig"))
	var sig cryptobyte.String
	if !in.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		t.Fatal("pdf-17 /Contents is not an OCTET STRING")
	}
	digest := unhex(t, strings.TrimSpace(string(readTestdata(t, "pdf-17-byterange.sha1"))))
	check, err := VerifyDigestSignature(cert.PublicKey, OIDSHA1, digest, sig)
	if err != nil {
		t.Fatalf("pdf-17: %v", err)
	}
	if check.Algorithm != "RSA PKCS#1 v1.5 SHA-1" {
		t.Errorf("algorithm %q", check.Algorithm)
	}
	digest[0] ^= 1
	if _, err := VerifyDigestSignature(cert.PublicKey, OIDSHA1, digest, sig); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("changed digest: %v", err)
	}
	if _, err := VerifyDigestSignature(cert.PublicKey, OIDSHA256, digest, sig); err == nil {
		t.Error("SHA-1 digest accepted as SHA-256")
	}
	// SM2: the digest is SM3(Z||M) from NewSM2MessageHash.
	k := mustKey(t)
	pub := k.Public().(*ecdsa.PublicKey)
	msg := []byte("plain SM2 signature")
	sm2sig, _ := SignSM2(k, nil, msg)
	h, _ := NewSM2MessageHash(pub, nil)
	h.Write(msg)
	if check, err := VerifyDigestSignature(pub, OIDSM3, h.Sum(nil), sm2sig); err != nil || check.SignerID != DefaultSignerID {
		t.Errorf("SM2: %+v %v", check, err)
	}
	if _, err := VerifyDigestSignature(pub, OIDSM3, h.Sum(nil)[:31], sm2sig); err == nil {
		t.Error("short SM2 digest accepted")
	}
	if _, err := VerifyDigestSignature(nil, OIDSM3, h.Sum(nil), sm2sig); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := VerifyDigestSignature("key", OIDSM3, h.Sum(nil), sm2sig); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("odd key type: %v", err)
	}
}

// BenchmarkParseAndVerify measures the per-signature overhead a verifier pays on top of hashing
// the document (compare with BenchmarkVerifySM2Raw, the bare SM2 verification).
func BenchmarkParseAndVerify(b *testing.B) {
	p := newTestPKI(b)
	d := SM3(nil)
	der := buildTestCMS(b, p, d[:], SignedDataOptions{ESeal: testSeal})
	b.ResetTimer()
	for b.Loop() {
		sd, err := ParseSignedData(der)
		if err != nil {
			b.Fatal(err)
		}
		si := sd.Signers[0]
		if _, err := si.VerifySignature(sd.SignerCertificate(si)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySM2Raw(b *testing.B) {
	k := mustKey(b)
	msg := make([]byte, 300)
	sig, _ := SignSM2(k, nil, msg)
	pub := k.Public().(*ecdsa.PublicKey)
	for b.Loop() {
		if _, err := VerifySM2(pub, nil, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

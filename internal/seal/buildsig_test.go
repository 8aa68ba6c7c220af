package seal

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

func validSignatureOptions(t *testing.T, p *testPKI) NewSignatureOptions {
	t.Helper()
	s, err := BuildSeal(validOptions(t, p), p.makerCert, p.makerKey)
	if err != nil {
		t.Fatal(err)
	}
	h := smcrypto.SM3([]byte("<ofd:Signature>…</ofd:Signature>"))
	return NewSignatureOptions{
		Seal:         s.Raw,
		TimeInfo:     time.Date(2026, 5, 1, 20, 30, 15, 999, time.FixedZone("CST", 8*3600)),
		DataHash:     h[:],
		PropertyInfo: "/Doc_0/Signs/Sign_0/Signature.xml",
	}
}

// strictSignature is SES_Signature (GB/T 38540-2020) for encoding/asn1, which reads DER only.
type strictSignature struct {
	TBS struct {
		Version      int
		ESeal        asn1.RawValue
		TimeInfo     time.Time `asn1:"generalized"`
		DataHash     asn1.BitString
		PropertyInfo string        `asn1:"ia5"`
		ExtDatas     asn1.RawValue `asn1:"optional,explicit,tag:0"`
	}
	Cert      []byte
	Alg       asn1.ObjectIdentifier
	Signature asn1.BitString
	TimeStamp asn1.BitString `asn1:"optional,explicit,tag:0"`
}

func TestBuildSignatureRoundTrip(t *testing.T) {
	p := newTestPKI(t)
	opts := validSignatureOptions(t, p)
	opts.Extensions = []Extension{{ID: "1.2.156.112600.7.2", Value: []byte("licence 330100-2026-000123")}}
	var stamped []byte
	opts.TimeStamp = func(value []byte) ([]byte, error) {
		stamped = value
		return []byte("token over the value"), nil
	}
	sig, err := BuildSignature(opts, p.signerCert, p.signerKey)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseSignature(sig.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*Signature{sig, again} {
		if got.Version != 4 || !bytes.Equal(got.Seal.Raw, opts.Seal) {
			t.Errorf("version %d, seal embedded as given: %v", got.Version, bytes.Equal(got.Seal.Raw, opts.Seal))
		}
		wantTime(t, got.TimeInfo, "2026-05-01T12:30:15Z")
		if !bytes.Equal(got.DataHash, opts.DataHash) || got.PropertyInfo != opts.PropertyInfo {
			t.Errorf("dataHash %x propertyInfo %q", got.DataHash, got.PropertyInfo)
		}
		if !bytes.Equal(got.SignerCert, p.signerCert) || got.SignatureAlgorithm != OIDSM2WithSM3 {
			t.Error("signer certificate or algorithm differs")
		}
		if len(got.Extensions) != 1 || string(got.Extensions[0].Value) != "licence 330100-2026-000123" {
			t.Errorf("extensions %+v", got.Extensions)
		}
		if string(got.TimeStamp) != "token over the value" || !bytes.Equal(stamped, got.SignatureValue) {
			t.Error("the timestamp callback did not get the signature value, or its token is not in timeStamp")
		}
		if len(got.Quirks) != 0 {
			t.Errorf("a built signature has quirks: %q", got.Quirks)
		}
		if enc, err := got.VerifySignatureValue(); err != nil || enc != smcrypto.EncodingDER {
			t.Errorf("signature value: %v, %v", enc, err)
		}
		if err := got.VerifySignerAllowed(); err != nil {
			t.Error(err)
		}
	}
	// Exactly DER: the strict reader accepts it and re-encoding gives the same bytes.
	var s strictSignature
	if rest, err := asn1.Unmarshal(sig.Raw, &s); err != nil || len(rest) != 0 {
		t.Fatalf("not a strict SES_Signature: %v", err)
	}
	if s.TBS.Version != 4 || s.Alg.String() != OIDSM2WithSM3 || s.Signature.BitLength%8 != 0 || string(s.TimeStamp.Bytes) != "token over the value" {
		t.Errorf("strict reading: version %d, algorithm %s, timeStamp %q", s.TBS.Version, s.Alg, s.TimeStamp.Bytes)
	}
	if again, err := asn1.Marshal(s); err != nil || !bytes.Equal(again, sig.Raw) {
		t.Errorf("re-encoding with encoding/asn1 gives different bytes: not DER (%v)", err)
	}
	// A flipped byte of what was signed, or of the value, fails.
	for _, at := range []int{len(sig.RawTBS) - 40, len(sig.Raw) - 30} {
		bad := bytes.Clone(sig.Raw)
		bad[at] ^= 0x01
		if b, err := ParseSignature(bad); err == nil {
			if _, err := b.VerifySignatureValue(); err == nil {
				t.Errorf("byte %d flipped: the signature still verifies", at)
			}
		}
	}
}

// TestBuildSignatureOpenSSL: OpenSSL, an independent SM2 implementation, verifies the signature
// value over TBS_Sign with the signer's key and the standard signer ID.
func TestBuildSignatureOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required for this test (the project's test command installs it)")
	}
	p := newTestPKI(t)
	sig, err := BuildSignature(validSignatureOptions(t, p), p.signerCert, p.signerKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := writeFile(path, data); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cert, err := smcrypto.ParseCertificate(p.signerCert)
	if err != nil {
		t.Fatal(err)
	}
	pubOut, err := exec.Command(openssl, "x509", "-in", write("signer.pem", smcrypto.EncodeCertificatePEM(cert)), "-pubkey", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, pubOut)
	}
	out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", write("signer.pub", pubOut), "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", write("tbs.der", sig.RawTBS), "-sigfile", write("sig.der", sig.SignatureValue)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl does not verify the signature: %v\n%s", err, out)
	}
	out, err = exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", write("ses.der", sig.Raw)).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("SM2-with-SM3")) || !bytes.Contains(out, []byte("/Doc_0/Signs/Sign_0/Signature.xml")) {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
}

// ofdrwSigner is the signer of the ofdrw test seals: its key is in ofdrw_USER.p12, a PKCS#12
// with BER indefinite lengths and RC2-40 that Go cannot read; OpenSSL 3 converts it with -legacy.
func ofdrwSigner(t *testing.T) (crypto.Signer, []byte) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required for this test (the project's test command installs it)")
	}
	pemOut, err := exec.Command(openssl, "pkcs12", "-legacy", "-in", filepath.Join("testdata", "seals", "ofdrw_USER.p12"),
		"-passin", "pass:777777", "-nodes").Output()
	if err != nil {
		t.Fatalf("openssl pkcs12 -legacy: %v", err)
	}
	key, err := smcrypto.ParsePKCS8PrivateKey(pemOut[bytes.Index(pemOut, []byte("-----BEGIN PRIVATE KEY")):], nil)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := smcrypto.ParseCertificates(pemOut)
	if err != nil || len(certs) != 1 {
		t.Fatalf("certificates in the PKCS#12: %d, %v", len(certs), err)
	}
	return key, certs[0].Raw
}

// TestBuildSignatureThirdPartySeal signs with seals another system made (ofdrw's version 4 and
// version 5 test seals) and the key of the signer they allow.
func TestBuildSignatureThirdPartySeal(t *testing.T) {
	key, cert := ofdrwSigner(t)
	for _, tt := range []struct {
		file    string
		version int
	}{{"seals/ofdrw_UserV4.esl", 4}, {"seals/ofdrw_UserV5_ts.esl", 5}} {
		t.Run(tt.file, func(t *testing.T) {
			h := smcrypto.SM3([]byte("detached e-material"))
			sig, err := BuildSignature(NewSignatureOptions{Seal: readTestObject(t, tt.file), DataHash: h[:], PropertyInfo: "material.pdf"}, cert, key)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Version != tt.version || sig.Seal.Version != tt.version {
				t.Errorf("version %d with a version %d seal, want %d", sig.Version, sig.Seal.Version, tt.version)
			}
			if err := sig.VerifySignerAllowed(); err != nil {
				t.Error(err)
			}
			if _, err := sig.Seal.VerifyMakerSignature(); err != nil {
				t.Errorf("the embedded third-party seal: %v", err)
			}
		})
	}
}

func TestBuildSignatureOptions(t *testing.T) {
	p := newTestPKI(t)
	bad := func(f func(o *NewSignatureOptions)) NewSignatureOptions {
		o := validSignatureOptions(t, p)
		f(&o)
		return o
	}
	tests := []struct {
		name   string
		opts   NewSignatureOptions
		cert   []byte
		key    crypto.Signer
		noKey  bool
		reason ErrorReason
		detail string
	}{
		{name: "seal not a seal", opts: bad(func(o *NewSignatureOptions) { o.Seal = []byte("x") }), detail: "seal"},
		{name: "version 1 seal", opts: bad(func(o *NewSignatureOptions) { o.Seal = readTestObject(t, "seals/ofdrw_UserV1.esl") }), detail: "version 1 seal"},
		{name: "version differs from the seal's", opts: bad(func(o *NewSignatureOptions) { o.Version = 5 }), detail: "must be equal"},
		{name: "dataHash not SM3-sized", opts: bad(func(o *NewSignatureOptions) { o.DataHash = o.DataHash[:20] }), detail: "32"},
		{name: "no propertyInfo", opts: bad(func(o *NewSignatureOptions) { o.PropertyInfo = "" }), detail: "propertyInfo"},
		{name: "propertyInfo in Chinese", opts: bad(func(o *NewSignatureOptions) { o.PropertyInfo = "许可证.pdf" }), detail: "printable ASCII"},
		{name: "bad extension OID", opts: bad(func(o *NewSignatureOptions) { o.Extensions = []Extension{{ID: "x"}} }), detail: "extension ID"},
		{name: "time beyond GeneralizedTime", opts: bad(func(o *NewSignatureOptions) { o.TimeInfo = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), detail: "out of range"},
		{name: "signer not allowed by the seal", opts: validSignatureOptions(t, p), cert: p.makerCert, key: p.makerKey, reason: SignerNotInCertList, detail: "not among"},
		{name: "signer certificate garbage", opts: validSignatureOptions(t, p), cert: []byte("x"), detail: "signer certificate"},
		{name: "key does not match", opts: validSignatureOptions(t, p), key: p.otherKey, detail: "does not match"},
		{name: "no key", opts: validSignatureOptions(t, p), noKey: true, detail: "not an SM2 key"},
		{name: "key signs with another key", opts: validSignatureOptions(t, p), key: mismatchedSigner{p.otherKey, p.signerKey.Public()}, reason: BadSignature, detail: "does not verify"},
		{name: "key fails to sign", opts: validSignatureOptions(t, p), key: failingSigner{p.signerKey}, detail: "device offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := p.signerCert, p.signerKey
			if tt.cert != nil {
				cert = tt.cert
			}
			if tt.key != nil {
				key = tt.key
			}
			if tt.noKey {
				key = nil
			}
			sig, err := BuildSignature(tt.opts, cert, key)
			if sig != nil {
				t.Error("a signature came back with the error")
			}
			reason := tt.reason
			if reason == 0 {
				reason = InvalidOptions
			}
			wantReason(t, err, reason)
			if err != nil && !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
		})
	}
	t.Run("timestamp fails", func(t *testing.T) {
		o := validSignatureOptions(t, p)
		o.TimeStamp = func([]byte) ([]byte, error) { return nil, errors.New("TSA unreachable") }
		if _, err := BuildSignature(o, p.signerCert, p.signerKey); err == nil || !strings.Contains(err.Error(), "TSA unreachable") {
			t.Errorf("error %v, want the TSA's", err)
		}
	})
}

package seal

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

func validOptions(t *testing.T, p *testPKI) NewSealOptions {
	t.Helper()
	return NewSealOptions{
		ESID:        "11010500000001",
		Name:        "北京市海淀区测试审批专用章",
		SignerCerts: [][]byte{p.signerCert},
		CreateDate:  time.Date(2024, 5, 1, 8, 30, 15, 999, time.FixedZone("CST", 8*3600)),
		ValidStart:  time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		ValidEnd:    time.Date(2029, 5, 1, 0, 0, 0, 0, time.UTC),
		Picture:     testPicture(t),
	}
}

func TestBuildSealRoundTrip(t *testing.T) {
	p := newTestPKI(t)
	opts := validOptions(t, p)
	opts.SignerCerts = append(opts.SignerCerts, p.otherCert)
	opts.Extensions = []Extension{{ID: "1.2.156.112600.7.1", Value: []byte("x")}, {ID: "1.2.3", Critical: true, Value: nil}}
	s, err := BuildSeal(opts, p.makerCert, p.makerKey)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseSeal(s.Raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*Seal{s, again} {
		if got.Version != 4 || got.Header != (Header{ID: "ES", Version: 4, VendorID: DefaultVendorID}) {
			t.Errorf("version %d header %+v", got.Version, got.Header)
		}
		if got.ESID != opts.ESID || got.Name != opts.Name || got.Type != DefaultSealType || got.CertListType != CertListCertificates {
			t.Errorf("esID %q name %q type %d certListType %d", got.ESID, got.Name, got.Type, got.CertListType)
		}
		if len(got.Certs) != 2 || !bytes.Equal(got.Certs[0], p.signerCert) || !bytes.Equal(got.Certs[1], p.otherCert) {
			t.Error("certList differs")
		}
		wantTime(t, got.CreateDate, "2024-05-01T00:30:15Z")
		wantTime(t, got.ValidStart, "2024-05-01T00:00:00Z")
		wantTime(t, got.ValidEnd, "2029-05-01T00:00:00Z")
		if got.Picture.Type != "PNG" || !bytes.Equal(got.Picture.Data, opts.Picture.Data) || got.Picture.WidthMM != 40 || got.Picture.HeightMM != 40 {
			t.Errorf("picture %q %d×%d", got.Picture.Type, got.Picture.WidthMM, got.Picture.HeightMM)
		}
		if len(got.Extensions) != 2 || got.Extensions[0].Critical || !got.Extensions[1].Critical || got.Extensions[1].ID != "1.2.3" {
			t.Errorf("extensions %+v", got.Extensions)
		}
		if !bytes.Equal(got.MakerCert, p.makerCert) || got.SignAlgorithm != OIDSM2WithSM3 {
			t.Error("maker certificate or algorithm differs")
		}
		if len(got.Quirks) != 0 {
			t.Errorf("a built seal has quirks: %q", got.Quirks)
		}
		enc, err := got.VerifyMakerSignature()
		if err != nil || enc != smcrypto.EncodingDER {
			t.Errorf("maker signature: %v, %v", enc, err)
		}
		if ok, err := got.AllowsSigner(p.otherCert); !ok || err != nil {
			t.Errorf("AllowsSigner = %v, %v", ok, err)
		}
	}
	// Exactly DER: the strict standard-library reader accepts it and re-encoding gives the
	// same bytes (the SESeal layout of GB/T 38540: four elements, signedValue a BIT STRING).
	assertStrictDER(t, s.Raw)
	if !bytes.Equal(s.RawSealInfo, s.Raw[4:4+len(s.RawSealInfo)]) {
		t.Error("RawSealInfo is not the first element")
	}
}

// TestBuildSealOpenSSL checks the built seal with an independent implementation: OpenSSL parses
// the DER strictly and verifies the maker's SM2 signature over SES_SealInfo.
func TestBuildSealOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required for this test (the project's test command installs it)")
	}
	p := newTestPKI(t)
	s, err := BuildSeal(validOptions(t, p), p.makerCert, p.makerKey)
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
	sealPath := write("seal.der", s.Raw)
	out, err := exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", sealPath).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
	for _, want := range []string{":ES", ":11010500000001", "SM2-with-SM3", "BIT STRING", "GENERALIZEDTIME"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("asn1parse output lacks %q", want)
		}
	}
	cert, err := smcrypto.ParseCertificate(p.makerCert)
	if err != nil {
		t.Fatal(err)
	}
	certPath := write("maker.pem", smcrypto.EncodeCertificatePEM(cert))
	pubOut, err := exec.Command(openssl, "x509", "-in", certPath, "-pubkey", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, pubOut)
	}
	pubPath := write("maker.pub", pubOut)
	infoPath := write("info.der", s.RawSealInfo)
	sigPath := write("sig.der", s.SignedValue)
	out, err = exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", infoPath, "-sigfile", sigPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl does not verify the maker signature: %v\n%s", err, out)
	}
}

func TestBuildSealOptions(t *testing.T) {
	p := newTestPKI(t)
	bad := func(f func(o *NewSealOptions)) NewSealOptions {
		o := validOptions(t, p)
		f(&o)
		return o
	}
	tests := []struct {
		name   string
		opts   NewSealOptions
		cert   []byte
		key    crypto.Signer
		noKey  bool
		reason ErrorReason
		detail string
	}{
		{name: "esID too short", opts: bad(func(o *NewSealOptions) { o.ESID = "1101050000001" }), detail: "must be 14 digits"},
		{name: "esID with a letter", opts: bad(func(o *NewSealOptions) { o.ESID = "1101050000000A" }), detail: "must be 14 digits"},
		{name: "esID of no province", opts: bad(func(o *NewSealOptions) { o.ESID = "98010500000001" }), detail: "province code"},
		{name: "negative type", opts: bad(func(o *NewSealOptions) { o.Type = -1 }), detail: "negative"},
		{name: "empty name", opts: bad(func(o *NewSealOptions) { o.Name = "" }), detail: "name"},
		{name: "name not UTF-8", opts: bad(func(o *NewSealOptions) { o.Name = "\xff" }), detail: "name"},
		{name: "vendor not ASCII", opts: bad(func(o *NewSealOptions) { o.VendorID = "厂商" }), detail: "vendor ID"},
		{name: "no signer", opts: bad(func(o *NewSealOptions) { o.SignerCerts = nil }), detail: "no signer certificate"},
		{name: "signer not a certificate", opts: bad(func(o *NewSealOptions) { o.SignerCerts = [][]byte{[]byte("x")} }), detail: "signer certificate 1"},
		{name: "no validEnd", opts: bad(func(o *NewSealOptions) { o.ValidEnd = time.Time{} }), detail: "validEnd"},
		{name: "validEnd before validStart", opts: bad(func(o *NewSealOptions) { o.ValidEnd = o.ValidStart.Add(-time.Hour) }), detail: "validEnd"},
		{name: "date beyond GeneralizedTime", opts: bad(func(o *NewSealOptions) { o.ValidEnd = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), detail: "out of range"},
		{name: "picture not decodable", opts: bad(func(o *NewSealOptions) { o.Picture.Data = []byte("not a png") }), reason: BadPicture, detail: "PNG"},
		{name: "picture type not known", opts: bad(func(o *NewSealOptions) { o.Picture.Type = "PNG\x00" }), reason: BadPicture, detail: "use PNG"},
		{name: "picture type with a tab", opts: bad(func(o *NewSealOptions) { o.Picture.Type = "PNG\t" }), detail: "printable ASCII"},
		{name: "maker key signs with another key", opts: validOptions(t, p), key: mismatchedSigner{p.otherKey, p.makerKey.Public()}, reason: BadMakerSignature, detail: "does not verify"},
		{name: "maker key fails to sign", opts: validOptions(t, p), key: failingSigner{p.makerKey}, detail: "maker signature"},
		{name: "bad extension OID", opts: bad(func(o *NewSealOptions) { o.Extensions = []Extension{{ID: "1.x"}} }), detail: "extension ID"},
		{name: "extension OID of one arc", opts: bad(func(o *NewSealOptions) { o.Extensions = []Extension{{ID: "1"}} }), detail: "extension ID"},
		{name: "extension OID first arc 3", opts: bad(func(o *NewSealOptions) { o.Extensions = []Extension{{ID: "3.1"}} }), detail: "extension ID"},
		{name: "maker certificate garbage", opts: validOptions(t, p), cert: []byte("x"), detail: "maker certificate"},
		{name: "maker key does not match", opts: validOptions(t, p), key: p.otherKey, detail: "does not match"},
		{name: "no maker key", opts: validOptions(t, p), noKey: true, detail: "not an SM2 key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := p.makerCert
			if tt.cert != nil {
				cert = tt.cert
			}
			key := p.makerKey
			if tt.key != nil {
				key = tt.key
			}
			if tt.noKey {
				key = nil
			}
			s, err := BuildSeal(tt.opts, cert, key)
			if s != nil {
				t.Error("a seal came back with the error")
			}
			reason := tt.reason
			if reason == 0 {
				reason = InvalidOptions
			}
			wantReason(t, err, reason)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
		})
	}
}

func TestBuildSealDefaults(t *testing.T) {
	p := newTestPKI(t)
	opts := validOptions(t, p)
	opts.CreateDate, opts.ValidStart = time.Time{}, time.Time{}
	opts.Type, opts.VendorID = 15, "GOV-TEST"
	before := time.Now().Add(-time.Second)
	s, err := BuildSeal(opts, p.makerCert, p.makerKey)
	if err != nil {
		t.Fatal(err)
	}
	if s.CreateDate.Before(before.Truncate(time.Second)) || s.CreateDate.After(time.Now()) || !s.ValidStart.Equal(s.CreateDate) {
		t.Errorf("createDate %s validStart %s", s.CreateDate, s.ValidStart)
	}
	if s.Type != 15 || s.Header.VendorID != "GOV-TEST" {
		t.Errorf("type %d vendor %q", s.Type, s.Header.VendorID)
	}
}

func TestNewESID(t *testing.T) {
	tests := []struct {
		region string
		seq    uint32
		want   string
		detail string
	}{
		{"110105", 1, "11010500000001", ""},
		{"530112", 556, "53011200000556", ""},
		{"820000", 99_999_999, "82000099999999", ""},
		{"110105", 100_000_000, "", "more than 8 digits"},
		{"11010", 1, "", "must be 6 digits"},
		{"11010X", 1, "", "must be 6 digits"},
		{"000000", 1, "", "province code"},
		{"910105", 1, "", "province code"},
		{"999999", 1, "99999900000001", ""}, // the demo region's prefix
	}
	for _, tt := range tests {
		got, err := NewESID(tt.region, tt.seq)
		if tt.detail == "" {
			if err != nil || got != tt.want {
				t.Errorf("NewESID(%q, %d) = %q, %v; want %q", tt.region, tt.seq, got, err, tt.want)
			}
			if err := ValidateESID(got); err != nil {
				t.Errorf("ValidateESID(%q): %v", got, err)
			}
			continue
		}
		wantReason(t, err, InvalidOptions)
		if !strings.Contains(err.Error(), tt.detail) {
			t.Errorf("NewESID(%q, %d): %v; want %q", tt.region, tt.seq, err, tt.detail)
		}
	}
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// The GB/T 38540 version 4 SESeal as encoding/asn1 structures: an independent, strict DER
// reader and writer to hold BuildSeal's output against.
type (
	strictHeader struct {
		ID      string `asn1:"ia5"`
		Version int
		Vid     string `asn1:"ia5"`
	}
	strictProperty struct {
		Type         int
		Name         string `asn1:"utf8"`
		CertListType int
		CertList     [][]byte
		CreateDate   time.Time `asn1:"generalized"`
		ValidStart   time.Time `asn1:"generalized"`
		ValidEnd     time.Time `asn1:"generalized"`
	}
	strictPicture struct {
		Type          string `asn1:"ia5"`
		Data          []byte
		Width, Height int
	}
	strictExtension struct {
		ID       asn1.ObjectIdentifier
		Critical bool `asn1:"optional"`
		Value    []byte
	}
	strictSealInfo struct {
		Header   strictHeader
		ESID     string `asn1:"ia5"`
		Property strictProperty
		Picture  strictPicture
		Ext      []strictExtension `asn1:"optional"`
	}
	strictSeal struct {
		Info   strictSealInfo
		Cert   []byte
		Alg    asn1.ObjectIdentifier
		Signed asn1.BitString
	}
)

func assertStrictDER(t *testing.T, der []byte) {
	t.Helper()
	var s strictSeal
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil || len(rest) != 0 {
		t.Fatalf("not a strict GB/T 38540 SESeal: %v (%d bytes left)", err, len(rest))
	}
	if s.Signed.BitLength%8 != 0 || s.Alg.String() != OIDSM2WithSM3 || s.Info.Header.Version != 4 {
		t.Errorf("bit length %d, algorithm %s, version %d", s.Signed.BitLength, s.Alg, s.Info.Header.Version)
	}
	again, err := asn1.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, der) {
		t.Error("re-encoding with encoding/asn1 gives different bytes: not DER")
	}
}

// failingSigner is an SM2 key whose device refuses to sign (an HSM that is offline, say).
type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("device offline")
}

// mismatchedSigner reports one public key and signs with another (a misconfigured device).
type mismatchedSigner struct {
	crypto.Signer
	pub crypto.PublicKey
}

func (m mismatchedSigner) Public() crypto.PublicKey { return m.pub }

// TestVerifyMakerSignatureWithCert: with the maker certificate already parsed, the result is the
// same as VerifyMakerSignature's; another certificate, or a non-SM2 one, is refused.
func TestVerifyMakerSignatureWithCert(t *testing.T) {
	p := newTestPKI(t)
	s, err := BuildSeal(validOptions(t, p), p.makerCert, p.makerKey)
	if err != nil {
		t.Fatal(err)
	}
	maker, err := smcrypto.ParseCertificate(p.makerCert)
	if err != nil {
		t.Fatal(err)
	}
	want, wantErr := s.VerifyMakerSignature()
	if got, err := s.VerifyMakerSignatureWithCert(maker); got != want || (err == nil) != (wantErr == nil) || err != nil {
		t.Errorf("WithCert = %v, %v; VerifyMakerSignature = %v, %v", got, err, want, wantErr)
	}
	other, err := smcrypto.ParseCertificate(p.otherCert)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifyMakerSignatureWithCert(other)
	wantReason(t, err, BadCertificate)
	_, err = s.VerifyMakerSignatureWithCert(nil)
	wantReason(t, err, BadCertificate)
	rsaLike := *maker
	rsaLike.PublicKey = "not a key"
	_, err = s.VerifyMakerSignatureWithCert(&rsaLike)
	wantReason(t, err, BadCertificate)

	// A tampered seal fails the same way through both.
	tampered := *s
	tampered.RawSealInfo = append([]byte(nil), s.RawSealInfo...)
	tampered.RawSealInfo[len(tampered.RawSealInfo)-1] ^= 1
	_, err = tampered.VerifyMakerSignatureWithCert(maker)
	wantReason(t, err, BadMakerSignature)
}

package status

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

var now = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func newRoot(t *testing.T, name string) (*smcrypto.Certificate, *smcrypto.Certificate, func(Status) []byte) {
	t.Helper()
	key, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true}, key.Public(), nil, key)
	if err != nil {
		t.Fatal(err)
	}
	return root, root, func(st Status) []byte {
		body, err := Sign(st, key, []*smcrypto.Certificate{root})
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
}

func TestSignVerify(t *testing.T) {
	root, _, sign := newRoot(t, "杭州市根CA")
	other, _, _ := newRoot(t, "另一地区根CA")
	st := Status{Type: "seal", ID: "33010000000001", State: "revoked", Reason: "keyCompromise",
		RevokedAt: now.Add(-time.Hour), ProducedAt: now, NextUpdate: now.Add(24 * time.Hour)}
	body := sign(st)

	got, err := Verify(body, []*smcrypto.Certificate{root}, now)
	if err != nil || *got != st {
		t.Fatalf("round trip: %+v %v", got, err)
	}

	tamper := func(f func(*Signed)) []byte {
		var s Signed
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		f(&s)
		out, _ := json.Marshal(s)
		return out
	}
	good := st
	good.State = "good"
	goodPayload, _ := json.Marshal(good)

	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256DER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1),
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, &x509.Certificate{SerialNumber: big.NewInt(1)}, &p256.PublicKey, p256)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		body  []byte
		roots []*smcrypto.Certificate
		at    time.Time
		want  string
	}{
		{"a revoked status turned good", tamper(func(s *Signed) { s.Payload = base64.StdEncoding.EncodeToString(goodPayload) }), []*smcrypto.Certificate{root}, now, "does not verify"},
		{"another region's root", body, []*smcrypto.Certificate{other}, now, "does not chain"},
		{"no roots", body, nil, now, "does not chain"},
		{"stale", body, []*smcrypto.Certificate{root}, now.Add(25 * time.Hour), "stale"},
		{"not JSON", []byte("<html>"), []*smcrypto.Certificate{root}, now, "not a signed status"},
		{"bad base64", tamper(func(s *Signed) { s.Signature = "!!" }), []*smcrypto.Certificate{root}, now, "malformed"},
		{"no certificates", tamper(func(s *Signed) { s.Certificates = nil }), []*smcrypto.Certificate{root}, now, "malformed"},
		{"garbage certificate", tamper(func(s *Signed) { s.Certificates = []string{"AAAA"} }), []*smcrypto.Certificate{root}, now, "certificate 0"},
		{"a P-256 signer", tamper(func(s *Signed) { s.Certificates = []string{base64.StdEncoding.EncodeToString(p256DER)} }), []*smcrypto.Certificate{root}, now, "not an SM2 key"},
		{"truncated signature", tamper(func(s *Signed) { s.Signature = s.Signature[:8] }), []*smcrypto.Certificate{root}, now, "does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.body, tc.roots, tc.at)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := Sign(st, nil, nil); err == nil {
		t.Error("Sign without a chain: no error")
	}
}

// FuzzVerify: whatever a remote server answers, Verify returns an error or a status, never panics.
func FuzzVerify(f *testing.F) {
	root, _, sign := func() (*smcrypto.Certificate, *smcrypto.Certificate, func(Status) []byte) {
		key, _ := smcrypto.GenerateKey()
		root, _ := smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "root"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true}, key.Public(), nil, key)
		return root, root, func(st Status) []byte { b, _ := Sign(st, key, []*smcrypto.Certificate{root}); return b }
	}()
	f.Add(sign(Status{Type: "licence", ID: "x", State: "in_force", ProducedAt: now, NextUpdate: now.Add(time.Hour)}))
	f.Add([]byte(`{"payload":"e30=","signature":"","certificates":["AA=="]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := Verify(body, []*smcrypto.Certificate{root}, now)
		if err == nil && st == nil {
			t.Fatal("no error and no status")
		}
	})
}

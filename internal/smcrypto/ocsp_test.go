package smcrypto

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TestOCSPWithOpenSSL: OpenSSL's requests (SHA-1, SHA-256 and SM3 CertIDs, with and without a
// nonce) are read and recognised as the CA's; the SM2-signed responses (good, revoked with a
// reason, unknown) parse back, verify, and OpenSSL reads them (openssl ocsp -respin) and verifies
// their signature value.
func TestOCSPWithOpenSSL(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	interPEM := writeFile(t, dir, "inter.pem", EncodeCertificatePEM(p.inter))
	leafPEM := writeFile(t, dir, "leaf.pem", EncodeCertificatePEM(p.leaf))
	for _, digest := range []struct {
		flag string
		oid  OID
	}{{"-sha1", OIDSHA1}, {"-sha256", OIDSHA256}, {"-sm3", OIDSM3}} {
		for _, nonce := range []string{"-no_nonce", "-nonce"} {
			reqPath := writeFile(t, dir, "req.der", nil)
			runOpenSSL(t, nil, "ocsp", "-issuer", interPEM, digest.flag, "-cert", leafPEM, nonce, "-reqout", reqPath)
			der := readFile(t, reqPath)
			req, err := ParseOCSPRequest(der)
			if err != nil {
				t.Fatalf("%s %s: %v", digest.flag, nonce, err)
			}
			if req.CertID.HashAlgorithm != digest.oid || req.CertID.SerialNumber.Cmp(p.leaf.SerialNumber) != 0 || !req.CertID.IssuedBy(p.inter) || req.CertID.IssuedBy(p.root) {
				t.Errorf("%s %s: %+v", digest.flag, nonce, req.CertID)
			}
		}
	}

	id, err := NewOCSPCertID(p.inter, p.leaf.SerialNumber, OIDSHA1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		single OCSPSingleResponse
		want   []string
	}{
		{OCSPSingleResponse{CertID: id, Status: OCSPGood, Reason: -1, ThisUpdate: testNow, NextUpdate: testNow.Add(24 * time.Hour)}, []string{"Cert Status: good"}},
		{OCSPSingleResponse{CertID: id, Status: OCSPRevoked, RevokedAt: testNow.Add(-time.Hour), Reason: 1, ThisUpdate: testNow, NextUpdate: testNow.Add(24 * time.Hour)},
			[]string{"Cert Status: revoked", "Revocation Reason: keyCompromise"}},
		{OCSPSingleResponse{CertID: id, Status: OCSPRevoked, RevokedAt: testNow.Add(-time.Hour), Reason: -1, ThisUpdate: testNow}, []string{"Cert Status: revoked"}},
		{OCSPSingleResponse{CertID: id, Status: OCSPUnknown, Reason: -1, ThisUpdate: testNow, NextUpdate: testNow.Add(time.Hour)}, []string{"Cert Status: unknown"}},
	} {
		der, err := CreateOCSPResponse(tc.single, testNow, p.inter, p.interKey)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ParseOCSPResponse(der)
		if err != nil {
			t.Fatalf("%v: %v", tc.single.Status, err)
		}
		got := resp.Single
		if resp.Status != 0 || got.Status != tc.single.Status || got.Reason != tc.single.Reason || !got.RevokedAt.Equal(tc.single.RevokedAt) ||
			!got.ThisUpdate.Equal(tc.single.ThisUpdate) || !got.NextUpdate.Equal(tc.single.NextUpdate) || !resp.ProducedAt.Equal(testNow) ||
			got.CertID.SerialNumber.Cmp(p.leaf.SerialNumber) != 0 || !got.CertID.IssuedBy(p.inter) || len(resp.Certificates) != 1 {
			t.Errorf("%v: parsed back %+v", tc.single.Status, resp)
		}
		if err := resp.CheckSignatureFrom(p.inter); err != nil {
			t.Errorf("%v: signature: %v", tc.single.Status, err)
		}
		if err := resp.CheckSignatureFrom(p.root); err == nil {
			t.Errorf("%v: verifies with another key", tc.single.Status)
		}
		out := runOpenSSL(t, nil, "ocsp", "-respin", writeFile(t, dir, "resp.der", der), "-resp_text", "-noverify")
		for _, w := range append(tc.want, "OCSP Response Status: successful", "Response Type: Basic OCSP Response", "Signature Algorithm: SM2-with-SM3", "Responder Id:") {
			if !strings.Contains(string(out), w) {
				t.Errorf("%v: openssl ocsp -resp_text lacks %q:\n%s", tc.single.Status, w, out)
			}
		}
		pub := runOpenSSL(t, nil, "x509", "-in", interPEM, "-pubkey", "-noout")
		out = runOpenSSL(t, nil, "pkeyutl", "-verify", "-pubin", "-inkey", writeFile(t, dir, "pub.pem", pub), "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+DefaultSignerID, "-in", writeFile(t, dir, "tbs.der", resp.TBS), "-sigfile", writeFile(t, dir, "sig.der", resp.Signature))
		if !strings.Contains(string(out), "Signature Verified Successfully") {
			t.Errorf("%v: openssl does not verify the signature:\n%s", tc.single.Status, out)
		}
	}
	for _, status := range []int{OCSPMalformedRequest, OCSPInternalError, OCSPTryLater, OCSPUnauthorized} {
		resp, err := ParseOCSPResponse(OCSPErrorResponse(status))
		if err != nil || resp.Status != status {
			t.Errorf("error response %d: %+v %v", status, resp, err)
		}
		// OpenSSL reads it, reports the responder's error, and exits 1.
		failed, out := openSSLFails(t, "ocsp", "-respin", writeFile(t, dir, "err.der", OCSPErrorResponse(status)), "-resp_text", "-noverify")
		if !failed || !bytes.Contains(out, []byte("Responder Error: ")) || !bytes.Contains(out, []byte(fmt.Sprintf("(%d)", status))) {
			t.Errorf("openssl on error response %d:\n%s", status, out)
		}
	}
}

func TestOCSPRequestErrors(t *testing.T) {
	p := newTestPKI(t)
	id, _ := NewOCSPCertID(p.inter, big.NewInt(7), OIDSHA1)
	good, err := MarshalOCSPRequest(id)
	if err != nil {
		t.Fatal(err)
	}
	if req, err := ParseOCSPRequest(good); err != nil || req.CertID.SerialNumber.Int64() != 7 {
		t.Fatalf("round trip: %+v %v", req, err)
	}
	// Two certificates in one request.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for range 2 {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addOCSPCertID(b, id) })
				}
			})
		})
	})
	two := b.BytesOrPanic()
	if _, err := NewOCSPCertID(p.inter, big.NewInt(1), OIDSHA512); err == nil {
		t.Error("a SHA-512 CertID: no error")
	}
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, "malformed"},
		{"trailing data", append(append([]byte(nil), good...), 0), "malformed"},
		{"truncated", good[:len(good)-3], "malformed"},
		{"two certificates", two, "several certificates"},
		{"too large", make([]byte, MaxOCSPRequestSize+1), "larger than"},
		{"not DER", []byte("GET / HTTP/1.1\r\n"), "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseOCSPRequest(tc.der); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := ParseOCSPResponse([]byte{0x30, 0x03, 0x0a, 0x01}); err == nil {
		t.Error("a truncated response: no error")
	}
}

func FuzzParseOCSPRequest(f *testing.F) {
	p := newTestPKI(f)
	id, _ := NewOCSPCertID(p.inter, p.leaf.SerialNumber, OIDSM3)
	req, _ := MarshalOCSPRequest(id)
	f.Add(req)
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := ParseOCSPRequest(der)
		if err == nil && (r == nil || r.CertID.SerialNumber == nil) {
			t.Fatal("no error and no request")
		}
	})
}

func FuzzParseOCSPResponse(f *testing.F) {
	p := newTestPKI(f)
	id, _ := NewOCSPCertID(p.inter, p.leaf.SerialNumber, OIDSHA1)
	der, _ := CreateOCSPResponse(OCSPSingleResponse{CertID: id, Status: OCSPRevoked, Reason: 1, RevokedAt: testNow, ThisUpdate: testNow, NextUpdate: testNow.Add(time.Hour)}, testNow, p.inter, p.interKey)
	f.Add(der)
	f.Add(OCSPErrorResponse(OCSPTryLater))
	f.Fuzz(func(t *testing.T, der []byte) {
		if r, err := ParseOCSPResponse(der); err == nil {
			r.CheckSignatureFrom(p.inter)
		}
	})
}

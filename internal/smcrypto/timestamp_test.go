package smcrypto

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBuildTimestampToken: a token OpenSSL 3 reads as RFC 3161 (policy, serial, imprint, time),
// whose TSTInfo this package parses back, and which a SignedData carries as its signer's
// unsigned timeStampToken when built with TimeStamp.
func TestBuildTimestampToken(t *testing.T) {
	rootKey, tsaKey := mustKey(t), mustKey(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	root := mustCert(t, CertTemplate{Subject: pkix.Name{CommonName: "TS Root"}, IsCA: true, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0)}, rootKey.Public(), nil, rootKey)
	tsa := mustCert(t, CertTemplate{Subject: pkix.Name{CommonName: "某市 时间戳服务"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}, tsaKey.Public(), root, rootKey)
	imprint := SM3([]byte("a signature value"))
	token, err := BuildTimestampToken(TimestampOptions{ImprintAlgorithm: OIDSM3, Imprint: imprint[:], Serial: big.NewInt(4242), Policy: "1.2.156.3005.9.1", GenTime: now},
		tsaKey, []*Certificate{tsa, root})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := ParseSignedData(token)
	if err != nil {
		t.Fatal(err)
	}
	if sd.EncapContentType != OIDTSTInfo || len(sd.Content) == 0 || len(sd.Signers) != 1 {
		t.Fatalf("content type %s, %d content bytes", sd.EncapContentType, len(sd.Content))
	}
	if _, err := sd.Signers[0].VerifySignature(tsa); err != nil {
		t.Errorf("the TSA's signature: %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "token.der")
	if err := os.WriteFile(p, token, 0o644); err != nil {
		t.Fatal(err)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required (the test command installs it)")
	}
	out, err := exec.Command(openssl, "ts", "-reply", "-in", p, "-token_in", "-text").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ts: %v\n%s", err, out)
	}
	for _, want := range []string{"Policy OID: 1.2.156.3005.9.1", "Serial number: 0x1092", "May  1 12:00:00.5 2026 GMT", "Hash Algorithm: sm3",
		fmt.Sprintf("%02x %02x %02x %02x", imprint[0], imprint[1], imprint[2], imprint[3])} {
		if !bytes.Contains(bytes.ToUpper(out), bytes.ToUpper([]byte(want))) {
			t.Errorf("openssl ts -text lacks %q:\n%s", want, out)
		}
	}

	// Carried as an unsigned attribute of a signature, over its signature value.
	var stamped []byte
	der, err := BuildDetachedSignedData(imprint[:], tsaKey, []*Certificate{tsa, root}, SignedDataOptions{TimeStamp: func(v []byte) ([]byte, error) {
		stamped = v
		d := SM3(v)
		return BuildTimestampToken(TimestampOptions{ImprintAlgorithm: OIDSM3, Imprint: d[:], Serial: big.NewInt(1), Policy: "1.2.3", GenTime: now}, tsaKey, []*Certificate{tsa})
	}})
	if err != nil {
		t.Fatal(err)
	}
	sd, err = ParseSignedData(der)
	if err != nil {
		t.Fatal(err)
	}
	if si := sd.Signers[0]; si.TimestampToken == nil || !bytes.Equal(si.Signature, stamped) {
		t.Errorf("timeStampToken %d bytes, over the signature value: %v", len(si.TimestampToken), bytes.Equal(si.Signature, stamped))
	}
	// Bad options.
	for _, o := range []TimestampOptions{
		{ImprintAlgorithm: OIDSM3, Imprint: imprint[:], Policy: "1.2.3", GenTime: now},
		{ImprintAlgorithm: OIDSM3, Imprint: []byte("short"), Serial: big.NewInt(1), Policy: "1.2.3", GenTime: now},
		{ImprintAlgorithm: OIDSM3, Imprint: imprint[:], Serial: big.NewInt(1), GenTime: now},
	} {
		if _, err := BuildTimestampToken(o, tsaKey, []*Certificate{tsa}); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

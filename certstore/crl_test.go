package certstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// TestCRL: every revocation reissues the region's CRL in its transaction; the CRL lists each
// revoked certificate with its reason and invalidity date, its number grows, and it verifies
// with the region root, in smcrypto and, by its signature value, in OpenSSL 3, which also parses
// it.
func TestCRL(t *testing.T) {
	s := initTest(t)
	region, err := s.Region()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	if _, err := s.LatestCRL(issuer); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before any: %v", err)
	}
	first, err := s.IssueCRL()
	if err != nil || first.Number != 1 || first.Entries != 0 || !first.NextUpdate.Equal(testNow.Add(CRLValidity)) {
		t.Fatalf("empty CRL: %+v %v", first, err)
	}
	a, _, _ := newTestSeal(t, s)
	b, _, _ := newTestSeal(t, s)
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: a.SignerSerial, Reason: verify.ReasonKeyCompromise, InvalidityDate: testNow.Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: b.SignerSerial, Reason: verify.ReasonCessationOfOperation}); err != nil {
		t.Fatal(err)
	}
	latest, err := s.LatestCRL(strings.ToUpper(issuer))
	if err != nil || latest.Number != 3 || latest.Entries != 2 {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	crl, err := smcrypto.ParseCRL(latest.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(root); err != nil {
		t.Errorf("the CRL's signature: %v", err)
	}
	if crl.Number.Int64() != 3 || !crl.ThisUpdate.Equal(testNow) || len(crl.RevokedCertificateEntries) != 2 {
		t.Errorf("CRL number %v, thisUpdate %v, %d entries", crl.Number, crl.ThisUpdate, len(crl.RevokedCertificateEntries))
	}
	reasons := map[string]int{}
	for _, e := range crl.RevokedCertificateEntries {
		reasons[smcrypto.SerialHex(e.SerialNumber)] = e.ReasonCode
	}
	if reasons[a.SignerSerial] != int(verify.ReasonKeyCompromise) || reasons[b.SignerSerial] != int(verify.ReasonCessationOfOperation) {
		t.Errorf("reasons %v", reasons)
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required (the test command installs it)")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := exec.Command(openssl, "crl", "-inform", "DER", "-in", write("root.crl", latest.DER), "-text", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl crl: %v\n%s", err, out)
	}
	for _, want := range []string{"X509v3 CRL Number", "3", "Key Compromise", "Cessation Of Operation", "Invalidity Date", strings.ToUpper(a.SignerSerial)} {
		if !bytes.Contains(bytes.ToUpper(out), bytes.ToUpper([]byte(want))) {
			t.Errorf("openssl crl -text lacks %q:\n%s", want, out)
		}
	}
	pub, err := exec.Command(openssl, "x509", "-inform", "DER", "-in", write("root.der", region.RootCert), "-pubkey", "-noout").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, pub)
	}
	out, err = exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", write("root.pub", pub), "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", write("tbs.der", crl.RawTBSRevocationList), "-sigfile", write("sig.der", crl.Signature)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Errorf("openssl does not verify the CRL's signature: %v\n%s", err, out)
	}
}

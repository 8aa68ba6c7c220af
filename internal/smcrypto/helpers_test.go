package smcrypto

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a small SM2 hierarchy: root → intermediate → leaf.
type testPKI struct {
	rootKey, interKey, leafKey crypto.Signer
	root, inter, leaf          *Certificate
}

var testNow = time.Now().Truncate(time.Second)

func mustKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCert(t testing.TB, tmpl CertTemplate, pub crypto.PublicKey, issuer *Certificate, issuerKey crypto.Signer) *Certificate {
	t.Helper()
	c, err := CreateCertificate(tmpl, pub, issuer, issuerKey)
	if err != nil {
		t.Fatalf("CreateCertificate(%s): %v", tmpl.Subject.CommonName, err)
	}
	return c
}

func caTemplate(cn string) CertTemplate {
	return CertTemplate{
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"eseal test"}, Country: []string{"CN"}},
		NotBefore: testNow.Add(-24 * time.Hour), NotAfter: testNow.Add(365 * 24 * time.Hour),
		IsCA: true,
	}
}

func leafTemplate(cn string) CertTemplate {
	return CertTemplate{
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"eseal test"}, Country: []string{"CN"}},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{rootKey: mustKey(t), interKey: mustKey(t), leafKey: mustKey(t)}
	p.root = mustCert(t, caTemplate("Test Root 测试根"), p.rootKey.Public(), nil, p.rootKey)
	p.inter = mustCert(t, caTemplate("Test Region CA"), p.interKey.Public(), p.root, p.rootKey)
	p.leaf = mustCert(t, leafTemplate("Test Seal 公章"), p.leafKey.Public(), p.inter, p.interKey)
	return p
}

// requireOpenSSL returns the openssl path; the test FAILS (not skips) if it is missing, because
// the project's test command installs it.
func requireOpenSSL(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl (3.x) is required for this oracle test and was not found in PATH: %v", err)
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "OpenSSL 3") {
		t.Fatalf("OpenSSL 3 is required for this oracle test, found %q (%v)", out, err)
	}
	return path
}

// runOpenSSL runs openssl with args and returns combined output, failing on a non-zero exit.
func runOpenSSL(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(requireOpenSSL(t), args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// openSSLFails runs openssl and reports whether it exited non-zero.
func openSSLFails(t testing.TB, args ...string) (bool, []byte) {
	t.Helper()
	out, err := exec.Command(requireOpenSSL(t), args...).CombinedOutput()
	return err != nil, out
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

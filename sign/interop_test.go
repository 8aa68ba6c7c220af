package sign

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
)

// BouncyCastle is the CMS library most Java government systems verify signatures with. The
// jars are Debian's (libbcprov-java, libbcpkix-java, libbcutil-java), which the test command
// installs with a headless JDK.
var bcJars = []string{"/usr/share/java/bcprov.jar", "/usr/share/java/bcpkix.jar", "/usr/share/java/bcutil.jar"}

var (
	bcOnce sync.Once
	bcDir  string
	bcErr  error
)

// bouncyCastle compiles testdata/bc/VerifyCMS.java once and returns the classpath to run it.
func bouncyCastle(t *testing.T) string {
	t.Helper()
	javac := requireTool(t, "javac")
	requireTool(t, "java")
	for _, j := range bcJars {
		if _, err := os.Stat(j); err != nil {
			t.Fatalf("BouncyCastle is required by this test (%v); the test command installs libbcprov-java, libbcpkix-java and libbcutil-java", err)
		}
	}
	bcOnce.Do(func() {
		bcDir, bcErr = os.MkdirTemp("", "eseal-bc-")
		if bcErr != nil {
			return
		}
		out, err := exec.Command(javac, "-d", bcDir, "-cp", strings.Join(bcJars, ":"), "testdata/bc/VerifyCMS.java").CombinedOutput()
		if err != nil {
			bcErr = &exec.ExitError{Stderr: out}
		}
	})
	if bcErr != nil {
		t.Fatalf("compiling VerifyCMS.java: %v", bcErr)
	}
	return strings.Join(append([]string{bcDir}, bcJars...), ":")
}

// bcVerify runs BouncyCastle's standard CMS verification of a PDF signature: the signed
// bytes as the detached content.
func bcVerify(t *testing.T, classpath string, content, cms []byte) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	cp, cf := filepath.Join(dir, "content.bin"), filepath.Join(dir, "cms.der")
	if err := os.WriteFile(cp, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cf, cms, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("java", "-cp", classpath, "VerifyCMS", cp, cf).CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil
}

// signedParts returns the signed bytes and the CMS (without its zero padding) of the
// signature of field field in data.
func signedParts(t *testing.T, data []byte, field string) (content, cms []byte) {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Signatures {
		if s.FieldName != field && field != "" {
			continue
		}
		br := s.ByteRange
		content = append(bytes.Clone(data[br[0]:br[0]+br[1]]), data[br[2]:br[2]+br[3]]...)
		return content, trimDER(t, s.Contents)
	}
	t.Fatalf("no signature field %q", field)
	return nil, nil
}

// trimDER cuts the padding after a DER element.
func trimDER(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[1] < 0x80 {
		return b[:2+int(b[1])]
	}
	n := int(b[1] & 0x7f)
	l := 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return b[:2+n+l]
}

// TestInteropBouncyCastleOpenSSL: our signatures verify in the verifiers others run.
// BouncyCastle's standard CMS verification accepts the PKCS#7-convention signature as it is,
// as it accepts the PKCS#7 SM2 signatures in the wild (corpus pdf-06); for the GM/T 0010
// convention it knows no sm2-1 (1.2.156.10197.1.301.1), which GM/T 0010 prescribes, and
// fails on ours exactly as on the GM/T 0010 signatures in the wild (corpus pdf-15). OpenSSL 3
// checks, in both conventions, the SM3 of the signed bytes against the messageDigest and the
// SM2 signature over the signed attributes with the standard signer ID, and reads the PKCS#7
// structure with cms -cmsout.
func TestInteropBouncyCastleOpenSSL(t *testing.T) {
	classpath := bouncyCastle(t)
	const gmtFailure = "Unknown signature type requested: SM3WITH1.2.156.10197.1.301.1"
	for _, wild := range []struct {
		file string
		ok   bool
	}{{"pdf-06.pdf", true}, {"pdf-15.pdf", false}} {
		data := mustRead(t, filepath.Join("..", "verify", "testdata", "corpus", wild.file))
		content, cms := signedParts(t, data, "")
		out, ok := bcVerify(t, classpath, content, cms)
		if ok != wild.ok || (!ok && !strings.Contains(out, gmtFailure)) {
			t.Errorf("BouncyCastle on the corpus %s: %v, %s", wild.file, ok, out)
		}
	}
	openssl := requireTool(t, "openssl")
	for _, conv := range []smcrypto.CMSConvention{smcrypto.ConventionPKCS7, smcrypto.ConventionGMT0010} {
		t.Run(conv.String(), func(t *testing.T) {
			s := newSealer(t, "互认测试专用章", "11010800000061")
			data, res, _ := sealFile(t, "testdata/licence.pdf", s, PDFOptions{Convention: conv, Now: fixedClock})
			content, cms := signedParts(t, data, res.FieldName)
			out, ok := bcVerify(t, classpath, content, cms)
			switch {
			case conv == smcrypto.ConventionPKCS7 && (!ok || out != "verified"):
				t.Errorf("BouncyCastle rejects our PKCS#7-convention signature: %s", out)
			case conv == smcrypto.ConventionGMT0010 && (ok || !strings.Contains(out, gmtFailure)):
				t.Errorf("BouncyCastle on our GM/T 0010 signature: %v, %s (expected to fail as on pdf-15)", ok, out)
			}
			// A changed byte must fail in BouncyCastle, or it proves nothing.
			if conv == smcrypto.ConventionPKCS7 {
				bad := bytes.Clone(content)
				bad[len(bad)/2] ^= 1
				if out, ok := bcVerify(t, classpath, bad, cms); ok {
					t.Errorf("BouncyCastle accepted changed bytes: %s", out)
				}
			}

			// OpenSSL: SM3 of the signed bytes, the signed messageDigest.
			dir := t.TempDir()
			cp := filepath.Join(dir, "content.bin")
			if err := os.WriteFile(cp, content, 0o600); err != nil {
				t.Fatal(err)
			}
			dgst, err := exec.Command(openssl, "dgst", "-sm3", "-r", cp).Output()
			if err != nil {
				t.Fatalf("openssl dgst: %v", err)
			}
			var c checkedSignature
			for _, sig := range readSignatures(t, data) {
				if sig.field == res.FieldName {
					c = verifySignature(t, data, sig)
				}
			}
			if got := strings.Fields(string(dgst))[0]; got != hex.EncodeToString(c.si.MessageDigest) {
				t.Errorf("openssl SM3 %s, messageDigest %x", got, c.si.MessageDigest)
			}
			opensslVerify(t, c)
			if conv == smcrypto.ConventionPKCS7 {
				cf := filepath.Join(dir, "cms.der")
				if err := os.WriteFile(cf, cms, 0o600); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", cf).CombinedOutput()
				if err != nil || !bytes.Contains(out, []byte("1.2.156.10197.1.501")) && !bytes.Contains(out, []byte("SM2-with-SM3")) {
					t.Errorf("openssl cms -cmsout -print: %v\n%s", err, out)
				}
			}
		})
	}
}

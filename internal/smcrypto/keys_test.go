package smcrypto

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	pkcs12 "github.com/emmansun/go-pkcs12"
)

func samePublic(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

func TestPKCS8RoundTrip(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	keys := map[string]crypto.Signer{"SM2": mustKey(t), "ECDSA P-384": ec, "RSA": rk}
	for name, key := range keys {
		t.Run(name, func(t *testing.T) {
			out, err := MarshalPKCS8PrivateKey(key, []byte("pass word"))
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(out)
			if block == nil || block.Type != "ENCRYPTED PRIVATE KEY" {
				t.Fatalf("not an ENCRYPTED PRIVATE KEY PEM: %q", out[:40])
			}
			for form, in := range map[string][]byte{"PEM": out, "DER": block.Bytes} {
				got, err := ParsePKCS8PrivateKey(in, []byte("pass word"))
				if err != nil {
					t.Fatalf("%s: %v", form, err)
				}
				if !samePublic(got.Public(), key.Public()) {
					t.Fatalf("%s: parsed key differs", form)
				}
			}
			if _, err := ParsePKCS8PrivateKey(out, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("wrong passphrase: %v", err)
			}
			if _, err := ParsePKCS8PrivateKey(out, nil); !errors.Is(err, ErrPassphraseRequired) {
				t.Errorf("no passphrase: %v", err)
			}
		})
	}
	// An SM2 key comes back as a key that signs SM2 (with Z), not plain ECDSA.
	k := mustKey(t)
	out, _ := MarshalPKCS8PrivateKey(k, []byte("x"))
	got, err := ParsePKCS8PrivateKey(out, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := SignSM2(got, nil, []byte("msg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySM2(k.Public().(*ecdsa.PublicKey), nil, []byte("msg"), sig); err != nil {
		t.Errorf("re-read SM2 key does not sign SM2: %v", err)
	}
}

func TestPKCS8WrongPassphraseManyTimes(t *testing.T) {
	// A wrong passphrase sometimes yields valid padding (about 1 in 256): that must still be
	// reported as a wrong passphrase, not as a parse error.
	k := mustKey(t)
	der, err := MarshalPKCS8PrivateKey(k, []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		_, err := ParsePKCS8PrivateKey(der, []byte{byte(i), 'w'})
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
}

func TestMarshalPKCS8Errors(t *testing.T) {
	if _, err := MarshalPKCS8PrivateKey(mustKey(t), nil); err == nil {
		t.Error("empty passphrase accepted")
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := MarshalPKCS8PrivateKey(edKey, []byte("x")); err == nil {
		t.Error("Ed25519 key accepted")
	}
	if _, err := MarshalPKCS8PrivateKey(nil, []byte("x")); err == nil {
		t.Error("nil key accepted")
	}
}

func TestParsePrivateKeyForms(t *testing.T) {
	k := mustKey(t).(*sm2.PrivateKey)
	plain, err := smx509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := smx509.MarshalECPrivateKey(&k.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs1 := smx509.MarshalPKCS1PrivateKey(rk)
	cases := map[string]struct {
		in  []byte
		pub crypto.PublicKey
	}{
		"PKCS#8 PEM":      {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: plain}), k.Public()},
		"PKCS#8 DER":      {plain, k.Public()},
		"SEC1 PEM":        {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), k.Public()},
		"SEC1 DER":        {sec1, k.Public()},
		"PKCS#1 PEM":      {pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}), &rk.PublicKey},
		"PKCS#1 DER":      {pkcs1, &rk.PublicKey},
		"PKCS#8 + unused": {plain, k.Public()},
	}
	for name, c := range cases {
		got, err := ParsePKCS8PrivateKey(c.in, []byte("ignored for plain keys"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !samePublic(got.Public(), c.pub) {
			t.Errorf("%s: wrong key", name)
		}
		if IsSM2PublicKey(c.pub) {
			if _, ok := got.(*sm2.PrivateKey); !ok {
				t.Errorf("%s: SM2 key came back as %T", name, got)
			}
		}
	}
	// The corpus key (SEC 1, SM2 curve) matches the corpus certificate.
	key, err := ParsePKCS8PrivateKey(readTestdata(t, "ofdrw_sign_key.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCertificates(readTestdata(t, "ofdrw_sign_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !samePublic(key.Public(), certs[0].PublicKey) {
		t.Error("ofdrw key does not match its certificate")
	}
	bad := map[string][]byte{
		"garbage":          []byte("not a key"),
		"empty":            nil,
		"PEM certificate":  EncodeCertificatePEM(certs[0]),
		"corrupt SEC1 PEM": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{0x30, 0}}),
		"corrupt PKCS#1":   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{0x30, 0}}),
		"bad encrypted":    pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x04, 0x30, 0x00, 0x04, 0x00}}),
	}
	for name, in := range bad {
		if _, err := ParsePKCS8PrivateKey(in, []byte("p")); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// An unsupported encryption scheme is reported as such.
	unsupported := []byte{0x30, 0x11, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x63, 0x04, 0x02, 0x00, 0x00}
	if _, err := ParsePKCS8PrivateKey(unsupported, []byte("p")); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("unsupported PBES: %v", err)
	}
}

// TestPKCS8OpenSSL: OpenSSL 3 reads the keys we write, and we read the SM2 keys it writes.
func TestPKCS8OpenSSL(t *testing.T) {
	dir := t.TempDir()
	k := mustKey(t)
	out, err := MarshalPKCS8PrivateKey(k, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	ours := writeFile(t, dir, "ours.pem", out)
	pubPEM := runOpenSSL(t, nil, "pkey", "-in", ours, "-passin", "pass:secret", "-pubout")
	block, _ := pem.Decode(pubPEM)
	if block == nil {
		t.Fatalf("openssl pkey output: %s", pubPEM)
	}
	pub, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil || !samePublic(k.Public(), pub) {
		t.Fatalf("openssl read a different key: %v", err)
	}
	// OpenSSL-generated SM2 key, encrypted with its defaults (PBES2, AES-256-CBC).
	theirs := dir + "/theirs.pem"
	runOpenSSL(t, nil, "genpkey", "-algorithm", "SM2", "-aes-256-cbc", "-pass", "pass:hunter2", "-out", theirs)
	data := readFile(t, theirs)
	key, err := ParsePKCS8PrivateKey(data, []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	if !IsSM2PublicKey(key.Public()) {
		t.Fatalf("openssl SM2 key read as %T", key.Public())
	}
	if _, err := ParsePKCS8PrivateKey(data, []byte("hunter3")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase on openssl key: %v", err)
	}
	// With an SM4 cipher too.
	sm4 := dir + "/sm4.pem"
	runOpenSSL(t, nil, "genpkey", "-algorithm", "SM2", "-sm4-cbc", "-pass", "pass:hunter2", "-out", sm4)
	if key, err := ParsePKCS8PrivateKey(readFile(t, sm4), []byte("hunter2")); err != nil || !IsSM2PublicKey(key.Public()) {
		t.Errorf("SM4-encrypted openssl key: %v", err)
	}
}

func TestParsePKCS12(t *testing.T) {
	p := newTestPKI(t)
	pfx, err := pkcs12.Modern.Encode(p.leafKey, p.leaf, []*Certificate{p.inter, p.root}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	key, cert, others, err := ParsePKCS12(pfx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !samePublic(key.Public(), p.leafKey.Public()) || !cert.Equal(p.leaf) || len(others) != 2 {
		t.Fatalf("wrong contents: cert %s, %d others", cert.Subject, len(others))
	}
	// The certificate that matches the key is chosen even when it is not stored first.
	pfx2, err := pkcs12.Modern.Encode(p.leafKey, p.root, []*Certificate{p.leaf}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, cert, others, err := ParsePKCS12(pfx2, "pw"); err != nil || !cert.Equal(p.leaf) || len(others) != 1 || !others[0].Equal(p.root) {
		t.Errorf("leaf not picked by key: %v", err)
	}
	pfx3, _ := pkcs12.Modern.Encode(p.leafKey, p.root, nil, "pw")
	if _, _, _, err := ParsePKCS12(pfx3, "pw"); err == nil || !strings.Contains(err.Error(), "no certificate matches") {
		t.Errorf("no matching certificate: %v", err)
	}
	if _, _, _, err := ParsePKCS12(pfx, "bad"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong password: %v", err)
	}
	for name, in := range map[string][]byte{
		"garbage": []byte("garbage"), "empty": nil, "trailing": append(append([]byte{}, pfx...), 1), "panic seed": {0x30, 0x82, 0x06},
	} {
		if _, _, _, err := ParsePKCS12(in, "pw"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestParsePKCS12Corpus documents a limitation: the ofdrw file (Java/BouncyCastle: BER inside the
// MAC, RC2-40) cannot be read by go-pkcs12. The password is still checked first.
func TestParsePKCS12Corpus(t *testing.T) {
	data := readTestdata(t, "ofdrw_USER.p12")
	if _, _, _, err := ParsePKCS12(data, "777777"); !errors.Is(err, ErrPKCS12BER) {
		t.Errorf("right password: got %v, want ErrPKCS12BER", err)
	}
	if _, _, _, err := ParsePKCS12(data, "000000"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong password: got %v, want ErrWrongPassphrase", err)
	}
	// The workaround the error message gives works: OpenSSL re-exports it readably.
	dir := t.TempDir()
	in := writeFile(t, dir, "user.p12", data)
	tmp := dir + "/tmp.pem"
	out := dir + "/new.p12"
	runOpenSSL(t, nil, "pkcs12", "-legacy", "-in", in, "-passin", "pass:777777", "-nodes", "-out", tmp)
	runOpenSSL(t, nil, "pkcs12", "-export", "-in", tmp, "-passout", "pass:777777", "-out", out)
	key, cert, _, err := ParsePKCS12(readFile(t, out), "777777")
	if err != nil {
		t.Fatalf("re-exported file: %v", err)
	}
	if !IsSM2PublicKey(key.Public()) || !samePublic(key.Public(), cert.PublicKey) {
		t.Errorf("re-exported file: key %T does not match certificate", key.Public())
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

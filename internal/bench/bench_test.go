package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pdfsignsign "github.com/digitorus/pdfsign/sign"
	pdfsignverify "github.com/digitorus/pdfsign/verify"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// fixture is one document in three forms: unsigned, sealed by eseal (SM2), signed by pdfsign (ECDSA).
type fixture struct {
	unsigned, sm2, ecdsa string
	store                *certstore.Store
	sealer               sign.Sealer
	chain                []*smcrypto.Certificate // the sealer's, parsed
	picture              []byte                  // the seal's picture
	result               *sign.Result
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
	fixtureDir string
)

// getFixture builds (once per process) the documents for a size: "licence" or "100MB".
func getFixture(tb testing.TB, name string) *fixture {
	tb.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[name]; f != nil {
		return f
	}
	if fixtureDir == "" {
		d, err := os.MkdirTemp("", "eseal-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		fixtureDir = d
	}
	dir := filepath.Join(fixtureDir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	l := testpdf.DefaultLicence
	if name == "100MB" {
		l.FillerBytes = 100 << 20
	}
	f := &fixture{unsigned: filepath.Join(dir, "unsigned.pdf"), sm2: filepath.Join(dir, "sm2.pdf"), ecdsa: filepath.Join(dir, "ecdsa.pdf")}
	out, err := os.Create(f.unsigned)
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Write(out); err != nil {
		tb.Fatal(err)
	}
	out.Close()

	store, err := certstore.Open(filepath.Join(dir, "data"), certstore.Options{Passphrase: []byte("bench")})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		tb.Fatal(err)
	}
	rec, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		tb.Fatal(err)
	}
	key, sl, chain, err := store.SealSigner(rec.ESID)
	if err != nil {
		tb.Fatal(err)
	}
	f.sealer = sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}
	f.chain, f.picture = chain, sl.Picture.Data
	if f.result, err = sign.SignPDFFile(f.unsigned, f.sm2, f.sealer, sign.PDFOptions{}); err != nil {
		tb.Fatal(err)
	}
	// Verification uses the store read-only, as `eseal verify` does; other processes (the peak
	// memory helper) can then open it too.
	store.Close()
	if f.store, err = certstore.Open(filepath.Join(dir, "data"), certstore.Options{ReadOnly: true}); err != nil {
		tb.Fatal(err)
	}
	if err := signECDSA(f.unsigned, f.ecdsa, sl.Picture.Data); err != nil {
		tb.Fatal(err)
	}
	fixtures[name] = f
	return f
}

var (
	ecdsaOnce sync.Once
	ecdsaKey  *ecdsa.PrivateKey
	ecdsaCert *x509.Certificate
)

// signECDSA signs with pdfsign's own code path, an ECDSA P-256 key and a visible appearance with
// the same seal picture, the reference for both signing and verification speed.
func signECDSA(in, out string, image []byte) error {
	ecdsaOnce.Do(func() {
		ecdsaKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ECDSA reference signer"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
			IsCA:     true, BasicConstraintsValid: true,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecdsaKey.PublicKey, ecdsaKey)
		ecdsaCert, _ = x509.ParseCertificate(der)
	})
	return pdfsignsign.SignFile(in, out, pdfsignsign.SignData{
		Signature: pdfsignsign.SignDataSignature{
			Info:     pdfsignsign.SignDataSignatureInfo{Name: "ECDSA reference", Date: time.Now()},
			CertType: pdfsignsign.ApprovalSignature,
		},
		Signer: ecdsaKey, DigestAlgorithm: crypto.SHA256, Certificate: ecdsaCert,
		Appearance: pdfsignsign.Appearance{Visible: true, Page: 1, LowerLeftX: 420, LowerLeftY: 40, UpperRightX: 533, UpperRightY: 153, Image: image},
	})
}

func verifyOptions(f *fixture) verify.Options {
	return verify.Options{Anchors: f.store, Revocation: f.store}
}

func esealVerify(b *testing.B, f *fixture, cache *verify.Cache) {
	file, size := openSized(b, f.sm2)
	defer file.Close()
	b.SetBytes(size)
	opts := verifyOptions(f)
	opts.Cache = cache
	for b.Loop() {
		esealVerifyWith(b, opts, file, size)
	}
}

func openSized(tb testing.TB, path string) (*os.File, int64) {
	file, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	fi, err := file.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	return file, fi.Size()
}

func esealVerifyOnce(tb testing.TB, f *fixture, file *os.File, size int64) {
	esealVerifyWith(tb, verifyOptions(f), file, size)
}

func esealVerifyWith(tb testing.TB, opts verify.Options, file *os.File, size int64) {
	rep, err := verify.VerifyPDF(context.Background(), file, size, opts)
	if err != nil || rep.Indication != verify.TotalPassed {
		tb.Fatalf("verify: %v %+v", err, rep)
	}
}

// referenceWork is the irreducible cost of verifying an eseal signature: SM3 over the signed bytes
// (read from the file as the verifier does) plus the SM2 verifications eseal makes (CMS signature,
// signer certificate, seal maker signature, maker certificate).
type referenceWork struct {
	ranges [][2]int64
	sm2    []struct {
		pub      *ecdsa.PublicKey
		msg, sig []byte
	}
}

func newReferenceWork(b testing.TB, f *fixture) *referenceWork {
	data, err := os.ReadFile(f.sm2)
	if err != nil {
		b.Fatal(err)
	}
	br := f.result.ByteRange
	w := &referenceWork{ranges: [][2]int64{{br[0], br[0] + br[1]}, {br[2], br[2] + br[3]}}}
	contents := data[br[0]+br[1]+1 : br[2]-1]
	der := make([]byte, len(contents)/2)
	if _, err := fmt.Sscanf(string(contents), "%x", &der); err != nil {
		b.Fatal(err)
	}
	sd, err := smcrypto.ParseSignedData(der)
	if err != nil {
		b.Fatal(err)
	}
	si := sd.Signers[0]
	signer, root := f.chain[0], f.chain[len(f.chain)-1]
	sl, err := seal.ParseSeal(si.ESeal)
	if err != nil {
		b.Fatal(err)
	}
	maker, err := smcrypto.ParseCertificate(sl.MakerCert)
	if err != nil {
		b.Fatal(err)
	}
	rootPub := root.PublicKey.(*ecdsa.PublicKey)
	add := func(pub *ecdsa.PublicKey, msg, sig []byte) {
		w.sm2 = append(w.sm2, struct {
			pub      *ecdsa.PublicKey
			msg, sig []byte
		}{pub, msg, sig})
	}
	add(signer.PublicKey.(*ecdsa.PublicKey), si.SignedAttrsDER, si.Signature)
	add(rootPub, signer.RawTBSCertificate, signer.Signature)
	add(maker.PublicKey.(*ecdsa.PublicKey), sl.RawSealInfo, sl.SignedValue)
	add(rootPub, maker.RawTBSCertificate, maker.Signature)
	return w
}

func (w *referenceWork) run(b testing.TB, path string) {
	file, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	buf := make([]byte, 64<<10)
	h := smcrypto.NewSM3()
	h.Reset()
	for _, r := range w.ranges {
		if _, err := io.CopyBuffer(h, io.NewSectionReader(file, r[0], r[1]-r[0]), buf); err != nil {
			b.Fatal(err)
		}
	}
	h.Sum(nil)
	for _, v := range w.sm2 {
		if _, err := smcrypto.VerifySM2(v.pub, nil, v.msg, v.sig); err != nil {
			b.Fatalf("reference SM2 verification: %v", err)
		}
	}
}

func pdfsignVerify(b *testing.B, path string) {
	file, size := openSized(b, path)
	defer file.Close()
	b.SetBytes(size)
	for b.Loop() {
		pdfsignVerifyOnce(b, file, size)
	}
}

func pdfsignVerifyOnce(tb testing.TB, file *os.File, size int64) {
	opts := pdfsignverify.DefaultVerifyOptions()
	opts.AllowUntrustedRoots = true
	resp, err := pdfsignverify.VerifyWithOptions(file, size, opts)
	if err != nil || len(resp.Signers) != 1 || !resp.Signers[0].ValidSignature {
		tb.Fatalf("pdfsign verify: %v %+v", err, resp)
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, size := range []string{"licence", "100MB"} {
		f := getFixture(b, size)
		// As `eseal verify` does: every check from scratch.
		b.Run(size+"/eseal-sm2", func(b *testing.B) { esealVerify(b, f, nil) })
		// As `eseal serve` does once it has seen the seal: a verify.Cache spares the seal's and
		// the certificates' signatures (the same for all of a bureau's licences); the document's
		// hash and its own signature are computed every time.
		b.Run(size+"/eseal-sm2-cached", func(b *testing.B) { esealVerify(b, f, verify.NewCache()) })
		b.Run(size+"/reference-sm3+sm2", func(b *testing.B) {
			w := newReferenceWork(b, f)
			fi, _ := os.Stat(f.sm2)
			b.SetBytes(fi.Size())
			for b.Loop() {
				w.run(b, f.sm2)
			}
		})
		b.Run(size+"/pdfsign-ecdsa", func(b *testing.B) { pdfsignVerify(b, f.ecdsa) })
	}
}

func BenchmarkSign(b *testing.B) {
	f := getFixture(b, "licence")
	dir := b.TempDir()
	b.Run("licence/eseal-sm2", func(b *testing.B) {
		for b.Loop() {
			if _, err := sign.SignPDFFile(f.unsigned, filepath.Join(dir, "sm2.pdf"), f.sealer, sign.PDFOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("licence/pdfsign-ecdsa", func(b *testing.B) {
		for b.Loop() {
			if err := signECDSA(f.unsigned, filepath.Join(dir, "ecdsa.pdf"), f.picture); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyPeakRSS reports the peak resident memory of a separate process (this test
// binary, in helper mode) that verifies the 100 MB PDF once.
func BenchmarkVerifyPeakRSS(b *testing.B) {
	f := getFixture(b, "100MB")
	var peak int64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyProcessHelper$")
		cmd.Env = append(os.Environ(), "ESEAL_BENCH_VERIFY="+f.sm2, "ESEAL_BENCH_DATA="+f.store.Dir())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("helper: %v\n%s", err, out.String())
		}
		// The child reports its own VmHWM: its rusage maxrss would include this (large) parent's
		// memory, which Linux charges to a vfork'ed child at exec.
		m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(out.Bytes())
		if m == nil {
			b.Fatalf("helper did not report VmHWM:\n%s", out.String())
		}
		kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
		peak = max(peak, kb*1024)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

// TestVerifyProcessHelper is the child of BenchmarkVerifyPeakRSS; it does nothing in a normal run.
func TestVerifyProcessHelper(t *testing.T) {
	path := os.Getenv("ESEAL_BENCH_VERIFY")
	if path == "" {
		return
	}
	store, err := certstore.Open(os.Getenv("ESEAL_BENCH_DATA"), certstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := file.Stat()
	rep, err := verify.VerifyPDF(context.Background(), file, fi.Size(), verify.Options{Anchors: store, Revocation: store})
	if err != nil || rep.Indication != verify.TotalPassed {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

// TestFixturesVerify checks, in the ordinary test run, that the benchmark's documents are what
// they claim: the eseal one passes eseal's verification, the ECDSA one passes pdfsign's, and the
// reference work succeeds (its SM2 verifications fail on a wrong fixture).
func TestFixturesVerify(t *testing.T) {
	f := getFixture(t, "licence")
	file, size := openSized(t, f.sm2)
	defer file.Close()
	esealVerifyOnce(t, f, file, size)
	newReferenceWork(t, f).run(t, f.sm2)
	efile, esize := openSized(t, f.ecdsa)
	defer efile.Close()
	pdfsignVerifyOnce(t, efile, esize)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

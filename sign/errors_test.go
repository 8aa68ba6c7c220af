package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// failingSigner fails like an unplugged hardware key.
type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("token removed")
}

// verboseSigner returns a signature value far larger than any SM2 signature.
type verboseSigner struct{ crypto.Signer }

func (verboseSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return bytes.Repeat([]byte{0x5A}, 64<<10), nil
}

// otherKeySigner claims the signer's public key but signs with another key.
type otherKeySigner struct {
	crypto.Signer
	other crypto.Signer
}

func (o otherKeySigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.other.Sign(r, d, opts)
}

// encryptFixture encrypts the licence with qpdf (AES-256) and returns the path.
func encryptFixture(t *testing.T, userPassword string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "encrypted.pdf")
	cmd := exec.Command(requireTool(t, "qpdf"), "--encrypt", userPassword, "owner-secret", "256", "--", "testdata/licence.pdf", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qpdf --encrypt: %v\n%s", err, b)
	}
	return out
}

// replaceLastNumberAfter replaces the integer after the last occurrence of key.
func replaceLastNumberAfter(t *testing.T, d []byte, key, with string) []byte {
	t.Helper()
	i := bytes.LastIndex(d, []byte(key))
	if i < 0 {
		t.Fatalf("%s not found", key)
	}
	j := i + len(key)
	for j < len(d) && d[j] == ' ' {
		j++
	}
	k := j
	for k < len(d) && d[k] >= '0' && d[k] <= '9' {
		k++
	}
	if k == j {
		t.Fatalf("no number after %s", key)
	}
	return append(append(bytes.Clone(d[:j]), with...), d[k:]...)
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignPDFErrors feeds every kind of bad input: each must give a *Error with the expected
// Reason, leave the input as it was, and leave no output (file, temporary file, or bytes).
func TestSignPDFErrors(t *testing.T) {
	p := getPKI(t)
	good := newSealer(t, "合同专用章", "11010800000041")
	licence := mustRead(t, "testdata/licence.pdf")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherSM2, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	goodSeal, err := seal.ParseSeal(good.Seal)
	if err != nil {
		t.Fatal(err)
	}
	withSigner := func(k crypto.Signer) Sealer { s := good; s.Signer = k; return s }
	withChain := func(c ...*smcrypto.Certificate) Sealer {
		s := good
		s.Chain = nil
		for _, x := range c {
			var der []byte
			if x != nil {
				der = x.Raw
			}
			s.Chain = append(s.Chain, der)
		}
		return s
	}
	// A seal that allows only the seal maker's certificate, not our signer's.
	foreign, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: "11010800000042", Name: "他人印章", SignerCerts: [][]byte{p.maker.Raw},
		CreateDate: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Picture: goodSeal.Picture,
	}, p.maker.Raw, p.maker_)
	if err != nil {
		t.Fatal(err)
	}
	// A seal valid until 2030, to reach the signer certificate's own expiry (2027).
	longSeal, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: "11010800000043", Name: "长期印章", SignerCerts: [][]byte{p.signer.Raw},
		CreateDate: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC),
		Picture: goodSeal.Picture,
	}, p.maker.Raw, p.maker_)
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month) func() time.Time {
		return func() time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	}

	cases := []struct {
		name   string
		input  func(t *testing.T) string // nil: testdata/licence.pdf
		sealer Sealer
		opts   PDFOptions
		want   Reason
	}{
		{"not a PDF", func(t *testing.T) string { return writeTemp(t, "a.pdf", []byte("PK\x03\x04 this is a zip, not a PDF")) }, good, PDFOptions{}, NotPDF},
		{"empty file", func(t *testing.T) string { return writeTemp(t, "a.pdf", nil) }, good, PDFOptions{}, NotPDF},
		{"header only", func(t *testing.T) string { return writeTemp(t, "a.pdf", []byte("%PDF-1.7\n")) }, good, PDFOptions{}, NotPDF},
		{"truncated", func(t *testing.T) string { return writeTemp(t, "a.pdf", licence[:len(licence)/2]) }, good, PDFOptions{}, NotPDF},
		{"truncated before EOF marker", func(t *testing.T) string { return writeTemp(t, "a.pdf", licence[:len(licence)-7]) }, good, PDFOptions{}, NotPDF},
		{"no %%EOF, 4 MiB", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("0 0 obj << >> endobj\n"), 200_000)...))
		}, good, PDFOptions{}, NotPDF},
		{"8 KiB after %%EOF", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", append(bytes.Clone(licence), bytes.Repeat([]byte("garbage\n"), 1024)...))
		}, good, PDFOptions{}, UnsupportedPDF},
		{"xref damaged", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", bytes.Replace(licence, []byte("\nxref\n"), []byte("\nxrex\n"), 1))
		}, good, PDFOptions{}, NotPDF},
		{"xref table claims object 90,000,000", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", bytes.Replace(licence, []byte("\nxref\n0 8\n"), []byte("\nxref\n90000000 8\n"), 1))
		}, good, PDFOptions{}, NotPDF},
		{"xref stream claims 2,000,000,000 objects", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", replaceLastNumberAfter(t, mustRead(t, "testdata/corpus-pdf-01.pdf"), "/Size", "2000000000"))
		}, good, PDFOptions{}, NotPDF},
		{"xref stream with 99-byte fields", func(t *testing.T) string {
			d := mustRead(t, "testdata/corpus-pdf-01.pdf")
			i := bytes.LastIndex(d, []byte("/W[1 2 "))
			return writeTemp(t, "a.pdf", append(append(bytes.Clone(d[:i]), "/W[1 99 "...), d[i+len("/W[1 2 "):]...))
		}, good, PDFOptions{}, NotPDF},
		{"page tree cycle", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", bytes.Replace(licence, []byte("/Kids [3 0 R]"), []byte("/Kids [2 0 R]"), 1))
		}, good, PDFOptions{}, UnsupportedPDF},
		{"encrypted, user password", func(t *testing.T) string { return encryptFixture(t, "user-secret") }, good, PDFOptions{}, Encrypted},
		{"encrypted, empty user password", func(t *testing.T) string { return encryptFixture(t, "") }, good, PDFOptions{}, Encrypted},
		{"page -1", nil, good, PDFOptions{Page: -1}, PageOutOfRange},
		{"page 2 of 1", nil, good, PDFOptions{Page: 2}, PageOutOfRange},
		{"page 99", nil, good, PDFOptions{Page: 99}, PageOutOfRange},
		{"rect x2 < x1", nil, good, PDFOptions{Rect: &[4]float64{300, 100, 200, 200}}, BadRect},
		{"rect y2 < y1", nil, good, PDFOptions{Rect: &[4]float64{100, 300, 200, 200}}, BadRect},
		{"rect empty", nil, good, PDFOptions{Rect: &[4]float64{100, 100, 100, 200}}, BadRect},
		{"rect NaN", nil, good, PDFOptions{Rect: &[4]float64{math.NaN(), 100, 200, 200}}, BadRect},
		{"rect infinite", nil, good, PDFOptions{Rect: &[4]float64{100, 100, math.Inf(1), 200}}, BadRect},
		{"rect off the page", nil, good, PDFOptions{Rect: &[4]float64{500, 700, 700, 900}}, BadRect},
		{"unknown convention", nil, good, PDFOptions{Convention: 7}, BadOptions},
		{"ECDSA signer", nil, withSigner(ecKey), PDFOptions{}, NotSM2Signer},
		{"nil signer", nil, withSigner(nil), PDFOptions{}, NotSM2Signer},
		{"empty chain", nil, withChain(), PDFOptions{}, BadChain},
		{"nil certificate in chain", nil, withChain(p.signer, nil), PDFOptions{}, BadChain},
		{"chain does not start with the signer", nil, withChain(p.maker, p.root), PDFOptions{}, BadChain},
		{"chain in the wrong order", nil, withChain(p.signer, p.maker, p.root), PDFOptions{}, BadChain},
		{"no seal", nil, func() Sealer { s := good; s.Seal = nil; return s }(), PDFOptions{}, BadSeal},
		{"seal that is not a seal", nil, func() Sealer { s := good; s.Seal = []byte{0x30, 0x03, 0x02, 0x01, 0x01}; return s }(), PDFOptions{}, BadSeal},
		{"certificate that is not a certificate", nil, func() Sealer { s := good; s.Chain = [][]byte{[]byte("not DER")}; return s }(), PDFOptions{}, BadChain},
		{"signer not in the seal", nil, func() Sealer { s := good; s.Seal = foreign.Raw; return s }(), PDFOptions{}, BadSeal},
		{"seal not yet valid", nil, good, PDFOptions{Now: at(2024, 3)}, NotValidAtSigningTime},
		{"seal expired", nil, good, PDFOptions{Now: at(2026, 7)}, NotValidAtSigningTime},
		{"signer certificate expired", nil, func() Sealer { s := good; s.Seal = longSeal.Raw; return s }(), PDFOptions{Now: at(2028, 1)}, NotValidAtSigningTime},
		{"certified, no changes allowed", func(t *testing.T) string { return certifiedFixture(t, 1) }, good, PDFOptions{}, Certified},
		{"page /Annots that is not an array", func(t *testing.T) string {
			return writeTemp(t, "a.pdf", bytes.Replace(licence, []byte("/Type /Page /Parent"), []byte("/Annots 42  /Parent"), 1))
		}, good, PDFOptions{}, UnsupportedPDF},
		{"signer fails", nil, withSigner(failingSigner{p.signerKey}), PDFOptions{}, SignerFailed},
		{"signer signs with another key", nil, withSigner(otherKeySigner{p.signerKey, otherSM2}), PDFOptions{}, SignerFailed},
		{"signature larger than the room", nil, withSigner(verboseSigner{p.signerKey}), PDFOptions{}, CMSTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := "testdata/licence.pdf"
			if tc.input != nil {
				in = tc.input(t)
			}
			if tc.opts.Now == nil {
				tc.opts.Now = fixedClock
			}
			before := sha(mustRead(t, in))
			dir := t.TempDir()
			out := filepath.Join(dir, "out.pdf")
			_, err := SignPDFFile(in, out, tc.sealer, tc.opts)
			if err == nil {
				t.Fatal("SignPDFFile succeeded")
			}
			if e := asError(t, err); e.Reason != tc.want {
				t.Fatalf("Reason %v, want %v (%v)", e.Reason, tc.want, err)
			}
			if sha(mustRead(t, in)) != before {
				t.Fatal("the input changed")
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("output left behind: %v", left)
			}
			// The io API: same reason, nothing written.
			var buf bytes.Buffer
			_, err = SignPDF(bytes.NewReader(mustRead(t, in)), &buf, tc.sealer, tc.opts)
			if e := asError(t, err); e.Reason != tc.want {
				t.Fatalf("SignPDF: Reason %v, want %v (%v)", e.Reason, tc.want, err)
			}
			if buf.Len() != 0 {
				t.Fatalf("SignPDF wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// TestCertDigestList: a seal that lists its signers by certificate digest (certListType 2)
// allows the signer whose digest it holds, under any spelling verify accepts, and a digest
// that matches nothing, or an unknown digest type, refuses the signer.
func TestCertDigestList(t *testing.T) {
	p := getPKI(t)
	sm3 := smcrypto.SM3(p.signer.Raw)
	sha1Sum := sha1.Sum(p.signer.Raw)
	byDigest := func(d ...seal.CertDigest) (*checkedSealer, *seal.Seal) {
		s := newSealer(t, "digest list seal", "11010800000009")
		j := &checkedSealer{sealer: s, chain: []*smcrypto.Certificate{p.signer, p.root}, now: fixedNow}
		sl, err := seal.ParseSeal(s.Seal)
		if err != nil {
			t.Fatal(err)
		}
		sl.Certs, sl.CertListType, sl.CertDigests = nil, seal.CertListDigests, d
		return j, sl
	}
	for _, tc := range []struct {
		name    string
		digests []seal.CertDigest
		want    Reason // 0: allowed
	}{
		{"sm3", []seal.CertDigest{{Type: "sm3", Value: sm3[:]}}, 0},
		{"SM3 by OID", []seal.CertDigest{{Type: "1.2.156.10197.1.401", Value: sm3[:]}}, 0},
		{"SHA-1 by OID", []seal.CertDigest{{Type: "1.3.14.3.2.26", Value: sha1Sum[:]}}, 0},
		{"another certificate's digest", []seal.CertDigest{{Type: "sm3", Value: make([]byte, 32)}}, BadSeal},
		{"unknown digest type", []seal.CertDigest{{Type: "md5", Value: make([]byte, 16)}}, BadSeal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, sl := byDigest(tc.digests...)
			err := j.checkSeal(sl)
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("checkSealer: %v", err)
				}
				return
			}
			if e := asError(t, err); e.Reason != tc.want {
				t.Fatalf("Reason %v, want %v (%v)", e.Reason, tc.want, err)
			}
			var se *seal.Error
			if isUnknown := tc.digests[0].Type == "md5"; isUnknown != (errors.As(err, &se) && se.Reason == seal.UnsupportedAlgorithm) {
				t.Fatalf("unknown digest type reported as %v", err)
			}
		})
	}
}

// TestSignPDFFilePaths covers the file API's own refusals.
func TestSignPDFFilePaths(t *testing.T) {
	good := newSealer(t, "合同专用章", "11010800000044")
	opts := PDFOptions{Now: fixedClock}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, mustRead(t, "testdata/licence.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := sha(mustRead(t, in))
	link := filepath.Join(dir, "link.pdf")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.pdf")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "pipe.pdf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, in, out string
		want          Reason
	}{
		{"output is the input", in, in, SameFile},
		{"output is the input, other spelling", in, filepath.Join(dir, ".", "sub", "..", "in.pdf"), SameFile},
		{"output is a symlink to the input", in, link, SameFile},
		{"output is a hard link to the input", in, hard, SameFile},
		{"output directory missing", in, filepath.Join(dir, "missing", "out.pdf"), IOFailed},
		{"output is a directory", in, dir, IOFailed},
		{"input missing", filepath.Join(dir, "nope.pdf"), filepath.Join(dir, "out.pdf"), IOFailed},
		{"input is a directory", dir, filepath.Join(dir, "out.pdf"), IOFailed},
		{"input is a FIFO without a writer (must not block)", fifo, filepath.Join(dir, "out.pdf"), IOFailed},
		{"empty output path", in, "", IOFailed},
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignPDFFile(tc.in, tc.out, good, opts)
			if err == nil {
				t.Fatal("SignPDFFile succeeded")
			}
			if e := asError(t, err); e.Reason != tc.want {
				t.Fatalf("Reason %v, want %v (%v)", e.Reason, tc.want, err)
			}
			if sha(mustRead(t, in)) != before {
				t.Fatal("the input changed")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 4 { // in.pdf, link.pdf, hard.pdf, sub
				t.Fatalf("directory now holds %d entries", len(entries))
			}
		})
	}
	// An existing output is replaced only on success, and keeps its permissions.
	out := filepath.Join(dir, "existing.pdf")
	if err := os.WriteFile(out, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := SignPDFFile(in, out, good, PDFOptions{Now: fixedClock, Page: 5}); err == nil {
		t.Fatal("page 5 accepted")
	}
	if got := mustRead(t, out); string(got) != "old" {
		t.Fatal("a failed sealing touched the existing output")
	}
	if _, err := SignPDFFile(in, out, good, opts); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("output mode %v, %v", fi.Mode(), err)
	}
	qpdfCheck(t, out)
	os.Remove(out)
}

// TestSignPDFInputChanges: the input changing between hashing and copying must not yield a
// document whose signature does not match; the file API then leaves no output.
func TestSignPDFInputChanges(t *testing.T) {
	good := newSealer(t, "合同专用章", "11010800000045")
	orig := mustRead(t, writeFixture(t, fixture{extra: 1 << 20}))
	r := &mutatingReader{data: bytes.Clone(orig)}
	var buf bytes.Buffer
	_, err := SignPDF(r, &buf, good, PDFOptions{Now: fixedClock})
	if e := asError(t, err); e.Reason != IOFailed {
		t.Fatalf("Reason %v (%v)", e.Reason, err)
	}
}

// mutatingReader changes a byte of the binary comment on the second line when the document
// is read as a stream for the second time: the first pass hashes it, the second copies it.
// Reads at offsets (the PDF structure, the read-back of the result) never change it.
type mutatingReader struct {
	data   []byte
	pos    int64
	passes int
}

func (m *mutatingReader) Read(p []byte) (int, error) {
	if m.pos >= int64(len(m.data)) {
		return 0, io.EOF
	}
	if m.pos == 0 {
		if m.passes++; m.passes == 2 {
			m.data[11] ^= 0x01
		}
	}
	n := copy(p, m.data[m.pos:])
	m.pos += int64(n)
	return n, nil
}

func (m *mutatingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *mutatingReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = off
	case io.SeekCurrent:
		m.pos += off
	case io.SeekEnd:
		m.pos = int64(len(m.data)) + off
	}
	return m.pos, nil
}

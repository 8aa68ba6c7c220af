package sign

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
)

// sealFile seals in into a new file in a temporary directory and returns its bytes.
func sealFile(t *testing.T, in string, s Sealer, opts PDFOptions) ([]byte, *Result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sealed.pdf")
	res, err := SignPDFFile(in, out, s, opts)
	if err != nil {
		t.Fatalf("SignPDFFile(%s): %v", in, err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	qpdfCheck(t, out)
	return data, res, out
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignPDFConventions seals the sample licence in both CMS conventions and checks the
// result from the outside: PDF structure (qpdf), ByteRange hash, CMS content, OpenSSL.
func TestSignPDFConventions(t *testing.T) {
	p := getPKI(t)
	for _, conv := range []smcrypto.CMSConvention{smcrypto.ConventionPKCS7, smcrypto.ConventionGMT0010} {
		t.Run(conv.String(), func(t *testing.T) {
			s := newSealer(t, "北京示例贸易有限公司合同专用章", "11010800000001")
			opts := PDFOptions{Convention: conv, Now: fixedClock, Reason: "核准登记 (approval)", Location: "北京市海淀区", ContactInfo: "+86 10 1234 5678"}
			orig := mustRead(t, "testdata/licence.pdf")
			data, res, _ := sealFile(t, "testdata/licence.pdf", s, opts)

			if !bytes.HasPrefix(data, orig) {
				t.Fatal("the output does not start with the original document (not an incremental update)")
			}
			sigs := readSignatures(t, data)
			if len(sigs) != 1 {
				t.Fatalf("%d signatures, want 1", len(sigs))
			}
			sig := sigs[0]
			c := verifySignature(t, data, sig)
			opensslVerify(t, c)

			if c.sd.Convention != conv {
				t.Errorf("CMS convention %v, want %v", c.sd.Convention, conv)
			}
			if !bytes.Equal(c.si.ESeal, s.Seal) {
				t.Error("the ESeal signed attribute is not the seal's DER")
			}
			if !c.si.SigningTime.Equal(fixedNow) {
				t.Errorf("signingTime %v, want %v", c.si.SigningTime, fixedNow)
			}
			var hasSigner, hasRoot bool
			for _, raw := range c.sd.RawCertificates {
				hasSigner = hasSigner || bytes.Equal(raw, p.signer.Raw)
				hasRoot = hasRoot || bytes.Equal(raw, p.root.Raw)
			}
			if !hasSigner || !hasRoot {
				t.Errorf("certificates in the CMS: signer %v, root %v; want both", hasSigner, hasRoot)
			}
			if !c.signer.Equal(p.signer) {
				t.Error("the CMS names another signer certificate")
			}
			if sig.name != "北京示例贸易有限公司合同专用章" || sig.reason != opts.Reason || sig.location != opts.Location || sig.contact != opts.ContactInfo {
				t.Errorf("texts read back: name %q reason %q location %q contact %q", sig.name, sig.reason, sig.location, sig.contact)
			}
			if sig.subFilter != "adbe.pkcs7.detached" {
				t.Errorf("SubFilter %q", sig.subFilter)
			}
			if !bytes.Contains(data[len(orig):], []byte("/App << /Name /eseal ")) {
				t.Error("/Prop_Build does not name eseal")
			}
			if !sig.signingTime.Equal(fixedNow) {
				t.Errorf("/M is %v, want %v", sig.signingTime, fixedNow)
			}
			// Result agrees with the document.
			if res.FieldName != sig.field || res.FieldName != "Signature 1" {
				t.Errorf("Result.FieldName %q, document %q", res.FieldName, sig.field)
			}
			if res.ByteRange != [4]int64(sig.byteRange) || !bytes.Equal(res.Digest, c.digest) {
				t.Errorf("Result ByteRange %v digest %x, document %v %x", res.ByteRange, res.Digest, sig.byteRange, c.digest)
			}
			if res.Size != int64(len(data)) || res.Convention != conv || !res.SigningTime.Equal(fixedNow) || res.Page != 1 {
				t.Errorf("Result %+v", res)
			}
			if res.CMSSize != len(bytes.TrimRight(sig.contents, "\x00")) && res.CMSSize > len(sig.contents) {
				t.Errorf("Result.CMSSize %d, /Contents %d", res.CMSSize, len(sig.contents))
			}
			if 2*res.Reserved != int(sig.byteRange[2]-sig.byteRange[1]-2) {
				t.Errorf("Result.Reserved %d, /Contents hex %d", res.Reserved, sig.byteRange[2]-sig.byteRange[1]-2)
			}
			// Default place: bottom right, 20 mm in, the picture's printed size (42 mm).
			want := [4]float64{round2(595 - defaultMarginPt - 42*pointsPerMM), round2(defaultMarginPt), round2(595 - defaultMarginPt), round2(defaultMarginPt + 42*pointsPerMM)}
			if res.Rect != want {
				t.Errorf("default Rect %v, want %v", res.Rect, want)
			}
		})
	}
}

// TestSignPDFThreeSeals seals one licence three times, as a licence with several approving
// offices is: every earlier signature must still verify (pdfsign alone would write the new
// signature into the zero padding of an older one), and the Chinese names, whose UTF-16
// contains the bytes of '(' and ')' (用 U+7528, 章 U+7AE0, 印 U+5370), must read back.
func TestSignPDFThreeSeals(t *testing.T) {
	seals := []struct {
		name, esID string
		rect       *[4]float64
		conv       smcrypto.CMSConvention
	}{
		{"海淀区市场监督管理局登记专用章", "11010800000011", nil, smcrypto.ConventionPKCS7},
		{"示例贸易有限公司合同用章（印）", "11010800000012", &[4]float64{72, 80, 192, 200}, smcrypto.ConventionGMT0010},
		{"北京市用印管理处审批章", "11010800000013", &[4]float64{220, 80, 340, 200}, smcrypto.ConventionPKCS7},
	}
	in := "testdata/licence.pdf"
	var prev []byte
	var prevRanges [][]int64
	var sealers []Sealer
	for i, sc := range seals {
		s := newSealer(t, sc.name, sc.esID)
		sealers = append(sealers, s)
		data, res, out := sealFile(t, in, s, PDFOptions{Rect: sc.rect, Convention: sc.conv, Now: fixedClock})
		if prev != nil && !bytes.HasPrefix(data, prev) {
			t.Fatalf("seal %d changed the bytes of the previous revision", i+1)
		}
		sigs := readSignatures(t, data)
		if len(sigs) != i+1 {
			t.Fatalf("after seal %d: %d signatures", i+1, len(sigs))
		}
		names := map[string]bool{}
		for k, sig := range sigs {
			c := verifySignature(t, data, sig)
			if k < len(prevRanges) && !equalInts(sig.byteRange, prevRanges[k]) {
				t.Errorf("signature %d ByteRange moved from %v to %v", k+1, prevRanges[k], sig.byteRange)
			}
			if sig.name != seals[k].name {
				t.Errorf("signature %d /Name %q, want %q", k+1, sig.name, seals[k].name)
			}
			if !bytes.Equal(c.si.ESeal, sealers[k].Seal) {
				t.Errorf("signature %d carries another seal", k+1)
			}
			if names[sig.field] {
				t.Errorf("field name %q used twice", sig.field)
			}
			names[sig.field] = true
		}
		if last := sigs[len(sigs)-1]; last.field != res.FieldName || last.byteRange[2]+last.byteRange[3] != int64(len(data)) {
			t.Errorf("the last signature %q %v does not cover the whole file of %d bytes", last.field, last.byteRange, len(data))
		}
		prev, in = data, out
		prevRanges = prevRanges[:0]
		for _, sig := range sigs {
			prevRanges = append(prevRanges, sig.byteRange)
		}
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSignPDFCorpus seals PDFs made by other software (see testdata/README.md): their own
// signatures are left byte for byte as they were, and ours verifies.
func TestSignPDFCorpus(t *testing.T) {
	for _, name := range []string{
		"corpus-pdf-01.pdf", // cross-reference streams, two signatures
		"corpus-pdf-02.pdf", // pyHanko, with an incremental update whose /Size differs from its table
		"corpus-pdf-10.pdf", // pyHanko, two signatures
	} {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join("testdata", name)
			orig := mustRead(t, in)
			s := newSealer(t, "合同专用章", "11010800000021")
			data, res, _ := sealFile(t, in, s, PDFOptions{Now: fixedClock})
			if !bytes.HasPrefix(data, orig) {
				t.Fatal("the original bytes changed")
			}
			var ours int
			for _, sig := range readSignatures(t, data) {
				if sig.field == res.FieldName {
					ours++
					c := verifySignature(t, data, sig)
					opensslVerify(t, c)
					if sig.name != "合同专用章" {
						t.Errorf("/Name %q", sig.name)
					}
				}
			}
			if ours != 1 {
				t.Fatalf("%d fields named %q", ours, res.FieldName)
			}
		})
	}
}

// TestSignPDFLongZeroRun: a document that already holds a run of '0's longer than the room a
// signature needs (a placeholder search, as pdfsign's, would land in it) seals as any other.
func TestSignPDFLongZeroRun(t *testing.T) {
	in := writeFixture(t, fixture{zeroRun: 150_000})
	s := newSealer(t, "合同专用章", "11010800000031")
	data, _, _ := sealFile(t, in, s, PDFOptions{Now: fixedClock})
	sigs := readSignatures(t, data)
	if len(sigs) != 1 {
		t.Fatalf("%d signatures", len(sigs))
	}
	verifySignature(t, data, sigs[0])
}

// TestSignPDFFieldNameTaken: the new field is "Signature N" for the first N no field of the
// form has: an empty signature field "Signature 2" keeps its name.
func TestSignPDFFieldNameTaken(t *testing.T) {
	in := writeFixture(t, fixture{fields: []string{
		"<< /FT /Sig /T (Signature 2) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>",
	}})
	s := newSealer(t, "合同专用章", "11010800000032")
	data, res, _ := sealFile(t, in, s, PDFOptions{Now: fixedClock})
	sigs := readSignatures(t, data)
	if len(sigs) != 1 || sigs[0].field != res.FieldName || res.FieldName != "Signature 3" {
		t.Fatalf("fields after sealing: %+v, result %q", fieldNames(sigs), res.FieldName)
	}
	d, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(d.EmptySignatureFields) != 1 || d.EmptySignatureFields[0] != "Signature 2" {
		t.Fatalf("empty fields %v, %v", d.EmptySignatureFields, err)
	}
	verifySignature(t, data, sigs[0])
}

func fieldNames(sigs []pdfSignature) []string {
	var n []string
	for _, s := range sigs {
		n = append(n, s.field)
	}
	return n
}

// writeFixture writes a variant of the sample licence into a temporary file.
func writeFixture(t testing.TB, fx fixture) string {
	t.Helper()
	var buf bytes.Buffer
	if err := buildPDF(&buf, fx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fixture.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// onlyReadSeeker hides io.ReaderAt, so SignPDF must work with a plain io.ReadSeeker.
type onlyReadSeeker struct{ io.ReadSeeker }

// TestSignPDFStream: the io API gives the same document as the file API, and accepts an input
// that is only an io.ReadSeeker.
func TestSignPDFStream(t *testing.T) {
	s := newSealer(t, "合同专用章", "11010800000033")
	orig := mustRead(t, "testdata/licence.pdf")
	var out bytes.Buffer
	res, err := SignPDF(onlyReadSeeker{bytes.NewReader(orig)}, &out, s, PDFOptions{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	data := out.Bytes()
	if res.Size != int64(len(data)) || !bytes.HasPrefix(data, orig) {
		t.Fatalf("Result.Size %d, output %d bytes", res.Size, len(data))
	}
	sigs := readSignatures(t, data)
	if len(sigs) != 1 {
		t.Fatalf("%d signatures", len(sigs))
	}
	verifySignature(t, data, sigs[0])
	path := filepath.Join(t.TempDir(), "stream.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	qpdfCheck(t, path)
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *sign.Error", err, err)
	}
	if !strings.HasPrefix(e.Error(), "sign: ") {
		t.Errorf("error text %q", e.Error())
	}
	return e
}

// TestSignPDFConcurrent: a service seals several documents at once (shared stand-in key,
// picture cache); run with -race.
func TestSignPDFConcurrent(t *testing.T) {
	s := newSealer(t, "合同专用章", "11010800000034")
	orig := mustRead(t, "testdata/licence.pdf")
	outs := make([]bytes.Buffer, 4)
	errs := make(chan error, len(outs))
	for i := range outs {
		go func() {
			_, err := SignPDF(bytes.NewReader(orig), &outs[i], s, PDFOptions{Now: fixedClock, Page: 1})
			errs <- err
		}()
	}
	for range outs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range outs {
		data := outs[i].Bytes()
		sigs := readSignatures(t, data)
		if len(sigs) != 1 {
			t.Fatalf("document %d: %d signatures", i, len(sigs))
		}
		verifySignature(t, data, sigs[0])
	}
}

package testpdf

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/licence.pdf at the repository root")

// TestLicenceIsValidPDF checks the generated files with qpdf, an independent PDF parser, and keeps
// the committed sample (testdata/licence.pdf at the repository root) equal to the generator's output.
func TestLicenceIsValidPDF(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Fatal("qpdf is required (scripts/test installs it)")
	}
	dir := t.TempDir()
	for name, l := range map[string]Licence{
		"plain.pdf":  DefaultLicence,
		"filler.pdf": {Number: "1", Holder: "(paren) \\ holder", Scope: "x", FillerBytes: 1 << 20},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, l.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("qpdf", "--check", p).CombinedOutput(); err != nil {
			t.Errorf("%s: qpdf --check: %v\n%s", name, err, out)
		}
	}
	sample := filepath.Join("..", "..", "testdata", "licence.pdf")
	if *update {
		if err := os.WriteFile(sample, DefaultLicence.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(sample)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/testpdf -update)", err)
	}
	if !bytes.Equal(got, DefaultLicence.Bytes()) {
		t.Error("testdata/licence.pdf differs from the generator's output (run go test ./internal/testpdf -update)")
	}
	if !bytes.Contains(got, []byte("Holder: Hangzhou Example Trading Co., Ltd.")) {
		t.Error("the sample's text is not plain in the file; the README's tamper step relies on it")
	}
}

func TestFillerSize(t *testing.T) {
	small := DefaultLicence.Bytes()
	l := DefaultLicence
	l.FillerBytes = 3 << 20
	big := l.Bytes()
	if d := len(big) - len(small); d < 3<<20 || d > 3<<20+200 {
		t.Errorf("filler added %d bytes, want about %d", d, 3<<20)
	}
	if bytes.Contains(big, bytes.Repeat([]byte("0"), 64)) {
		t.Error("the filler contains a long run of '0'")
	}
}

// TestWriterRevisions checks with qpdf a file of three revisions: a table, an update with a
// freed object, and an update with an object stream and a cross-reference stream, the large
// stream of the first written through StreamFrom and Flush.
func TestWriterRevisions(t *testing.T) {
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		t.Fatal("qpdf is required (scripts/test installs it)")
	}
	var file bytes.Buffer
	w := NewWriter()
	w.Obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>")
	if err := w.StreamFrom(&file, 4, "", 1<<20, Repeat([]byte("0 0 m 10 10 l S\n"))); err != nil {
		t.Fatal(err)
	}
	w.Obj(5, "(to be freed)")
	w.EndRevision()
	w.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents [4 0 R 6 0 R] >>")
	w.Stream(6, "", "BT /F1 12 Tf 10 10 Td (two) Tj ET")
	w.Free(5)
	w.EndRevision()
	w.Packed(w.NewObj(), "<< /Title (three) >>")
	w.Trailer = " /Info 7 0 R"
	w.EndRevisionXRef()
	if err := w.Flush(&file); err != nil {
		t.Fatal(err)
	}
	if w.Pos() != int64(file.Len()) || w.Buf.Len() != 0 {
		t.Fatalf("Pos %d after Flush, file has %d bytes", w.Pos(), file.Len())
	}
	p := filepath.Join(t.TempDir(), "revisions.pdf")
	if err := os.WriteFile(p, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(qpdf, "--check", p).CombinedOutput()
	if err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	info, err := exec.Command(qpdf, "--show-object=7", p).CombinedOutput()
	if err != nil || !bytes.Contains(info, []byte("three")) {
		t.Fatalf("qpdf --show-object=7: %v\n%s", err, info)
	}
}

// TestLicenceChinese: the sample is a Chinese 准予行政许可决定书 whose font is embedded (a
// subset of the system's CJK font): poppler lists it as embedded and reads the Chinese text back.
func TestLicenceChinese(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "licence.pdf")
	if err := os.WriteFile(p, DefaultLicence.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"pdffonts", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (scripts/test installs poppler-utils)", tool)
		}
	}
	fonts, err := exec.Command("pdffonts", p).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, fonts)
	}
	var cid string
	for _, line := range strings.Split(string(fonts), "\n") {
		if strings.Contains(line, "CID TrueType") {
			cid = line
		}
	}
	if f := strings.Fields(cid); len(f) < 7 || !strings.HasPrefix(f[0], "ESEALA+") || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
		t.Errorf("no embedded subset CID TrueType font with a ToUnicode map:\n%s", fonts)
	}
	text, err := exec.Command("pdftotext", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range append([]string{zhTitle, zhNumber, zhAuthority, zhDate}, zhBody...) {
		if !strings.Contains(string(text), want) {
			t.Errorf("pdftotext does not read %q back:\n%s", want, text)
		}
	}
}

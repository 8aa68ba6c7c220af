package testpdf

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
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

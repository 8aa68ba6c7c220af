package testofd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/eseal/eseal/internal/ofd"
)

var update = flag.Bool("update", false, "rewrite testdata/licence.ofd at the repository root")

// TestLicence reads the sample back with the OFD reader, and keeps the committed
// testdata/licence.ofd equal to the generator's output.
func TestLicence(t *testing.T) {
	data := DefaultLicence.Bytes()
	p, err := ofd.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := p.Pages(p.Docs[0])
	if err != nil || len(pages) != 1 || pages[0].ID != "1" || pages[0].Box[2] != 210 || pages[0].Box[3] != 297 {
		t.Fatalf("pages %+v, %v", pages, err)
	}
	content, err := p.ReadFile(pages[0].Path)
	if err != nil || !bytes.Contains(content, []byte("杭州某某贸易有限公司")) {
		t.Fatalf("page content: %v", err)
	}
	sample := filepath.Join("..", "..", "testdata", "licence.ofd")
	if *update {
		if err := os.WriteFile(sample, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(sample)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/testofd -update)", err)
	}
	if !bytes.Equal(got, data) {
		t.Error("testdata/licence.ofd differs from the generator's output (run go test ./internal/testofd -update)")
	}
}

package pdf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen: opening arbitrary bytes, checking every ByteRange and
// classifying every change must end, without panicking (a contained panic
// is an internal error, which fails too).
func FuzzOpen(f *testing.F) {
	files, _ := filepath.Glob("testdata/pdf-*.pdf")
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 60000 {
			f.Add(b)
		}
	}
	p := baseDoc(f)
	p.packed(10, "<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] >>")
	p.packed(3, "<< /Type /Page /Parent 2 0 R /Annots [6 0 R 8 0 R 10 0 R] >>")
	p.endRevisionXRef()
	f.Add(p.bytes())
	f.Add([]byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /Prev 9 >>\nstartxref\n9\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if errors.Is(err, errInternal) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		sigs := append(append([]*Signature{}, d.Signatures...), d.UnreachableSignatures...)
		for _, s := range sigs {
			c := d.CheckByteRange(s)
			for _, p := range c.Problems {
				if strings.Contains(p, errInternal.Error()) {
					t.Fatalf("CheckByteRange: %s", p)
				}
			}
			for _, r := range c.Ranges {
				if r[0] < 0 || r[1] > d.Size || r[0] > r[1] {
					t.Fatalf("range %v outside a file of %d bytes", r, d.Size)
				}
			}
			if _, err := d.ChangesAfter(s); errors.Is(err, errInternal) {
				t.Fatalf("ChangesAfter: %v", err)
			}
		}
		if _, err := d.DSS(); errors.Is(err, errInternal) {
			t.Fatalf("DSS: %v", err)
		}
	})
}

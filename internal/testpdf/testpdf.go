// Package testpdf writes the PDFs of the tests, examples and benchmarks of every package. Writer
// is the one PDF writer of the tests: objects byte for byte as given, revisions with
// cross-reference tables or streams, large streams copied straight to a file. On it are built a
// one-page sample licence (testdata/licence.pdf), optionally inflated with a large filler
// stream, and ManySignatures, the shape of a denial-of-service document. The licence's text is
// uncompressed, so tests (and the README walkthrough) can tamper with it with a plain byte edit.
package testpdf

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Licence describes the sample licence page.
type Licence struct {
	Number string // licence number, e.g. 330100-2026-000123
	Holder string
	Scope  string
	// FillerBytes adds an unreferenced-by-content stream of this many bytes (to make a large file).
	FillerBytes int64
}

// DefaultLicence is the sample used by testdata/licence.pdf and the README walkthrough.
var DefaultLicence = Licence{
	Number: "330100-2026-000123",
	Holder: "Hangzhou Example Trading Co., Ltd.",
	Scope:  "Food business licence (retail of prepackaged food)",
}

// Write writes the licence PDF to w.
func (l Licence) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	pw := NewWriter()
	resources := "/Font << /F1 4 0 R /F2 5 0 R >>"
	if l.FillerBytes > 0 {
		resources += " /XObject << /Fill 7 0 R >>"
	}
	pw.Obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	pw.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	pw.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "+resources+" >> /Contents 6 0 R >>")
	pw.Obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
	pw.Obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	pw.Stream(6, "", l.content())
	if l.FillerBytes > 0 {
		if err := pw.StreamFrom(bw, 7, "/Type /XObject /Subtype /Form /BBox [0 0 1 1]", l.FillerBytes, Filler()); err != nil {
			return err
		}
	}
	pw.EndRevision()
	if err := pw.Flush(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// Bytes returns the licence PDF.
func (l Licence) Bytes() []byte {
	var b strings.Builder
	if err := l.Write(&b); err != nil {
		panic(err) // writing to memory cannot fail
	}
	return []byte(b.String())
}

func (l Licence) content() string {
	lines := []struct {
		font string
		size int
		y    int
		text string
	}{
		{"F1", 24, 760, "ADMINISTRATIVE LICENCE"},
		{"F2", 12, 700, "Licence No.: " + l.Number},
		{"F2", 12, 676, "Holder: " + l.Holder},
		{"F2", 12, 652, "Scope: " + l.Scope},
		{"F2", 12, 628, "Valid: 2026-11-27 to 2031-11-26"},
		{"F2", 12, 580, "Issued by: Hangzhou Administrative Approval Bureau"},
		{"F2", 10, 120, "Sample document for eseal tests. Sealed electronically under GB/T 38540."},
	}
	var b strings.Builder
	for _, ln := range lines {
		fmt.Fprintf(&b, "BT /%s %d Tf 72 %d Td (%s) Tj ET\n", ln.font, ln.size, ln.y, escape(ln.text))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// Filler is an endless reader of varied printable filler (not a run of zeros, which would mislead
// placeholder searches, and not trivially compressible).
func Filler() io.Reader {
	return Repeat([]byte("% eseal filler 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"))
}

// Repeat is an endless reader of line, over and over.
func Repeat(line []byte) io.Reader { return &repeater{line: line} }

type repeater struct {
	line []byte
	pos  int
}

func (r *repeater) Read(p []byte) (int, error) {
	for n := 0; n < len(p); {
		c := copy(p[n:], r.line[r.pos:])
		n += c
		r.pos = (r.pos + c) % len(r.line)
	}
	return len(p), nil
}

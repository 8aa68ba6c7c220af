// Package testpdf writes small, valid, unsigned PDFs for tests, examples and benchmarks: a one-page
// sample licence, optionally inflated with a large filler stream to test big documents. The text is
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
	cw := &countingWriter{w: bw}
	var offsets []int64
	obj := func(body string) {
		offsets = append(offsets, cw.n)
		fmt.Fprintf(cw, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	fmt.Fprint(cw, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	content := l.content()
	resources := "/Font << /F1 4 0 R /F2 5 0 R >>"
	if l.FillerBytes > 0 {
		resources += " /XObject << /Fill 7 0 R >>"
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << " + resources + " >> /Contents 6 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	if l.FillerBytes > 0 {
		offsets = append(offsets, cw.n)
		fmt.Fprintf(cw, "7 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length %d >>\nstream\n", l.FillerBytes)
		if err := writeFiller(cw, l.FillerBytes); err != nil {
			return err
		}
		fmt.Fprint(cw, "\nendstream\nendobj\n")
	}
	xref := cw.n
	fmt.Fprintf(cw, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(cw, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(cw, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	if cw.err != nil {
		return cw.err
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

// writeFiller writes n bytes of varied printable filler (not a run of zeros, which would mislead
// placeholder searches, and not trivially compressible).
func writeFiller(w io.Writer, n int64) error {
	line := []byte("% eseal filler 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n")
	buf := make([]byte, 0, 64<<10)
	for len(buf)+len(line) <= cap(buf) {
		buf = append(buf, line...)
	}
	for n > 0 {
		chunk := buf
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		if _, err := w.Write(chunk); err != nil {
			return err
		}
		n -= int64(len(chunk))
	}
	return nil
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

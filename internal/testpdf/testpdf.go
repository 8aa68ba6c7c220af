// Package testpdf writes the PDFs of the tests, examples and benchmarks of every package. Writer
// is the one PDF writer of the tests: objects byte for byte as given, revisions with
// cross-reference tables or streams, large streams copied straight to a file. On it are built a
// one-page sample licence (testdata/licence.pdf: a Chinese 准予行政许可决定书, its text set in a
// subset of the system's CJK font, embedded, with English lines in Helvetica), optionally
// inflated with a large filler stream, and ManySignatures, the shape of a denial-of-service
// document. The content is uncompressed, so tests (and the README walkthrough) can tamper with
// the English lines with a plain byte edit.
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

// Chinese text of the licence, set in the system's CJK font (embedded, cut down to these
// characters); the English lines below it are in Helvetica, plain in the file for the README's
// tamper step.
var (
	zhTitle  = "准予行政许可决定书"
	zhNumber = "杭审批许〔2026〕123号"
	zhBody   = []string{
		"申请人：杭州某某贸易有限公司",
		"许可事项：食品经营许可（预包装食品销售）",
		"经审查，你单位提交的申请材料齐全、符合法定形式，根据《中华",
		"人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。",
	}
	zhAuthority = "杭州市行政审批局"
	zhDate      = "2026年11月27日"
	zhFooter    = "eseal 测试用样例文书，并非真实许可。"
)

func zhText() string {
	return zhTitle + zhNumber + strings.Join(zhBody, "") + zhAuthority + zhDate + zhFooter
}

// Write writes the licence PDF to w. It needs a CJK font on the system (seal.SystemCJKFont).
func (l Licence) Write(w io.Writer) error {
	font, err := loadCJKFont(zhText())
	if err != nil {
		return fmt.Errorf("testpdf: the Chinese licence needs a CJK font: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	pw := NewWriter()
	resources := "/Font << /F1 4 0 R /F2 5 0 R /F3 8 0 R >>"
	if l.FillerBytes > 0 {
		resources += " /XObject << /Fill 7 0 R >>"
	}
	pw.Obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	pw.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	pw.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "+resources+" >> /Contents 6 0 R >>")
	pw.Obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
	pw.Obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	pw.Stream(6, "", l.content(font))
	if l.FillerBytes > 0 {
		if err := pw.StreamFrom(bw, 7, "/Type /XObject /Subtype /Form /BBox [0 0 1 1]", l.FillerBytes, Filler()); err != nil {
			return err
		}
	}
	if err := font.objects(pw, 8); err != nil {
		return err
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

func (l Licence) content(f *cjkFont) string {
	var b strings.Builder
	// x < 0 centres the line.
	zh := func(size, x, y int, text string) {
		if x < 0 {
			x = (595 - f.width(text)*size/1000) / 2
		}
		fmt.Fprintf(&b, "BT /F3 %d Tf %d %d Td %s Tj ET\n", size, x, y, f.hex(text))
	}
	en := func(font string, size, y int, text string) {
		fmt.Fprintf(&b, "BT /%s %d Tf 72 %d Td (%s) Tj ET\n", font, size, y, escape(text))
	}
	zh(24, -1, 760, zhTitle)
	zh(12, -1, 730, zhNumber)
	for i, line := range zhBody {
		zh(13, 72, 680-22*i, line)
	}
	en("F1", 11, 570, "ADMINISTRATIVE LICENCE")
	en("F2", 11, 552, "Licence No.: "+l.Number)
	en("F2", 11, 536, "Holder: "+l.Holder)
	en("F2", 11, 520, "Scope: "+l.Scope)
	en("F2", 11, 504, "Valid: 2026-11-27 to 2031-11-26")
	en("F2", 11, 488, "Issued by: Hangzhou Administrative Approval Bureau")
	zh(14, 370, 300, zhAuthority)
	zh(13, 376, 278, zhDate)
	zh(9, 72, 120, zhFooter)
	en("F2", 9, 106, "Sample document for eseal tests. Sealed electronically under GB/T 38540.")
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

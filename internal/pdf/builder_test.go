package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/testpdf"
)

// pdfBuilder is the shared test PDF writer (testpdf.Writer) with the test's t.
type pdfBuilder struct {
	*testpdf.Writer
	t testing.TB
}

func newBuilder(t testing.TB) *pdfBuilder { return &pdfBuilder{Writer: testpdf.NewWriter(), t: t} }

func (p *pdfBuilder) obj(num int, body string)          { p.Obj(num, body) }
func (p *pdfBuilder) stream(num int, dict, data string) { p.Stream(num, dict, data) }
func (p *pdfBuilder) free(num int)                      { p.Free(num) }
func (p *pdfBuilder) raw(s string)                      { p.Raw(s) }
func (p *pdfBuilder) endRevision() int64                { return p.EndRevision() }
func (p *pdfBuilder) endRevisionXRef() int64            { return p.EndRevisionXRef() }
func (p *pdfBuilder) packed(num int, body string)       { p.Packed(num, body) }
func (p *pdfBuilder) compressed(num, stm, idx int)      { p.Compressed(num, stm, idx) }

// sigDict is a signature dictionary whose ByteRange setByteRange fills.
func sigDict(typ, subFilter, extra string) string {
	return fmt.Sprintf("<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange %s /Contents <%s> /M (D:20240102030405+08'00') %s >>",
		typ, subFilter, byteRangeHole, "3082"+strings.Repeat("AB", 60)+strings.Repeat("00", 64), extra)
}

// setByteRange writes into object num's ByteRange placeholder the text
// format returns for the true values a (gap start), b (gap end) and end
// (end of the signed bytes, by default the current end of the file).
func (p *pdfBuilder) setByteRange(num int, format func(a, b, end int64) string) {
	data := p.Buf.Bytes()
	off := p.Offsets[num]
	// sigDict leaves len(byteRangeHole) bytes after "/ByteRange ", so the
	// range can be rewritten any number of times.
	i := bytes.Index(data[off:], []byte("/ByteRange "))
	if i < 0 {
		p.t.Fatalf("object %d has no /ByteRange", num)
	}
	hole := off + int64(i+len("/ByteRange "))
	a := off + int64(bytes.Index(data[off:], []byte("/Contents <"))) + int64(len("/Contents "))
	b := a + int64(bytes.IndexByte(data[a:], '>')) + 1
	s := format(a, b, int64(len(data)))
	if len(s) > len(byteRangeHole) {
		p.t.Fatalf("ByteRange text %q longer than the placeholder", s)
	}
	copy(data[hole:], s+strings.Repeat(" ", len(byteRangeHole)-len(s)))
}

// standard is [0 a b end-b].
func standard(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b, end-b) }

func (p *pdfBuilder) bytes() []byte { return p.Bytes() }

// baseDoc is a one-page document signed in revision 0 (field Sig1, object
// 7) with a text field "Name" (object 8) and its appearance (object 9).
// Objects: 1 catalog, 2 pages, 3 page, 4 content, 5 AcroForm, 6 Sig1 widget.
func baseDoc(t testing.TB) *pdfBuilder {
	return baseDocWith(t, "[6 0 R 8 0 R]", "[6 0 R 8 0 R]", nil)
}

// baseDocWith writes baseDoc with the given page /Annots and form /Fields
// values and extra objects, all in revision 0.
func baseDocWith(t testing.TB, annots, fields string, extra func(p *pdfBuilder)) *pdfBuilder {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> /Annots "+annots+" >>")
	p.stream(4, "", "BT /F1 12 Tf 10 10 Td (Hello) Tj ET")
	p.obj(5, "<< /Fields "+fields+" /SigFlags 3 >>")
	p.obj(6, "<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [10 150 90 190] /F 132 /P 3 0 R /V 7 0 R >>")
	p.obj(7, sigDict("Sig", "adbe.pkcs7.detached", "/Name (Signer)"))
	p.obj(8, "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [10 10 100 30] /F 4 /P 3 0 R /AP << /N 9 0 R >> >>")
	p.stream(9, "/Type /XObject /Subtype /Form /BBox [0 0 90 20]", "")
	if extra != nil {
		extra(p)
	}
	p.endRevision()
	p.setByteRange(7, standard)
	return p
}

func openBytes(t testing.TB, b []byte) *Document {
	t.Helper()
	d, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return d
}

func sigByName(t testing.TB, d *Document, field string) *Signature {
	t.Helper()
	for _, s := range d.Signatures {
		if s.FieldName == field {
			return s
		}
	}
	t.Fatalf("no signature field %q (have %d signatures)", field, len(d.Signatures))
	return nil
}

package pdf

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// pdfBuilder writes small PDFs with incremental updates for tests: every
// revision gets a classic cross-reference table and trailer.
type pdfBuilder struct {
	t       testing.TB
	buf     bytes.Buffer
	pending map[int]int64 // objects written in the current revision (-1: freed)
	offsets map[int]int64 // latest offset of every object
	prev    int64
	size    int
	trailer string // extra trailer entries
	pack    []packedObj
	inStm   map[int][2]int // type 2 entries: object -> stream, index
}

func newBuilder(t testing.TB) *pdfBuilder {
	p := &pdfBuilder{t: t, pending: map[int]int64{}, offsets: map[int]int64{}, prev: -1, size: 1}
	p.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return p
}

func (p *pdfBuilder) obj(num int, body string) {
	p.offsets[num] = int64(p.buf.Len())
	p.pending[num] = int64(p.buf.Len())
	fmt.Fprintf(&p.buf, "%d 0 obj\n%s\nendobj\n", num, body)
	if num >= p.size {
		p.size = num + 1
	}
}

func (p *pdfBuilder) stream(num int, dict, data string) {
	p.obj(num, fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data))
}

func (p *pdfBuilder) free(num int) { p.pending[num] = -1 }

// raw appends bytes outside any object.
func (p *pdfBuilder) raw(s string) { p.buf.WriteString(s) }

// endRevision writes the xref table, trailer, startxref and %%EOF; it
// returns the end of the revision.
func (p *pdfBuilder) endRevision() int64 {
	xref := int64(p.buf.Len())
	nums := make([]int, 0, len(p.pending))
	for n := range p.pending {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	p.buf.WriteString("xref\n")
	if p.prev < 0 {
		p.buf.WriteString("0 1\n0000000000 65535 f \n")
	}
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&p.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			if off := p.pending[nums[k]]; off < 0 {
				p.buf.WriteString("0000000000 00001 f \n")
			} else {
				fmt.Fprintf(&p.buf, "%010d 00000 n \n", off)
			}
		}
		i = j + 1
	}
	fmt.Fprintf(&p.buf, "trailer\n<< /Size %d /Root 1 0 R", p.size)
	if p.prev >= 0 {
		fmt.Fprintf(&p.buf, " /Prev %d", p.prev)
	}
	fmt.Fprintf(&p.buf, "%s >>\nstartxref\n%d\n%%%%EOF\n", p.trailer, xref)
	p.prev = xref
	p.pending = map[int]int64{}
	return int64(p.buf.Len())
}

// sigDict is a signature dictionary whose ByteRange setByteRange fills.
func sigDict(typ, subFilter, extra string) string {
	return fmt.Sprintf("<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange %s /Contents <%s> /M (D:20240102030405+08'00') %s >>",
		typ, subFilter, byteRangeHole, "3082"+strings.Repeat("AB", 60)+strings.Repeat("00", 64), extra)
}

// setByteRange writes into object num's ByteRange placeholder the text
// format returns for the true values a (gap start), b (gap end) and end
// (end of the signed bytes, by default the current end of the file).
func (p *pdfBuilder) setByteRange(num int, format func(a, b, end int64) string) {
	data := p.buf.Bytes()
	off := p.offsets[num]
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

func (p *pdfBuilder) bytes() []byte { return append([]byte(nil), p.buf.Bytes()...) }

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

// packed queues an object for the object stream endRevisionXRef writes.
func (p *pdfBuilder) packed(num int, body string) {
	p.pack = append(p.pack, packedObj{num, body})
	if num >= p.size {
		p.size = num + 1
	}
}

// compressed records a type 2 entry (object num at index idx of object
// stream stm) for endRevisionXRef, whatever that stream holds.
func (p *pdfBuilder) compressed(num, stm, idx int) {
	if p.inStm == nil {
		p.inStm = map[int][2]int{}
	}
	p.inStm[num] = [2]int{stm, idx}
	if num >= p.size {
		p.size = num + 1
	}
}

type packedObj struct {
	num  int
	body string
}

// endRevisionXRef ends the revision with an object stream (when objects
// were packed) and a cross-reference stream, both unfiltered.
func (p *pdfBuilder) endRevisionXRef() int64 {
	type ent struct {
		typ byte
		f2  uint32
		f3  uint16
	}
	entries := map[int]ent{}
	for n, off := range p.pending {
		if off < 0 {
			entries[n] = ent{0, 0, 1}
		} else {
			entries[n] = ent{1, uint32(off), 0}
		}
	}
	for n, si := range p.inStm {
		entries[n] = ent{2, uint32(si[0]), uint16(si[1])}
	}
	p.inStm = nil
	if len(p.pack) > 0 {
		stm := p.size
		p.size++
		var hdr, body strings.Builder
		for i, o := range p.pack {
			fmt.Fprintf(&hdr, "%d %d ", o.num, body.Len())
			body.WriteString(o.body + "\n")
			entries[o.num] = ent{2, uint32(stm), uint16(i)}
		}
		h := hdr.String()
		p.obj(stm, fmt.Sprintf("<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n%s%s\nendstream", len(p.pack), len(h), len(h)+body.Len(), h, body.String()))
		entries[stm] = ent{1, uint32(p.offsets[stm]), 0}
		p.pack = nil
	}
	xnum := p.size
	p.size++
	xoff := int64(p.buf.Len())
	entries[xnum] = ent{1, uint32(xoff), 0}
	if p.prev < 0 {
		entries[0] = ent{0, 0, 65535}
	}
	nums := make([]int, 0, len(entries))
	for n := range entries {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var data []byte
	var index []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		index = append(index, fmt.Sprintf("%d %d", nums[i], j-i+1))
		for k := i; k <= j; k++ {
			e := entries[nums[k]]
			data = append(data, e.typ, byte(e.f2>>24), byte(e.f2>>16), byte(e.f2>>8), byte(e.f2), byte(e.f3>>8), byte(e.f3))
		}
		i = j + 1
	}
	prev := ""
	if p.prev >= 0 {
		prev = fmt.Sprintf(" /Prev %d", p.prev)
	}
	fmt.Fprintf(&p.buf, "%d 0 obj\n<< /Type /XRef /Size %d /Root 1 0 R /W [1 4 2] /Index [%s]%s%s /Length %d >>\nstream\n", xnum, p.size, strings.Join(index, " "), prev, p.trailer, len(data))
	p.buf.Write(data)
	fmt.Fprintf(&p.buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
	p.prev = xoff
	p.pending = map[int]int64{}
	return int64(p.buf.Len())
}

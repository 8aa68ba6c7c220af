package testpdf

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Writer writes PDFs for tests byte by byte, revision by revision: objects as given (so a test
// knows exactly what it reads, deliberate defects included), then a cross-reference table or
// stream and a trailer for each revision. It is the one PDF writer of the tests of every
// package.
//
// The bytes of the file are Base (written elsewhere before, for a large file) followed by Buf.
type Writer struct {
	Buf  bytes.Buffer
	Base int64
	// Pending are the objects written in the current revision, by number: their offsets, -1
	// for a freed one.
	Pending map[int]int64
	// Offsets is the latest offset of every object.
	Offsets map[int]int64
	// Prev is the offset of the last cross-reference section, -1 before the first.
	Prev int64
	// Size is the trailer /Size: one more than the highest object number.
	Size int
	// Root is the trailer's /Root value; "" means "1 0 R".
	Root string
	// Trailer holds extra trailer entries, e.g. " /Info 7 0 R".
	Trailer string

	pack  []packedObj
	inStm map[int][2]int
}

type packedObj struct {
	num  int
	body string
}

// NewWriter starts a PDF 1.7 file with its binary comment.
func NewWriter() *Writer {
	w := &Writer{Pending: map[int]int64{}, Offsets: map[int]int64{}, Prev: -1, Size: 1}
	w.Buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// Continue is a writer of incremental updates to a file of base bytes written elsewhere, whose
// last cross-reference section is at prev and whose trailer /Size is size.
func Continue(base, prev int64, size int) *Writer {
	return &Writer{Base: base, Pending: map[int]int64{}, Offsets: map[int]int64{}, Prev: prev, Size: size}
}

// Pos is the file offset the next byte goes to.
func (w *Writer) Pos() int64 { return w.Base + int64(w.Buf.Len()) }

// Bytes is a copy of Buf.
func (w *Writer) Bytes() []byte { return bytes.Clone(w.Buf.Bytes()) }

// Obj writes object num with the given body.
func (w *Writer) Obj(num int, body string) {
	w.Offsets[num] = w.Pos()
	w.Pending[num] = w.Pos()
	fmt.Fprintf(&w.Buf, "%d 0 obj\n%s\nendobj\n", num, body)
	if num >= w.Size {
		w.Size = num + 1
	}
}

// Stream writes object num as a stream with dictionary entries dict and the data.
func (w *Writer) Stream(num int, dict, data string) {
	w.Obj(num, fmt.Sprintf("%s\nstream\n%s\nendstream", streamDict(dict, int64(len(data))), data))
}

func streamDict(dict string, n int64) string {
	if dict == "" {
		return fmt.Sprintf("<< /Length %d >>", n)
	}
	return fmt.Sprintf("<< %s /Length %d >>", dict, n)
}

// Flush moves what Buf holds to out, which then holds the first Base bytes of the file: a large
// file is written revision by revision without being held.
func (w *Writer) Flush(out io.Writer) error {
	n, err := out.Write(w.Buf.Bytes())
	w.Base += int64(n)
	w.Buf.Reset()
	return err
}

// StreamFrom writes object num as a stream of n bytes copied from src straight to out (after
// flushing Buf there), for streams too large to hold.
func (w *Writer) StreamFrom(out io.Writer, num int, dict string, n int64, src io.Reader) error {
	w.Offsets[num] = w.Pos()
	w.Pending[num] = w.Pos()
	if num >= w.Size {
		w.Size = num + 1
	}
	fmt.Fprintf(&w.Buf, "%d 0 obj\n%s\nstream\n", num, streamDict(dict, n))
	if err := w.Flush(out); err != nil {
		return err
	}
	copied, err := io.CopyN(out, src, n)
	w.Base += copied
	if err != nil {
		return err
	}
	w.Buf.WriteString("\nendstream\nendobj\n")
	return nil
}

// Free frees object num in the current revision.
func (w *Writer) Free(num int) { w.Pending[num] = -1 }

// Raw appends bytes outside any object.
func (w *Writer) Raw(s string) { w.Buf.WriteString(s) }

// NewObj allocates the next object number.
func (w *Writer) NewObj() int {
	w.Size++
	return w.Size - 1
}

func (w *Writer) root() string {
	if w.Root == "" {
		return "1 0 R"
	}
	return w.Root
}

// EndRevision writes the cross-reference table, the trailer, startxref and %%EOF, and returns
// the end of the revision.
func (w *Writer) EndRevision() int64 {
	xref := w.Pos()
	nums := make([]int, 0, len(w.Pending)+1)
	for n := range w.Pending {
		nums = append(nums, n)
	}
	if w.Prev < 0 {
		nums = append(nums, 0) // the head of the free list, in the first section only
	}
	sort.Ints(nums)
	w.Buf.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&w.Buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			switch off, ok := w.Pending[nums[k]]; {
			case nums[k] == 0 && !ok:
				w.Buf.WriteString("0000000000 65535 f \n")
			case off < 0:
				w.Buf.WriteString("0000000000 00001 f \n")
			default:
				fmt.Fprintf(&w.Buf, "%010d 00000 n \n", off)
			}
		}
		i = j + 1
	}
	fmt.Fprintf(&w.Buf, "trailer\n<< /Size %d /Root %s", w.Size, w.root())
	if w.Prev >= 0 {
		fmt.Fprintf(&w.Buf, " /Prev %d", w.Prev)
	}
	fmt.Fprintf(&w.Buf, "%s >>\nstartxref\n%d\n%%%%EOF\n", w.Trailer, xref)
	w.Prev = xref
	w.Pending = map[int]int64{}
	return w.Pos()
}

// Packed queues an object for the object stream EndRevisionXRef writes.
func (w *Writer) Packed(num int, body string) {
	w.pack = append(w.pack, packedObj{num, body})
	if num >= w.Size {
		w.Size = num + 1
	}
}

// Compressed records a type 2 entry (object num at index idx of object stream stm) for
// EndRevisionXRef, whatever that stream holds.
func (w *Writer) Compressed(num, stm, idx int) {
	if w.inStm == nil {
		w.inStm = map[int][2]int{}
	}
	w.inStm[num] = [2]int{stm, idx}
	if num >= w.Size {
		w.Size = num + 1
	}
}

// EndRevisionXRef ends the revision with an object stream (when objects were packed) and a
// cross-reference stream, both unfiltered, and returns the end of the revision.
func (w *Writer) EndRevisionXRef() int64 {
	type ent struct {
		typ byte
		f2  uint32
		f3  uint16
	}
	entries := map[int]ent{}
	for n, off := range w.Pending {
		if off < 0 {
			entries[n] = ent{0, 0, 1}
		} else {
			entries[n] = ent{1, uint32(off), 0}
		}
	}
	for n, si := range w.inStm {
		entries[n] = ent{2, uint32(si[0]), uint16(si[1])}
	}
	w.inStm = nil
	if len(w.pack) > 0 {
		stm := w.Size
		w.Size++
		var hdr, body strings.Builder
		for i, o := range w.pack {
			fmt.Fprintf(&hdr, "%d %d ", o.num, body.Len())
			body.WriteString(o.body + "\n")
			entries[o.num] = ent{2, uint32(stm), uint16(i)}
		}
		h := hdr.String()
		w.Obj(stm, fmt.Sprintf("<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n%s%s\nendstream", len(w.pack), len(h), len(h)+body.Len(), h, body.String()))
		entries[stm] = ent{1, uint32(w.Offsets[stm]), 0}
		w.pack = nil
	}
	xnum := w.Size
	w.Size++
	xoff := w.Pos()
	entries[xnum] = ent{1, uint32(xoff), 0}
	if w.Prev < 0 {
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
	if w.Prev >= 0 {
		prev = fmt.Sprintf(" /Prev %d", w.Prev)
	}
	fmt.Fprintf(&w.Buf, "%d 0 obj\n<< /Type /XRef /Size %d /Root %s /W [1 4 2] /Index [%s]%s%s /Length %d >>\nstream\n", xnum, w.Size, w.root(), strings.Join(index, " "), prev, w.Trailer, len(data))
	w.Buf.Write(data)
	fmt.Fprintf(&w.Buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xoff)
	w.Prev = xoff
	w.Pending = map[int]int64{}
	return w.Pos()
}

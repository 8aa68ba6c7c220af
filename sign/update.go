package sign

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// pdfsign writes its incremental update after a copy of the whole input, which it keeps in
// memory twice more (a buffer and the bytes it hashes for its throw-away CMS): for a 100 MB
// document, most of its time and about 500 MB. None of that copy is used here (this package
// hashes and writes the document itself), so pdfsign is given an input that reads as empty
// from its start (pdfsignInput): it then writes its update alone, with offsets counted from
// the update's start. relocate reads that update and writes it again behind the document:
// the same objects, with the seal picture's image and mask in place of the one-pixel
// placeholder pdfsign drew, and a cross-reference section and trailer of its own. pdfsign's
// were wrong anyway on some files: it derives /Size from the number of xref entries it read
// rather than /Size (readers then miss the new objects), and its xref streams drop /Info.

// pdfsignInput is the input document as pdfsign sees it: a read from offset 0 (its copy of
// the document) finds nothing; a read elsewhere (pdfsign reads the old trailer of a file with
// an xref table) gets the document's bytes.
type pdfsignInput struct {
	ra   io.ReaderAt
	size int64
	off  int64
}

func (p *pdfsignInput) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += p.off
	case io.SeekEnd:
		off += p.size
	default:
		return p.off, fmt.Errorf("seek: bad whence %d", whence)
	}
	if off < 0 {
		return p.off, fmt.Errorf("seek: negative offset %d", off)
	}
	p.off = off
	return off, nil
}

func (p *pdfsignInput) Read(b []byte) (int, error) {
	if p.off == 0 || p.off >= p.size {
		return 0, io.EOF
	}
	n, err := p.ra.ReadAt(b[:min(int64(len(b)), p.size-p.off)], p.off)
	p.off += int64(n)
	if n > 0 {
		err = nil
	}
	return n, err
}

// placeholderPicture is what pdfsign draws: one gray pixel, so that it writes the image
// object (whose body relocate replaces by the seal picture's) at almost no cost, and no mask
// (which relocate adds).
var placeholderPicture = func() []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err) // cannot fail: an in-memory 1×1 image
	}
	return buf.Bytes()
}()

// placeholderImageHead starts the body pdfsign writes for the placeholder picture.
const placeholderImageHead = "<<\n  /Type /XObject\n  /Subtype /Image\n  /Width 1\n  /Height 1\n  /ColorSpace /DeviceRGB\n"

// updateObject is an object of the update: its number and its body (between "N 0 obj\n" and
// "\nendobj\n"); start and end locate "N 0 obj ... endobj" in the relocated update.
type updateObject struct {
	id         uint32
	body       []byte
	start, end int
}

// pdfsignUpdate is pdfsign's update, parsed: its objects in the order written, and the number
// of its xref stream (0 for an xref table).
type pdfsignUpdate struct {
	objects      []updateObject
	xrefStreamID uint32
}

// maxObjectNumber bounds the object numbers of pdfsign's update: the document's own are
// below maxObjects (checkXrefBounds), and pdfsign adds a few; the mask and xref stream
// numbered after them cannot overflow.
const maxObjectNumber = 1 << 31

func badOutput(what string) *Error {
	return errorf(Internal, nil, "unexpected PDF writer output: %s", what)
}

const objectFooter = "\nendobj\n"

// parseUpdate reads pdfsign's update (written as if the document were empty) through its own
// cross-reference data, and checks that the objects it lists, and nothing else, fill the
// update up to the cross-reference section: "\n", then "\nN 0 obj\n...\nendobj\n" for each.
func parseUpdate(t []byte, xrefType string) (*pdfsignUpdate, error) {
	const eof = "\n%%EOF\n"
	sx := bytes.LastIndex(t, []byte("startxref"))
	if sx < 0 || !bytes.HasSuffix(t, []byte(eof)) {
		return nil, badOutput("no startxref and %%EOF at the end")
	}
	xs, err := strconv.Atoi(strings.TrimSpace(string(t[sx+len("startxref") : len(t)-len(eof)])))
	if err != nil || xs < 3 || xs >= sx || t[xs-1] != '\n' {
		return nil, badOutput("bad startxref")
	}
	u := &pdfsignUpdate{}
	var entries []xrefEntry
	switch xrefType {
	case "table":
		if !bytes.HasPrefix(t[xs:], []byte("xref\n")) {
			return nil, badOutput("startxref does not point at the xref table")
		}
		p := xs + len("xref\n")
		for p < sx && isDigit(t[p]) {
			nl := bytes.IndexByte(t[p:sx], '\n')
			if nl < 0 {
				return nil, badOutput("unterminated xref subsection header")
			}
			f := strings.Fields(string(t[p : p+nl]))
			p += nl + 1
			if len(f) != 2 {
				return nil, badOutput("bad xref subsection header")
			}
			first, err1 := strconv.ParseUint(f[0], 10, 32)
			count, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || count < 1 || count > (sx-p)/20 || first+uint64(count) > maxObjectNumber {
				return nil, badOutput("bad xref subsection header")
			}
			for k := range count {
				e := t[p : p+20]
				off, err := strconv.Atoi(string(e[:10]))
				if err != nil || string(e[10:]) != " 00000 n\r\n" {
					return nil, badOutput("bad xref entry")
				}
				entries = append(entries, xrefEntry{uint32(first) + uint32(k), off})
				p += 20
			}
		}
		// What follows is pdfsign's edit of the old trailer, replaced by writeXref.
	case "stream":
		var err error
		if u.xrefStreamID, entries, err = parseXrefStream(t[xs+1 : sx]); err != nil {
			return nil, err
		}
	default:
		return nil, badOutput("unknown cross-reference type " + xrefType)
	}
	if len(entries) == 0 {
		return nil, badOutput("empty cross-reference section")
	}
	slices.SortFunc(entries, func(a, b xrefEntry) int { return a.off - b.off })
	if !bytes.HasPrefix(t, []byte("\n\n")) || entries[0].off != 2 {
		return nil, badOutput("the update does not start with an object")
	}
	seen := map[uint32]bool{}
	for i, e := range entries {
		end := xs - 1 // the newline before the cross-reference section
		if i+1 < len(entries) {
			end = entries[i+1].off - 1
		}
		head := strconv.FormatUint(uint64(e.id), 10) + " 0 obj\n"
		if seen[e.id] || e.off >= end || t[end] != '\n' || !bytes.HasPrefix(t[e.off:end], []byte(head)) ||
			!bytes.HasSuffix(t[e.off:end], []byte(objectFooter)) || end-e.off < len(head)+len(objectFooter) {
			return nil, badOutput(fmt.Sprintf("object %d is not where the cross-reference data says", e.id))
		}
		seen[e.id] = true
		u.objects = append(u.objects, updateObject{id: e.id, body: t[e.off+len(head) : end-len(objectFooter)]})
	}
	if u.xrefStreamID != 0 && seen[u.xrefStreamID] {
		return nil, badOutput("the xref stream's number is taken")
	}
	return u, nil
}

// xrefEntry is an object number and its offset in the update.
type xrefEntry struct {
	id  uint32
	off int
}

var (
	xrefStreamHead = regexp.MustCompile(`^(\d+) 0 obj\n<< /Type /XRef\n`)
	xrefLength     = regexp.MustCompile(`\n  /Length (\d+)\n`)
	xrefIndex      = regexp.MustCompile(`\n  /Index \[([0-9 ]*)\]\n`)
)

// parseXrefStream reads the xref stream object pdfsign wrote (t starts at its header and ends
// before "startxref"): /W [ 1 4 1 ], no predictor, every entry of type 1 and generation 0.
func parseXrefStream(t []byte) (uint32, []xrefEntry, error) {
	m := xrefStreamHead.FindSubmatch(t)
	if m == nil {
		return 0, nil, badOutput("startxref does not point at the xref stream")
	}
	id, err := strconv.ParseUint(string(m[1]), 10, 32)
	if err != nil {
		return 0, nil, badOutput("bad xref stream number")
	}
	dictEnd := bytes.Index(t, []byte(">>\nstream\n"))
	if dictEnd < 0 {
		return 0, nil, badOutput("unterminated xref stream dictionary")
	}
	dict := t[:dictEnd]
	lm, im := xrefLength.FindSubmatch(dict), xrefIndex.FindSubmatch(dict)
	if lm == nil || im == nil || !bytes.Contains(dict, []byte("\n  /W [ 1 4 1 ]\n")) || !bytes.Contains(dict, []byte("\n  /Filter /FlateDecode\n")) ||
		bytes.Contains(dict, []byte("/DecodeParms")) {
		return 0, nil, badOutput("xref stream dictionary")
	}
	n, _ := strconv.Atoi(string(lm[1]))
	data := t[dictEnd+len(">>\nstream\n"):]
	if n > len(data) || string(data[n:]) != "\nendstream"+objectFooter {
		return 0, nil, badOutput("xref stream length")
	}
	index, err := parseInts(string(im[1]))
	if err != nil || len(index)%2 != 0 {
		return 0, nil, badOutput("xref stream /Index")
	}
	var ids []uint32
	for k := 0; k < len(index); k += 2 {
		if index[k] < 0 || index[k+1] < 1 || index[k+1] > int64(len(data)) || index[k]+index[k+1] > maxObjectNumber {
			return 0, nil, badOutput("xref stream /Index")
		}
		for i := range index[k+1] {
			ids = append(ids, uint32(index[k]+i))
		}
	}
	zr, err := zlib.NewReader(bytes.NewReader(data[:n]))
	if err != nil {
		return 0, nil, badOutput("xref stream data")
	}
	rows, err := io.ReadAll(io.LimitReader(zr, int64(6*len(ids)+1)))
	if err != nil || len(rows) != 6*len(ids) {
		return 0, nil, badOutput("xref stream data")
	}
	entries := make([]xrefEntry, len(ids))
	for i, id := range ids {
		r := rows[6*i : 6*i+6]
		if r[0] != 1 || r[5] != 0 {
			return 0, nil, badOutput("xref stream entry")
		}
		entries[i] = xrefEntry{id, int(binary.BigEndian.Uint32(r[1:5]))}
	}
	return uint32(id), entries, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// relocate replaces pdfsign's update (j.tail, written as if the document were empty) by the
// update that follows the document: the same objects, with img in place of the placeholder
// picture, img's mask (a new object, numbered after all others), and an xref section and
// trailer of its own (see writeXref). It then writes the ByteRange, which only now has its
// final values.
func (j *job) relocate(img *imageXObject) error {
	u, err := parseUpdate(j.tail, j.reader.XrefInformation.Type)
	if err != nil {
		return err
	}
	// The objects this package patches or checks, found by what pdfsign writes at their start.
	find := func(head string) (int, error) {
		at := -1
		for i, o := range u.objects {
			if bytes.HasPrefix(o.body, []byte(head)) {
				if at >= 0 {
					return -1, badOutput(fmt.Sprintf("two objects starting %q", head))
				}
				at = i
			}
		}
		if at < 0 {
			return -1, badOutput(fmt.Sprintf("no object starting %q", head))
		}
		return at, nil
	}
	var idx [4]int
	for i, head := range []string{"<<\n /Type /Sig\n", "<<\n  /Type /Annot\n  /Subtype /Widget\n", "<<\n  /Type /Catalog\n", placeholderImageHead} {
		if idx[i], err = find(head); err != nil {
			return err
		}
	}
	sigAt, widgetAt, catalogAt, imageAt := idx[0], idx[1], idx[2], idx[3]
	if sigAt != 0 {
		return badOutput("the signature dictionary is not the first object")
	}
	if bytes.Contains(u.objects[imageAt].body, []byte("/SMask")) {
		return badOutput("the placeholder picture has a mask")
	}
	// The mask's number: after every object of the document and of the update (all below
	// maxObjectNumber, so neither it nor the xref stream's after it overflows).
	mask := u.xrefStreamID
	for _, x := range j.reader.Xref() {
		p := x.Ptr()
		mask = max(mask, p.GetID())
	}
	for _, o := range u.objects {
		mask = max(mask, o.id)
	}
	mask++
	u.objects[imageAt].body = img.imageBody(mask)
	maskAt := imageAt + 1
	u.objects = slices.Insert(u.objects, maskAt, updateObject{id: mask, body: img.maskBody()})
	if widgetAt >= maskAt {
		widgetAt++
	}
	if catalogAt >= maskAt {
		catalogAt++
	}
	if u.xrefStreamID != 0 {
		u.xrefStreamID = mask + 1
	}

	size := len(u.objects)*32 + 1024
	for _, o := range u.objects {
		size += len(o.body)
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteByte('\n') // pdfsign's: after the document's %%EOF
	for i := range u.objects {
		o := &u.objects[i]
		b.WriteByte('\n')
		o.start = b.Len()
		b.WriteString(strconv.FormatUint(uint64(o.id), 10))
		b.WriteString(" 0 obj\n")
		b.Write(o.body)
		b.WriteString(objectFooter)
		o.end = b.Len()
	}
	b.WriteByte('\n')
	if err := j.writeXref(b, u, u.objects[catalogAt].id); err != nil {
		return err
	}
	j.tail = b.Bytes()
	j.sigObj, j.widgetObj, j.imageObj, j.maskObj = u.objects[sigAt], u.objects[widgetAt], u.objects[imageAt], u.objects[maskAt]
	return j.writeByteRange()
}

// writeXref appends the cross-reference section (a table or a stream, as the document's
// last one) for the objects of u, the trailer, startxref and %%EOF. /Size is the old /Size or
// one more than the highest object listed, whichever is greater; /Prev points at the old
// cross-reference section, /Info and /ID are the old trailer's, /Root is the new catalog. An xref stream lists every object but itself (as
// pdfsign writes it), unfiltered (its six bytes an object are not worth compressing).
func (j *job) writeXref(b *bytes.Buffer, u *pdfsignUpdate, catalog uint32) error {
	offsets := make([]xrefEntry, len(u.objects))
	for i, o := range u.objects {
		offsets[i] = xrefEntry{o.id, o.start}
	}
	slices.SortFunc(offsets, func(a, c xrefEntry) int { return int(int64(a.id) - int64(c.id)) })
	var runs [][2]int // [first index, count] of consecutive object numbers
	for i := range offsets {
		if n := len(runs); n > 0 && offsets[i].id == offsets[runs[n-1][0]].id+uint32(runs[n-1][1]) {
			runs[n-1][1]++
		} else {
			runs = append(runs, [2]int{i, 1})
		}
	}
	old := j.reader.Trailer()
	size := max(old.Key("Size").Int64(), int64(offsets[len(offsets)-1].id)+1)
	var extra strings.Builder // /Info and /ID, as in the old trailer
	if v := old.Key("Info"); !v.IsNull() && v.GetPtr() != old.GetPtr() {
		p := v.GetPtr()
		fmt.Fprintf(&extra, "  /Info %d %d R\n", p.GetID(), p.GetGen())
	}
	if v := old.Key("ID"); v.Len() == 2 {
		fmt.Fprintf(&extra, "  /ID [<%s><%s>]\n", hex.EncodeToString([]byte(v.Index(0).RawString())), hex.EncodeToString([]byte(v.Index(1).RawString())))
	}
	xrefAt := j.size + int64(b.Len())
	switch j.reader.XrefInformation.Type {
	case "table":
		b.WriteString("xref\n")
		for _, r := range runs {
			fmt.Fprintf(b, "%d %d\n", offsets[r[0]].id, r[1])
			for _, e := range offsets[r[0] : r[0]+r[1]] {
				fmt.Fprintf(b, "%010d 00000 n\r\n", j.size+int64(e.off))
			}
		}
		fmt.Fprintf(b, "trailer\n<<\n  /Size %d\n  /Root %d 0 R\n%s", size, catalog, extra.String())
		j.writePrev(b)
		b.WriteString(">>\n")
	case "stream":
		rows := make([]byte, 0, 6*len(offsets))
		for _, e := range offsets {
			off := j.size + int64(e.off)
			if off > math.MaxUint32 {
				return errorf(UnsupportedPDF, nil, "offset %d does not fit the 4-byte xref stream field", off)
			}
			rows = append(rows, 1, 0, 0, 0, 0, 0)
			binary.BigEndian.PutUint32(rows[len(rows)-5:], uint32(off))
		}
		var index strings.Builder
		for _, r := range runs {
			fmt.Fprintf(&index, " %d %d", offsets[r[0]].id, r[1])
		}
		fmt.Fprintf(b, "%d 0 obj\n<< /Type /XRef\n  /Length %d\n  /W [ 1 4 1 ]\n", u.xrefStreamID, len(rows))
		j.writePrev(b)
		fmt.Fprintf(b, "  /Size %d\n  /Index [%s ]\n  /Root %d 0 R\n%s>>\nstream\n", size, index.String(), catalog, extra.String())
		b.Write(rows)
		b.WriteString("\nendstream" + objectFooter)
	}
	fmt.Fprintf(b, "startxref\n%d\n%%%%EOF\n", xrefAt)
	return nil
}

// writePrev writes the /Prev entry, noting where (see selfCheck).
func (j *job) writePrev(b *bytes.Buffer) {
	j.prevEntry[0] = b.Len()
	fmt.Fprintf(b, "  /Prev %d", j.reader.XrefInformation.StartPos)
	j.prevEntry[1] = b.Len()
	b.WriteByte('\n')
}

// writeByteRange writes the final ByteRange into the signature dictionary, padded as pdfsign
// pads it: everything but the /Contents hex string, to the end of the update. pdfsign's own
// ByteRange, counted from the start of its update (the same as the relocated one up to the
// end of the signature object), must have framed the same /Contents. It keeps the signature
// object's layout, with the ByteRange written, in j.sig.
func (j *job) writeByteRange() error {
	l, err := j.findSignature()
	if err != nil {
		return err
	}
	if l.byteRange[0] != 0 || l.byteRange[1] != int64(l.lt) || l.byteRange[2] != int64(l.gt)+1 {
		return badOutput(fmt.Sprintf("ByteRange %v does not frame the new /Contents", l.byteRange))
	}
	br := [4]int64{0, j.size + int64(l.lt), j.size + int64(l.gt) + 1, int64(len(j.tail) - l.gt - 1)}
	text := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3])
	if len(text) > len(byteRangePlaceholder) {
		return errorf(UnsupportedPDF, nil, "ByteRange %v does not fit", br)
	}
	copy(j.tail[l.brText:], text+strings.Repeat(" ", len(byteRangePlaceholder)-len(text)))
	l.byteRange = br
	j.sig = l
	return nil
}

package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// An incremental update that adds an approval signature (ISO 32000-2 7.5.6, 12.7, 12.8). It
// adds or replaces only what an approval signature may: the signature dictionary, the merged
// field and widget with its appearance and image, the page's /Annots (the annotations array
// object when it is indirect, else the page object, every other key copied as it was), the
// form's /Fields and /SigFlags (the form object when it is indirect, else the catalog), a
// cross-reference section of the kind the document's last one is (a table, or a stream), and
// a trailer carrying /Root, /Info and /ID over. Nothing else of the document is rewritten, so
// every earlier signature's later-change check sees only "a signature was added", which all
// permissions but DocMDP P=1 allow. What is copied is written by the serializer
// (serialize.go): strings as hex strings of exactly their bytes, names escaped.

// UpdateErrorReason says why an update cannot be written.
type UpdateErrorReason int

const (
	// UpdateCertified: a certification signature's DocMDP permissions (P=1), or a signed
	// field's lock (/P 1), allow no change at all: another signature would break it.
	UpdateCertified UpdateErrorReason = iota + 1
	// UpdatePageOutOfRange: the document has no such page.
	UpdatePageOutOfRange
	// UpdateUnsupported: a structure the update would have to change is not one it can
	// change faithfully (an /Annots or /Fields that is not an array, a page without a
	// usable /MediaBox, a file past the offsets a cross-reference table can hold).
	UpdateUnsupported
)

// UpdateError is the error of AppendApprovalSignature.
type UpdateError struct {
	Reason UpdateErrorReason
	Detail string
}

func (e *UpdateError) Error() string { return "pdf: cannot add a signature: " + e.Detail }

func updateErr(r UpdateErrorReason, format string, args ...any) *UpdateError {
	return &UpdateError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// PageInfo is the geometry of a page, with inherited attributes resolved.
type PageInfo struct {
	MediaBox [4]float64
	// CropBox is the visible area: the CropBox clipped to the MediaBox (the MediaBox when
	// there is none).
	CropBox [4]float64
	// Rotate is the page's /Rotate, normalised to 0, 90, 180 or 270.
	Rotate int
}

// Image is an image XObject: 8 bits per component, data as its filter leaves it.
type Image struct {
	Width, Height int
	ColorSpace    string // a name: DeviceRGB, DeviceGray
	Filter        string // a name, e.g. FlateDecode; "" for none
	Data          []byte
	// SMask is the soft mask (alpha) of the image, if any.
	SMask *Image
}

// ApprovalSignature describes the signature field AppendApprovalSignature adds.
type ApprovalSignature struct {
	Page int        // 1-based
	Rect [4]float64 // in the page's default user space
	// Picture is drawn over the whole rectangle as the widget's appearance; nil makes an
	// invisible signature's empty appearance.
	Picture *Image
	// SubFilter names the signature's format, e.g. adbe.pkcs7.detached.
	SubFilter string
	// Name, Reason, Location and ContactInfo are written as text strings when not empty.
	Name, Reason, Location, ContactInfo string
	SigningTime                         time.Time // /M
	// ContentsSize is the room, in bytes, the signature container gets in /Contents.
	ContentsSize int
	// Application names the signing application in /Prop_Build.
	Application string
	// Code, when set, is written as the signature dictionary's private entry /ESealCode: the
	// signature's verification code. Inside the signed bytes, it also makes two signatures of
	// the same document in the same second bind different digests.
	Code string
	// QR, when set, is stamped on the same page in the same update (so the signature covers
	// it): a stamp annotation drawing the code in vector form, and a link annotation over it.
	QR *QRStamp
}

// QRStamp is a QR code to stamp next to a signature.
type QRStamp struct {
	Rect [4]float64 // a square, in the page's default user space
	// Size is the code's width in modules; Dark its modules, row by row from the top (Size²).
	Size int
	Dark []bool
	// URI is what the code encodes; the link annotation opens it (7-bit ASCII).
	URI string
	// Title is the stamp's /Contents, shown by viewers as its description.
	Title string
}

// qrQuietZone is the light margin around a QR code, in modules (ISO/IEC 18004).
const qrQuietZone = 4

// qrContent draws a QR code in a unit square: a white square, then each row's runs of dark
// modules as rectangles.
func qrContent(q *QRStamp) []byte {
	n := q.Size + 2*qrQuietZone
	out := fmt.Appendf(nil, "q 1 g 0 0 1 1 re f %s 0 0 %s 0 0 cm 0 g\n", fmtReal(1/float64(n)), fmtReal(1/float64(n)))
	for y := 0; y < q.Size; y++ {
		row := n - 1 - (y + qrQuietZone) // PDF's y grows upwards
		for x := 0; x < q.Size; {
			if !q.Dark[y*q.Size+x] {
				x++
				continue
			}
			start := x
			for x < q.Size && q.Dark[y*q.Size+x] {
				x++
			}
			out = fmt.Appendf(out, "%d %d %d 1 re\n", start+qrQuietZone, row, x-start)
		}
	}
	return append(out, "f Q"...)
}

// SignatureUpdate is a prepared update: the document's bytes, then Bytes, make the signed
// file once the container is written into Bytes at ContentsAt.
type SignatureUpdate struct {
	Bytes []byte
	// ContentsAt locates the hex digits of /Contents in Bytes (after '<', before '>').
	ContentsAt [2]int
	// ByteRange is the signed part of the whole file: [0, a) and [b, b+c).
	ByteRange [4]int64
	FieldName string
}

// PageCount is the number of pages of the last revision.
func (d *Document) PageCount() int {
	return len(d.pageRefs())
}

// pageRefs lists the page objects in page order.
func (d *Document) pageRefs() []ref {
	pi := d.pageIndex(d.lastView())
	refs := make([]ref, len(pi.pages))
	for r, n := range pi.pages {
		if n >= 1 && n <= len(refs) {
			refs[n-1] = r
		}
	}
	return refs
}

// Page returns the geometry of page n (1-based).
func (d *Document) Page(n int) (PageInfo, error) {
	refs := d.pageRefs()
	if len(refs) == 0 {
		return PageInfo{}, updateErr(UpdateUnsupported, "the document has no readable page (its page tree is empty, unreadable or loops)")
	}
	if n < 1 || n > len(refs) {
		return PageInfo{}, updateErr(UpdatePageOutOfRange, "page %d requested, the document has %d page(s)", n, len(refs))
	}
	view := d.lastView()
	pd := d.dictOf(refs[n-1], view)
	inherited := func(key name) object {
		for cur, i := pd, 0; cur != nil && i < 64; cur, i = d.dictOf(cur["Parent"], view), i+1 {
			if v, ok := cur[key]; ok {
				return d.deref(v, view)
			}
		}
		return nil
	}
	var info PageInfo
	mb, ok := d.box(inherited("MediaBox"))
	if !ok || mb[2]-mb[0] < 1 || mb[3]-mb[1] < 1 {
		return info, updateErr(UpdateUnsupported, "page %d has no usable /MediaBox", n)
	}
	info.MediaBox, info.CropBox = mb, mb
	if cb, ok := d.box(inherited("CropBox")); ok {
		v := [4]float64{max(cb[0], mb[0]), max(cb[1], mb[1]), min(cb[2], mb[2]), min(cb[3], mb[3])}
		if v[2]-v[0] >= 1 && v[3]-v[1] >= 1 {
			info.CropBox = v
		}
	}
	if r, ok := inherited("Rotate").(int64); ok {
		info.Rotate = int(((r % 360) + 360) % 360)
		if info.Rotate%90 != 0 {
			return info, updateErr(UpdateUnsupported, "page %d has /Rotate %d", n, r)
		}
	}
	return info, nil
}

func (d *Document) box(o object) ([4]float64, bool) {
	a, ok := o.(array)
	if !ok || len(a) != 4 {
		return [4]float64{}, false
	}
	var b [4]float64
	for i, v := range a {
		f, ok := d.numberOf(v, d.lastView())
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return b, false
		}
		b[i] = f
	}
	return [4]float64{min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])}, true
}

// byteRangeHole is the ByteRange written before the offsets are known; it is overwritten in
// place, padded with spaces.
const byteRangeHole = "[0 0000000000 0000000000 0000000000]"

// AppendApprovalSignature prepares the incremental update that adds sig as a new signature
// field on its page. It refuses a document whose certification allows no change (DocMDP
// P=1), with an *UpdateError naming the certification.
func (d *Document) AppendApprovalSignature(sig ApprovalSignature) (*SignatureUpdate, error) {
	view := d.lastView()
	if err := d.checkPermissions(); err != nil {
		return nil, err
	}
	refs := d.pageRefs()
	if sig.Page < 1 || sig.Page > len(refs) {
		return nil, updateErr(UpdatePageOutOfRange, "page %d requested, the document has %d page(s)", sig.Page, len(refs))
	}
	if d.Size > 9_999_999_999 {
		return nil, updateErr(UpdateUnsupported, "a file of %d bytes is past the offsets a cross-reference table can hold", d.Size)
	}
	trailer := d.trailer(view)
	rootRef, ok := trailer["Root"].(ref)
	if !ok {
		return nil, updateErr(UpdateUnsupported, "the trailer's /Root is not a reference")
	}
	catalog := d.dictOf(rootRef, view)
	if catalog == nil {
		return nil, updateErr(UpdateUnsupported, "the catalog cannot be read")
	}
	w := &updateWriter{d: d, view: view, base: d.Size}
	w.next = d.nextObjectNumber()
	if d.Size > 0 && !d.endsWithEOL() {
		w.buf = append(w.buf, '\n') // the update starts on a line of its own
	}
	pageRef := refs[sig.Page-1]
	fieldName := d.freeFieldName()

	sigNum, widgetNum := w.alloc(), w.alloc()
	sigRef, widgetRef := ref{sigNum, 0}, ref{widgetNum, 0}
	newAnnots := array{widgetRef}
	var stampRef, linkRef ref
	if q := sig.QR; q != nil {
		if q.Size < 21 || len(q.Dark) != q.Size*q.Size || q.Rect[2] <= q.Rect[0] || q.Rect[3] <= q.Rect[1] || q.URI == "" {
			return nil, updateErr(UpdateUnsupported, "the QR code to stamp is malformed")
		}
		for _, c := range []byte(q.URI) {
			if c < 0x20 || c > 0x7e {
				return nil, updateErr(UpdateUnsupported, "the QR code's link is not printable ASCII")
			}
		}
		stampRef, linkRef = ref{w.alloc(), 0}, ref{w.alloc(), 0}
		newAnnots = append(newAnnots, stampRef, linkRef)
	}

	// The page: only /Annots changes.
	page := d.dictOf(pageRef, view)
	switch a := page["Annots"].(type) {
	case ref:
		arr, ok := d.deref(a, view).(array)
		if !ok {
			return nil, updateErr(UpdateUnsupported, "the /Annots of page %d is not an array", sig.Page)
		}
		w.replace(a, append(slices.Clone(arr), newAnnots...))
	case array:
		p := cloneDict(page)
		p["Annots"] = append(slices.Clone(a), newAnnots...)
		w.replace(pageRef, p)
	case nil:
		p := cloneDict(page)
		p["Annots"] = newAnnots
		w.replace(pageRef, p)
	default:
		return nil, updateErr(UpdateUnsupported, "the /Annots of page %d is not an array", sig.Page)
	}

	// The form: the new field in /Fields, /SigFlags 3.
	var form dict
	formRef, formIndirect := catalog["AcroForm"].(ref)
	if formIndirect {
		form = d.dictOf(formRef, view)
	} else {
		form, _ = catalog["AcroForm"].(dict)
	}
	newForm := cloneDict(form)
	formChanged := false
	switch f := newForm["Fields"].(type) {
	case ref:
		arr, ok := d.deref(f, view).(array)
		if !ok {
			return nil, updateErr(UpdateUnsupported, "the form's /Fields is not an array")
		}
		w.replace(f, append(slices.Clone(arr), widgetRef))
	case array:
		newForm["Fields"] = append(slices.Clone(f), widgetRef)
		formChanged = true
	case nil:
		newForm["Fields"] = array{widgetRef}
		formChanged = true
	default:
		return nil, updateErr(UpdateUnsupported, "the form's /Fields is not an array")
	}
	if flags, _ := d.intOf(form["SigFlags"], view); flags&3 != 3 {
		newForm["SigFlags"] = flags | 3
		formChanged = true
	}
	if formChanged {
		if formIndirect {
			w.replace(formRef, newForm)
		} else {
			c := cloneDict(catalog)
			c["AcroForm"] = newForm
			w.replace(rootRef, c)
		}
	}

	// The appearance: the picture over the whole rectangle.
	width, height := sig.Rect[2]-sig.Rect[0], sig.Rect[3]-sig.Rect[1]
	apDict := dict{"Type": name("XObject"), "Subtype": name("Form"), "BBox": array{0.0, 0.0, width, height}}
	var content []byte
	if sig.Picture != nil && width > 0 && height > 0 {
		img := w.image(sig.Picture)
		apDict["Resources"] = dict{"XObject": dict{"Im1": img}}
		content = fmt.Appendf(nil, "q %s 0 0 %s 0 0 cm /Im1 Do Q", fmtReal(width), fmtReal(height))
	}
	apNum := w.alloc()
	w.stream(ref{apNum, 0}, apDict, content)

	widget := dict{
		"Type": name("Annot"), "Subtype": name("Widget"), "FT": name("Sig"),
		"T": pdfString{b: TextString(fieldName)}, "V": sigRef, "P": pageRef, "F": int64(132),
		"Rect": array{sig.Rect[0], sig.Rect[1], sig.Rect[2], sig.Rect[3]},
		"AP":   dict{"N": ref{apNum, 0}},
	}
	w.replace(widgetRef, widget)

	if q := sig.QR; q != nil {
		side := q.Rect[2] - q.Rect[0]
		qrAP := ref{w.alloc(), 0}
		w.stream(qrAP, dict{"Type": name("XObject"), "Subtype": name("Form"), "BBox": array{0.0, 0.0, 1.0, 1.0},
			"Matrix": array{side, 0.0, 0.0, q.Rect[3] - q.Rect[1], 0.0, 0.0}}, qrContent(q))
		rect := array{q.Rect[0], q.Rect[1], q.Rect[2], q.Rect[3]}
		stamp := dict{"Type": name("Annot"), "Subtype": name("Stamp"), "Rect": rect, "P": pageRef, "F": int64(4 | 128),
			"AP": dict{"N": qrAP}, "NM": pdfString{b: TextString(fieldName + "-QR")}}
		if q.Title != "" {
			stamp["Contents"] = pdfString{b: TextString(q.Title)}
		}
		w.replace(stampRef, stamp)
		w.replace(linkRef, dict{"Type": name("Annot"), "Subtype": name("Link"), "Rect": rect, "P": pageRef, "F": int64(4),
			"Border": array{int64(0), int64(0), int64(0)}, "A": dict{"S": name("URI"), "URI": pdfString{b: []byte(q.URI)}}})
	}

	// The signature dictionary, written by hand: its ByteRange and Contents are filled in
	// place later.
	var sd bytes.Buffer
	sd.WriteString("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter ")
	sd.Write(appendName(nil, name(sig.SubFilter)))
	sd.WriteString(" /ByteRange " + byteRangeHole + " /Contents <")
	contentsAt := sd.Len()
	sd.Write(bytes.Repeat([]byte("0"), 2*sig.ContentsSize))
	sd.WriteString("> /M ")
	sd.Write(appendHexString(nil, []byte(pdfDate(sig.SigningTime))))
	for _, t := range []struct{ key, value string }{{"Name", sig.Name}, {"Reason", sig.Reason}, {"Location", sig.Location}, {"ContactInfo", sig.ContactInfo}} {
		if t.value != "" {
			sd.WriteString(" /" + t.key + " ")
			sd.Write(appendHexString(nil, TextString(t.value)))
		}
	}
	if sig.Code != "" {
		sd.WriteString(" /ESealCode ")
		sd.Write(appendHexString(nil, []byte(sig.Code)))
	}
	if sig.Application != "" {
		sd.WriteString(" /Prop_Build << /App << /Name ")
		sd.Write(appendName(nil, name(sig.Application)))
		sd.WriteString(" >> >>")
	}
	sd.WriteString(" >>")
	sigStart := w.raw(sigRef, sd.Bytes())
	lt := sigStart + contentsAt - 1 // the '<'
	gt := lt + 1 + 2*sig.ContentsSize

	if err := w.finish(trailer); err != nil {
		return nil, err
	}
	if w.err != nil {
		return nil, w.err
	}
	u := &SignatureUpdate{Bytes: w.buf, ContentsAt: [2]int{lt + 1, gt}, FieldName: fieldName}
	total := d.Size + int64(len(w.buf))
	a, b := d.Size+int64(lt), d.Size+int64(gt+1)
	u.ByteRange = [4]int64{0, a, b, total - b}
	br := fmt.Sprintf("[0 %d %d %d]", a, b, total-b)
	hole := bytes.Index(w.buf[sigStart:], []byte(byteRangeHole))
	copy(w.buf[sigStart+hole:], br+string(bytes.Repeat([]byte(" "), len(byteRangeHole)-len(br))))
	return u, nil
}

// checkPermissions refuses a document whose certification or field locks allow no change.
func (d *Document) checkPermissions() error {
	for _, s := range d.Signatures {
		if s.DocMDP != nil && s.DocMDP.P == 1 {
			return updateErr(UpdateCertified, "the document is certified by the signature in field %q with DocMDP permissions P=1 (no changes allowed): another signature would invalidate the certification", s.FieldName)
		}
		for _, l := range []*FieldMDP{s.Lock, s.FieldMDP} {
			if l != nil && l.P == 1 {
				return updateErr(UpdateCertified, "the signed field %q locks the document (/P 1: no changes allowed after it): another signature would invalidate it", s.FieldName)
			}
		}
	}
	return nil
}

// nextObjectNumber is the first object number no revision uses.
func (d *Document) nextObjectNumber() int {
	next := 1
	if n, ok := d.trailer(d.lastView())["Size"].(int64); ok && n > 0 && n < maxObjNum {
		next = int(n)
	}
	for _, r := range d.Revisions {
		for _, s := range r.sections {
			for _, e := range s.entries {
				next = max(next, int(e.num)+1)
			}
		}
	}
	return next
}

// freeFieldName is "Signature N" for the first N no field of the form is called.
func (d *Document) freeFieldName() string {
	view := d.lastView()
	taken := map[string]bool{}
	root := d.dictOf(d.trailer(view)["Root"], view)
	af := d.dictOf(root["AcroForm"], view)
	var visit func(fields array, prefix string, depth int)
	visit = func(fields array, prefix string, depth int) {
		if depth > 32 {
			return
		}
		for _, f := range fields {
			fd := d.dictOf(f, view)
			if fd == nil {
				continue
			}
			nm := prefix
			if t, ok := d.stringOf(fd["T"], view); ok {
				if nm != "" {
					nm += "."
				}
				nm += decodeText(t.b)
				taken[nm] = true
			}
			visit(d.arrayOf(fd["Kids"], view), nm, depth+1)
		}
	}
	visit(d.arrayOf(af["Fields"], view), "", 0)
	for n := len(d.Signatures) + len(d.EmptySignatureFields) + 1; ; n++ {
		if s := "Signature " + strconv.Itoa(n); !taken[s] {
			return s
		}
	}
}

// endsWithEOL reports whether the file's last byte ends a line.
func (d *Document) endsWithEOL() bool {
	b := make([]byte, 1)
	if n, _ := d.r.ReadAt(b, d.Size-1); n != 1 {
		return false
	}
	return b[0] == '\n' || b[0] == '\r'
}

func cloneDict(m dict) dict {
	c := make(dict, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func fmtReal(f float64) string { return string(appendReal(nil, f)) }

// pdfDate writes t as a PDF date in UTC.
func pdfDate(t time.Time) string { return "D:" + t.UTC().Format("20060102150405") + "Z" }

// updateWriter writes the objects of an update and its cross-reference section.
type updateWriter struct {
	d    *Document
	view int
	base int64 // where the update starts in the file
	buf  []byte
	next int
	offs map[int]int64 // object number → offset in the file
	gens map[int]int
	err  error
}

func (w *updateWriter) alloc() int {
	w.next++
	return w.next - 1
}

// begin writes "num gen obj\n" and records the object's offset.
func (w *updateWriter) begin(r ref) {
	if w.offs == nil {
		w.offs, w.gens = map[int]int64{}, map[int]int{}
	}
	w.offs[r.num] = w.base + int64(len(w.buf))
	w.gens[r.num] = r.gen
	w.buf = fmt.Appendf(w.buf, "%d %d obj\n", r.num, r.gen)
}

// replace writes o as object r (a new object, or a new version of an existing one).
func (w *updateWriter) replace(r ref, o object) {
	w.begin(r)
	var err error
	if w.buf, err = appendValue(w.buf, o); err != nil && w.err == nil {
		w.err = updateErr(UpdateUnsupported, "object %d cannot be copied: %v", r.num, err)
	}
	w.buf = append(w.buf, "\nendobj\n"...)
}

// raw writes an object whose body is given, and returns where the body starts in buf.
func (w *updateWriter) raw(r ref, body []byte) int {
	w.begin(r)
	at := len(w.buf)
	w.buf = append(w.buf, body...)
	w.buf = append(w.buf, "\nendobj\n"...)
	return at
}

func (w *updateWriter) stream(r ref, sd dict, data []byte) {
	sd = cloneDict(sd)
	sd["Length"] = int64(len(data))
	w.begin(r)
	var err error
	if w.buf, err = appendValue(w.buf, sd); err != nil && w.err == nil {
		w.err = err
	}
	w.buf = append(w.buf, "\nstream\n"...)
	w.buf = append(w.buf, data...)
	w.buf = append(w.buf, "\nendstream\nendobj\n"...)
}

// image writes an image XObject (and its soft mask) and returns its reference.
func (w *updateWriter) image(img *Image) ref {
	sd := dict{"Type": name("XObject"), "Subtype": name("Image"), "Width": int64(img.Width), "Height": int64(img.Height),
		"ColorSpace": name(img.ColorSpace), "BitsPerComponent": int64(8)}
	if img.Filter != "" {
		sd["Filter"] = name(img.Filter)
	}
	if img.SMask != nil {
		sd["SMask"] = w.image(img.SMask)
	}
	r := ref{w.alloc(), 0}
	w.stream(r, sd, img.Data)
	return r
}

// finish writes the cross-reference section, of the kind the document's last one is, the
// trailer and %%EOF.
func (w *updateWriter) finish(trailer dict) error {
	last := w.d.Revisions[w.view]
	stream := len(last.sections) > 0 && last.sections[0].isStream
	t := dict{"Root": trailer["Root"], "Prev": last.XrefOffset}
	for _, k := range []name{"Info", "ID"} {
		if v, ok := trailer[k]; ok {
			t[k] = v
		}
	}
	if stream {
		return w.xrefStream(t)
	}
	xref := w.base + int64(len(w.buf))
	nums := w.sortedNums()
	w.buf = append(w.buf, "xref\n"...)
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		w.buf = fmt.Appendf(w.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			w.buf = fmt.Appendf(w.buf, "%010d %05d n \n", w.offs[nums[k]], w.gens[nums[k]])
		}
		i = j + 1
	}
	t["Size"] = int64(w.next)
	w.buf = append(w.buf, "trailer\n"...)
	var err error
	if w.buf, err = appendValue(w.buf, t); err != nil {
		return updateErr(UpdateUnsupported, "the trailer cannot be copied: %v", err)
	}
	w.buf = fmt.Appendf(w.buf, "\nstartxref\n%d\n%%%%EOF\n", xref)
	return nil
}

func (w *updateWriter) sortedNums() []int {
	nums := make([]int, 0, len(w.offs))
	for n := range w.offs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

// xrefStream writes the update's cross-reference stream (uncompressed, W [1 4|8 2]).
func (w *updateWriter) xrefStream(t dict) error {
	self := ref{w.alloc(), 0}
	xref := w.base + int64(len(w.buf))
	w.offs[self.num], w.gens[self.num] = xref, 0
	nums := w.sortedNums()
	offW := 4
	if xref > math.MaxUint32 {
		offW = 8
	}
	var index array
	var data []byte
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		index = append(index, int64(nums[i]), int64(j-i+1))
		for k := i; k <= j; k++ {
			data = append(data, 1)
			var o [8]byte
			binary.BigEndian.PutUint64(o[:], uint64(w.offs[nums[k]]))
			data = append(data, o[8-offW:]...)
			data = append(data, byte(w.gens[nums[k]]>>8), byte(w.gens[nums[k]]))
		}
		i = j + 1
	}
	t["Type"] = name("XRef")
	t["Size"] = int64(w.next)
	t["Index"] = index
	t["W"] = array{int64(1), int64(offW), int64(2)}
	delete(w.offs, self.num) // begin records it again
	w.stream(self, t, data)
	if w.err != nil {
		return w.err
	}
	w.buf = fmt.Appendf(w.buf, "startxref\n%d\n%%%%EOF\n", xref)
	return nil
}

package sign

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/digitorus/pdf"
)

// pdfsign copies parts of the page and catalog dictionaries through its own serialiser, which
// writes strings in Go syntax, nulls as "<nil>", names unescaped and streams as garbage.
// The checks below refuse, with a clear error, what it would corrupt, instead of producing a
// damaged PDF. They also refuse what it would silently lose (non-signature form fields).

// byteRangePlaceholder is the text pdfsign searches for (first match in the whole file) to
// write the ByteRange; the input must not already contain it.
const byteRangePlaceholder = "/ByteRange[0 ********** ********** **********]"

// maxInputSize: pdfsign writes xref stream offsets in 4 bytes and ByteRange numbers in 10
// digits; beyond this, offsets would be silently truncated.
const maxInputSize = 1<<32 - 1<<24

// checkHeader refuses what digitorus/pdf cannot open, with a better message than it gives.
func checkHeader(ra io.ReaderAt, size int64) error {
	head := make([]byte, 8)
	n, _ := ra.ReadAt(head, 0)
	if n < 8 || !bytes.HasPrefix(head, []byte("%PDF-")) {
		return errorf(NotPDF, nil, "no %%PDF- header at the start of the file")
	}
	v := string(head[5:8])
	if !(v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '7') && v != "2.0" {
		return errorf(NotPDF, nil, "unsupported PDF version %q", v)
	}
	if size >= maxInputSize {
		return errorf(UnsupportedPDF, nil, "file of %d bytes is too large (limit %d)", size, int64(maxInputSize))
	}
	return nil
}

// openPDF opens the document with digitorus/pdf, which reports many malformations by panicking.
// tail is the end of the file (readTail).
func openPDF(ra io.ReaderAt, size int64, tail []byte) (r *pdf.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, errorf(NotPDF, nil, "malformed PDF: %v", p)
		}
		// digitorus/pdf fails on encryption it does not know (AES-256 among them) before it
		// can say the file is encrypted.
		if e, ok := err.(*Error); ok && e.Reason == NotPDF && looksEncrypted(ra, size, tail) {
			err = errorf(Encrypted, e, "the document has an /Encrypt dictionary")
		}
	}()
	r, err = pdf.NewReader(ra, size)
	if err == pdf.ErrInvalidPassword {
		return nil, errorf(Encrypted, err, "the document is encrypted with a user password")
	}
	if err != nil {
		return nil, errorf(NotPDF, err, "")
	}
	if !r.Trailer().Key("Encrypt").IsNull() {
		return nil, errorf(Encrypted, nil, "the document has an /Encrypt dictionary")
	}
	if r.Trailer().Key("Root").Key("Pages").IsNull() {
		return nil, errorf(NotPDF, nil, "no /Root /Pages in the trailer")
	}
	return r, nil
}

// looksEncrypted reports whether the last trailer (at the end of the file, for a
// cross-reference table) or the last cross-reference stream's dictionary (at startxref)
// names an /Encrypt dictionary. Used only to explain a failure to open. tail is the end of the
// file (readTail).
func looksEncrypted(ra io.ReaderAt, size int64, tail []byte) bool {
	const window = eofWindow
	if bytes.Contains(tail, []byte("/Encrypt")) {
		return true
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return false
	}
	f := strings.Fields(string(tail[i+len("startxref"):]))
	if len(f) == 0 {
		return false
	}
	off, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || off < 0 || off >= size {
		return false
	}
	head := make([]byte, min(size-off, window))
	n, _ := ra.ReadAt(head, off)
	return bytes.Contains(head[:n], []byte("/Encrypt"))
}

// pageGeometry is what placing the seal needs to know about the page.
type pageGeometry struct {
	page     pdf.Value // the page object (its number, for the read-back)
	mediaBox [4]float64
	visible  [4]float64 // CropBox clipped to MediaBox: what viewers show
	rotate   int        // 0, 90, 180 or 270, clockwise as viewers apply it
}

func inherited(page pdf.Value, key string) pdf.Value {
	for v, depth := page, 0; !v.IsNull() && depth < 64; v, depth = v.Key("Parent"), depth+1 {
		if r := v.Key(key); !r.IsNull() {
			return r
		}
	}
	return pdf.Value{}
}

func readBox(v pdf.Value) ([4]float64, bool) {
	var b [4]float64
	if v.Kind() != pdf.Array || v.Len() != 4 {
		return b, false
	}
	for i := range 4 {
		e := v.Index(i)
		switch e.Kind() {
		case pdf.Integer, pdf.Real:
			b[i] = e.Float64()
		default:
			return b, false
		}
		if math.IsNaN(b[i]) || math.IsInf(b[i], 0) {
			return b, false
		}
	}
	return [4]float64{min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])}, true
}

// checkDocument validates the page and the structures pdfsign rewrites, and returns the
// page geometry and the names of the existing form fields.
func checkDocument(r *pdf.Reader, pageNum int) (geo pageGeometry, fieldNames map[string]bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errorf(NotPDF, nil, "malformed PDF: %v", p)
		}
	}()
	page, n, err := findPage(r.Trailer().Key("Root").Key("Pages"), pageNum)
	if err != nil {
		return geo, nil, err
	}
	if pageNum < 1 || pageNum > n {
		return geo, nil, errorf(PageOutOfRange, nil, "page %d requested, the document has %d page(s)", pageNum, n)
	}
	geo.page = page
	if ptrGen(page) != 0 {
		return geo, nil, errorf(UnsupportedPDF, nil, "page object %d has generation %d", ptrID(page), ptrGen(page))
	}
	mb, ok := readBox(inherited(page, "MediaBox"))
	if !ok || mb[2]-mb[0] < 1 || mb[3]-mb[1] < 1 {
		return geo, nil, errorf(UnsupportedPDF, nil, "page %d has no usable /MediaBox", pageNum)
	}
	geo.mediaBox, geo.visible = mb, mb
	if cb, ok := readBox(inherited(page, "CropBox")); ok {
		v := [4]float64{max(cb[0], mb[0]), max(cb[1], mb[1]), min(cb[2], mb[2]), min(cb[3], mb[3])}
		if v[2]-v[0] >= 1 && v[3]-v[1] >= 1 {
			geo.visible = v
		}
	}
	if rot := inherited(page, "Rotate"); rot.Kind() == pdf.Integer {
		geo.rotate = int(((rot.Int64() % 360) + 360) % 360)
		if geo.rotate%90 != 0 {
			return geo, nil, errorf(UnsupportedPDF, nil, "page %d has /Rotate %d", pageNum, rot.Int64())
		}
	}
	if err := checkPageDict(page); err != nil {
		return geo, nil, err
	}
	root := r.Trailer().Key("Root")
	if err := checkCatalog(root); err != nil {
		return geo, nil, err
	}
	fieldNames, err = checkAcroForm(root.Key("AcroForm"))
	return geo, fieldNames, err
}

// checkPageDict mirrors pdfsign's createIncPageUpdate: Parent, Contents and Annots are
// written as references, every other key through digitorus/pdf's Value.String.
func checkPageDict(page pdf.Value) error {
	pagePtr := page.GetPtr()
	for _, key := range page.Keys() {
		v := page.Key(key)
		switch key {
		case "Parent", "Contents", "Annots":
			// Written as "N 0 R": generation 0 only.
			refs := []pdf.Value{v}
			if key != "Parent" && v.Kind() == pdf.Array {
				refs = refs[:0]
				for i := 0; i < v.Len(); i++ {
					if v.Index(i).GetPtr() == v.GetPtr() {
						return errorf(UnsupportedPDF, nil, "page /%s holds a direct object, which the PDF writer cannot copy", key)
					}
					refs = append(refs, v.Index(i))
				}
			}
			for _, r := range refs {
				if ptrGen(r) != 0 {
					return errorf(UnsupportedPDF, nil, "page /%s refers to object %d with generation %d", key, ptrID(r), ptrGen(r))
				}
			}
			continue
		}
		if v.GetPtr() != pagePtr && v.Kind() == pdf.Stream {
			return errorf(UnsupportedPDF, nil, "page entry /%s is a stream, which the PDF writer cannot copy", key)
		}
		if err := checkGoSerialisable(v, "page /"+key); err != nil {
			return err
		}
	}
	return nil
}

// checkGoSerialisable checks a value that will be written with digitorus/pdf's Value.String:
// references and numbers survive; strings, nulls and unusual names do not.
func checkGoSerialisable(v pdf.Value, where string) error {
	switch v.Kind() {
	case pdf.String:
		return errorf(UnsupportedPDF, nil, "%s holds a text string, which the PDF writer would corrupt", where)
	case pdf.Null:
		return errorf(UnsupportedPDF, nil, "%s holds null, which the PDF writer would corrupt", where)
	case pdf.Real:
		if s := fmt.Sprint(v.Float64()); strings.ContainsAny(s, "eEIN") {
			return errorf(UnsupportedPDF, nil, "%s holds the number %s, which the PDF writer would corrupt", where, s)
		}
	case pdf.Name:
		if !regularName(v.Name()) {
			return errorf(UnsupportedPDF, nil, "%s holds a name with special characters", where)
		}
	case pdf.Dict:
		for _, k := range v.Keys() {
			if !regularName(k) {
				return errorf(UnsupportedPDF, nil, "%s has a key with special characters", where)
			}
			if c := v.Key(k); c.GetPtr() == v.GetPtr() {
				if err := checkGoSerialisable(c, where+" /"+k); err != nil {
					return err
				}
			}
		}
	case pdf.Array:
		for i := 0; i < v.Len(); i++ {
			if c := v.Index(i); c.GetPtr() == v.GetPtr() {
				if err := checkGoSerialisable(c, where); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkCatalog mirrors pdfsign's serializeCatalogEntry, which writes direct strings raw
// between parentheses and names unescaped.
func checkCatalog(root pdf.Value) error {
	rootID := ptrID(root)
	var walk func(v pdf.Value, where string) error
	walk = func(v pdf.Value, where string) error {
		if ptrID(v) != rootID {
			return nil // written as a reference
		}
		switch v.Kind() {
		case pdf.String:
			if strings.ContainsAny(v.RawString(), "()\\\r") {
				return errorf(UnsupportedPDF, nil, "catalog %s holds a string the PDF writer would corrupt", where)
			}
		case pdf.Name:
			if !regularName(v.Name()) {
				return errorf(UnsupportedPDF, nil, "catalog %s holds a name with special characters", where)
			}
		case pdf.Stream:
			return errorf(UnsupportedPDF, nil, "catalog %s is a stream", where)
		case pdf.Dict:
			for _, k := range v.Keys() {
				if !regularName(k) {
					return errorf(UnsupportedPDF, nil, "catalog %s has a key with special characters", where)
				}
				if err := walk(v.Key(k), where+" /"+k); err != nil {
					return err
				}
			}
		case pdf.Array:
			for i := 0; i < v.Len(); i++ {
				if err := walk(v.Index(i), where); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, k := range root.Keys() {
		if k == "Type" || k == "AcroForm" {
			continue
		}
		if !regularName(k) {
			return errorf(UnsupportedPDF, nil, "catalog has a key with special characters")
		}
		if err := walk(root.Key(k), "/"+k); err != nil {
			return err
		}
	}
	return nil
}

// checkAcroForm refuses forms pdfsign would damage: it rebuilds /AcroForm with the signature
// fields only, so other fields (and XFA) would be dropped from the form.
func checkAcroForm(form pdf.Value) (map[string]bool, error) {
	names := map[string]bool{}
	if form.IsNull() {
		return names, nil
	}
	if !form.Key("XFA").IsNull() {
		return nil, errorf(UnsupportedPDF, nil, "the document has an XFA form, which sealing would drop")
	}
	fields := form.Key("Fields")
	for i := 0; i < fields.Len(); i++ {
		f := fields.Index(i)
		if f.GetPtr() == fields.GetPtr() || f.GetPtr() == form.GetPtr() {
			return nil, errorf(UnsupportedPDF, nil, "form field %d is a direct object", i+1)
		}
		if f.Key("FT").Name() != "Sig" {
			name := f.Key("T").Text()
			return nil, errorf(UnsupportedPDF, nil, "the document has a non-signature form field %q, which the PDF writer would drop from the form", name)
		}
		names[f.Key("T").RawString()] = true
	}
	return names, nil
}

// regularName reports whether a name can be written as "/"+name without escaping.
func regularName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7F || strings.IndexByte("()<>[]{}/%#", c) >= 0 {
			return false
		}
	}
	return true
}

// parseInts reads whitespace-separated decimal integers.
func parseInts(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func ptrID(v pdf.Value) uint32 { p := v.GetPtr(); return p.GetID() }

func ptrGen(v pdf.Value) uint16 { p := v.GetPtr(); return p.GetGen() }

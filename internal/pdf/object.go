package pdf

import (
	"bytes"
	"fmt"
	"math"
)

// The PDF object model. PDF null is Go nil; booleans, integers and reals are
// bool, int64 and float64.
type (
	object = any
	name   string
	dict   map[name]object
	array  []object
	ref    struct{ num, gen int }
	// pdfString remembers where it was written when it comes from the file
	// itself (start < 0 for strings inside object streams).
	pdfString struct {
		b          []byte
		hex        bool
		start, end int64
		// long is the length of a string over maxStringLen, which was skipped (b is nil).
		long int64
	}
	// stream is a dictionary followed by data in the file; the data is read
	// only on demand.
	stream struct {
		dict    dict
		dataOff int64
		length  int64
	}
)

// knownNames holds the names documents and signatures use most, ready as objects: a name
// read from the file is then neither copied into a string nor boxed, which was a good part of
// the garbage of parsing.
var knownNames = func() map[string]object {
	m := map[string]object{}
	for _, n := range []string{
		"Type", "Subtype", "Filter", "DecodeParms", "Length", "Root", "Size", "Prev", "Info", "ID",
		"Encrypt", "XRefStm", "XRef", "ObjStm", "W", "Index", "First", "N", "Predictor", "Columns",
		"FlateDecode", "Catalog", "Pages", "Page", "Kids", "Count", "Parent", "MediaBox", "CropBox",
		"Resources", "Contents", "Annots", "Annot", "AcroForm", "Fields", "SigFlags", "NeedAppearances",
		"FT", "Sig", "DocTimeStamp", "T", "V", "P", "Rect", "F", "AP", "Widget", "ByteRange",
		"Reference", "SubFilter", "M", "Name", "Reason", "Location", "ContactInfo", "Cert",
		"adbe.pkcs7.detached", "adbe.pkcs7.sha1", "ETSI.CAdES.detached", "ETSI.RFC3161",
		"Adobe.PPKLite", "Adobe.PPKMS", "Perms", "DocMDP", "TransformMethod", "TransformParams",
		"FieldMDP", "Lock", "DSS", "VRI", "Certs", "OCSPs", "CRLs", "XObject", "Image", "Form",
		"Width", "Height", "ColorSpace", "DeviceRGB", "DeviceGray", "BitsPerComponent", "SMask",
		"BBox", "Matrix", "Font", "ProcSet", "PDF", "Text", "ImageB", "ImageC", "BaseFont",
		"Encoding", "DA", "DR", "Metadata", "Lang", "Names", "Outlines", "Producer", "Creator",
		"CreationDate", "ModDate", "Title", "Author", "Ff", "Border", "MK", "Off",
	} {
		m[n] = name(n)
	}
	return m
}()

// nameOf returns b as a name, without a copy for the known ones.
func nameOf(b []byte) name {
	if v, ok := knownNames[string(b)]; ok {
		return v.(name)
	}
	return name(b)
}

func (r ref) String() string { return fmt.Sprintf("%d %d R", r.num, r.gen) }

// parser builds objects from tokens.
type parser struct {
	lx    *lexer
	items int
}

func (p *parser) value(depth int) (object, error) {
	t, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	return p.valueFrom(t, depth)
}

func (p *parser) valueFrom(t token, depth int) (object, error) {
	p.items++
	if p.items > maxObjectItems {
		return nil, limitErr(t.start, "object has more than %d values (the limit)", maxObjectItems)
	}
	if depth > maxNesting {
		return nil, limitErr(t.start, "objects nested more than %d deep (the limit)", maxNesting)
	}
	switch t.kind {
	case tokEOF:
		return nil, synErr(t.start, "unexpected end of data")
	case tokInt:
		// "num gen R" is a reference; look ahead two tokens and rewind if not.
		save := p.lx.pos
		if t.i >= 0 && t.i <= math.MaxInt32 {
			t2, err2 := p.lx.next()
			if err2 == nil && t2.kind == tokInt && t2.i >= 0 && t2.i <= 65535 {
				t3, err3 := p.lx.next()
				if err3 == nil && t3.is("R") {
					return ref{int(t.i), int(t2.i)}, nil
				}
			}
		}
		p.lx.pos = save
		return t.i, nil
	case tokReal:
		return t.f, nil
	case tokName:
		if v, ok := knownNames[string(t.s)]; ok {
			return v, nil
		}
		return name(t.s), nil
	case tokString:
		s := pdfString{b: t.s, hex: t.hex, start: -1, end: -1, long: t.long}
		if p.lx.inFile {
			s.start, s.end = t.start, t.end
		}
		return s, nil
	case tokArrOpen:
		var a array
		for {
			t2, err := p.lx.next()
			if err != nil {
				return nil, err
			}
			if t2.kind == tokArrClose {
				if a == nil {
					a = array{}
				}
				return a, nil
			}
			v, err := p.valueFrom(t2, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case tokDictOpen:
		d := dict{}
		for {
			k, err := p.lx.next()
			if err != nil {
				return nil, err
			}
			if k.kind == tokDictClose {
				return d, nil
			}
			if k.kind != tokName {
				return nil, synErr(k.start, "dictionary key is not a name")
			}
			key := nameOf(k.s) // before the next token reuses the bytes
			vt, err := p.lx.next()
			if err != nil {
				return nil, err
			}
			if vt.kind == tokDictClose {
				return nil, synErr(vt.start, "dictionary key /%s has no value", key)
			}
			v, err := p.valueFrom(vt, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := d[key]; dup {
				// Readers disagree on which duplicate wins; a verifier must not guess.
				return nil, synErr(k.start, "duplicate key /%s in dictionary", key)
			}
			d[key] = v
		}
	case tokKeyword:
		switch string(t.s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return nil, synErr(t.start, "unexpected keyword %q", t.s)
	}
	return nil, synErr(t.start, "unexpected token")
}

// objHeader is "num gen obj".
type objHeader struct{ num, gen int }

// parsedObject is an indirect object read from the file.
type parsedObject struct {
	hdr     objHeader
	val     object
	start   int64 // offset of "num gen obj"
	dictEnd int64 // end of the value (for a stream: end of its dictionary)
	end     int64 // end of the object (after endobj when present)
}

// readHeader reads "num gen obj" at the lexer position.
func readHeader(lx *lexer) (objHeader, error) {
	start := lx.pos
	t1, err := lx.next()
	if err != nil {
		return objHeader{}, err
	}
	t2, err := lx.next()
	if err != nil {
		return objHeader{}, err
	}
	t3, err := lx.next()
	if err != nil {
		return objHeader{}, err
	}
	if t1.kind != tokInt || t2.kind != tokInt || !t3.is("obj") || t1.i < 0 || t1.i > math.MaxInt32 || t2.i < 0 || t2.i > 65535 {
		return objHeader{}, synErr(start, "no object header (num gen obj)")
	}
	return objHeader{int(t1.i), int(t2.i)}, nil
}

// streamLength returns the length of the stream whose data starts at dataOff:
// /Length when it ends at "endstream", otherwise the distance to the next
// "endstream" keyword.
func (d *Document) streamLength(dataOff int64, lenObj object, view, depth int) (length, end int64, err error) {
	var declared int64 = -1
	switch v := lenObj.(type) {
	case int64:
		declared = v
	case ref:
		if depth < 4 {
			if o, _, err := d.resolveDepth(v, view, depth+1); err == nil {
				if n, ok := o.(int64); ok {
					declared = n
				}
			}
		}
	}
	if declared >= 0 && declared <= d.Size-dataOff {
		lx := newFileLexer(d.r, d.Size, dataOff+declared)
		t, err := lx.next()
		lx.release()
		if err == nil && t.is("endstream") {
			return declared, t.end, nil
		}
	}
	// Fall back to the keyword, as readers that repair files do.
	p, err := d.indexFrom(dataOff, []byte("endstream"), d.Size)
	if err != nil {
		return 0, 0, err
	}
	if p < 0 {
		return 0, 0, synErr(dataOff, "stream has no endstream")
	}
	n := p - dataOff
	lx := newFileLexer(d.r, d.Size, 0)
	defer lx.release()
	if c, _ := lx.at(p - 1); c == '\n' && n > 0 {
		n--
		if c2, _ := lx.at(p - 2); c2 == '\r' && n > 0 {
			n--
		}
	} else if c == '\r' && n > 0 {
		n--
	}
	return n, p + int64(len("endstream")), nil
}

// parseIndirect reads the indirect object at off. Streams get their data
// position and length but not their data.
func (d *Document) parseIndirect(off int64, view, depth int) (*parsedObject, error) {
	if err := d.spend(1); err != nil {
		return nil, err
	}
	if off < 0 || off >= d.Size {
		return nil, synErr(off, "object offset outside the file")
	}
	lx := newFileLexer(d.r, d.Size, off)
	defer lx.release()
	lx.skipSpace()
	start := lx.pos
	hdr, err := readHeader(lx)
	if err != nil {
		return nil, err
	}
	p := &parser{lx: lx}
	v, err := p.value(0)
	// Charge for what was read: about one unit per 16 values or 1 KiB.
	if err := d.spend(p.items/16 + int((lx.pos-start)>>10)); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	po := &parsedObject{hdr: hdr, val: v, start: start, dictEnd: lx.pos}
	t, err := lx.next()
	if err != nil {
		return nil, err
	}
	switch {
	case t.is("endobj"):
		po.end = t.end
	case t.is("stream"):
		dd, ok := v.(dict)
		if !ok {
			return nil, synErr(t.start, "stream keyword after a value that is not a dictionary")
		}
		dataOff := t.end
		if c, _ := lx.at(dataOff); c == '\r' {
			dataOff++
			if c2, _ := lx.at(dataOff); c2 == '\n' {
				dataOff++
			}
		} else if c == '\n' {
			dataOff++
		}
		n, end, err := d.streamLength(dataOff, dd["Length"], view, depth)
		if err != nil {
			return nil, err
		}
		po.val = &stream{dict: dd, dataOff: dataOff, length: n}
		po.end = end
		lx.pos = end
		if t2, err := lx.next(); err == nil && t2.is("endobj") {
			po.end = t2.end
		}
	default:
		// A missing endobj is common and harmless.
		po.end = t.start
	}
	return po, nil
}

// indexFrom finds pat at or after from and before limit, reading in windows.
// It returns -1 when absent.
func (d *Document) indexFrom(from int64, pat []byte, limit int64) (int64, error) {
	if limit > d.Size {
		limit = d.Size
	}
	buf := make([]byte, 64<<10)
	overlap := int64(len(pat) - 1)
	for off := from; off < limit; {
		n := int64(len(buf))
		if limit-off < n {
			n = limit - off
		}
		m, err := d.r.ReadAt(buf[:n], off)
		if int64(m) < n {
			if err == nil {
				err = fmt.Errorf("short read at %d", off)
			}
			return -1, err
		}
		if i := bytes.Index(buf[:n], pat); i >= 0 {
			return off + int64(i), nil
		}
		if off+n >= limit {
			break
		}
		off += n - overlap
	}
	return -1, nil
}

// deepEqual compares two objects; references are compared as references.
// Stream data is compared by the caller.
func deepEqual(a, b object) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		switch y := b.(type) {
		case int64:
			return x == float64(y)
		case float64:
			return x == y
		}
		return false
	case name:
		y, ok := b.(name)
		return ok && x == y
	case ref:
		y, ok := b.(ref)
		return ok && x == y
	case pdfString:
		y, ok := b.(pdfString)
		if ok && (x.long > 0 || y.long > 0) {
			// Strings too long to keep are the same only where they are the same bytes.
			return x.long == y.long && x.start >= 0 && x.start == y.start
		}
		return ok && bytes.Equal(x.b, y.b)
	case array:
		y, ok := b.(array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case dict:
		y, ok := b.(dict)
		if !ok {
			return false
		}
		return dictEqual(x, y, nil)
	case *stream:
		y, ok := b.(*stream)
		return ok && x.length == y.length && dictEqual(x.dict, y.dict, map[name]bool{"Length": true})
	}
	return false
}

// dictEqual compares dictionaries, ignoring the keys in skip. A null value
// is the same as an absent key.
func dictEqual(x, y dict, skip map[name]bool) bool {
	for k, v := range x {
		if skip[k] {
			continue
		}
		if !deepEqual(v, y[k]) {
			return false
		}
	}
	for k, v := range y {
		if skip[k] {
			continue
		}
		if _, ok := x[k]; !ok && v != nil {
			return false
		}
	}
	return true
}

// sortedKeys returns the keys of dd in order: walking a dictionary in Go's
// map order would make results that depend on which key comes first (the
// description of an object reached twice) vary between runs.
func sortedKeys(dd dict) []name {
	ks := make([]name, 0, len(dd))
	for k := range dd {
		ks = append(ks, k)
	}
	sortNames(ks)
	return ks
}

// changedKeys lists the keys whose values differ between two dictionaries.
func changedKeys(old, cur dict) []name {
	var ks []name
	for k, v := range cur {
		if !deepEqual(v, old[k]) {
			ks = append(ks, k)
		}
	}
	for k, v := range old {
		if _, ok := cur[k]; !ok && v != nil {
			ks = append(ks, k)
		}
	}
	sortNames(ks)
	return ks
}

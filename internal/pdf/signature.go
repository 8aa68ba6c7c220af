package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Signature is a signature dictionary and the field that holds it.
type Signature struct {
	// FieldName is the field's fully qualified name (partial /T names joined
	// with '.'), decoded from PDFDocEncoding or UTF-16BE.
	FieldName string
	Type      string // /Type: "Sig" (the default) or "DocTimeStamp"
	Filter    string // e.g. Adobe.PPKLite
	// SubFilter: adbe.pkcs7.detached, adbe.pkcs7.sha1, ETSI.CAdES.detached,
	// ETSI.RFC3161, adbe.x509.rsa_sha1, ...
	SubFilter string

	ByteRange []int64 // as written (the integer elements)
	Contents  []byte  // decoded /Contents; nil when ContentsNotRead says why
	// ContentsNotRead says why Contents was not read although /Contents is a string: it is
	// over MaxContents, or the signatures' /Contents together are over MaxContentsTotal.
	ContentsNotRead string
	// ContentsOffset and ContentsEnd delimit the /Contents string as written
	// in the file, "<" to ">" inclusive (end exclusive); -1 when unknown (the
	// dictionary is inside an object stream).
	ContentsOffset, ContentsEnd int64

	Cert [][]byte // /Cert (adbe.x509.rsa_sha1): one string or an array

	Name, Reason, Location, ContactInfo string
	SigningTimeM                        string    // /M as written
	SigningTime                         time.Time // /M parsed; zero if absent or unparseable

	// Revision is the index of the revision that wrote the signature
	// dictionary (as the last revision's cross-reference data says).
	Revision int
	// ObjectNum is the signature dictionary's object number (0 when it is
	// written directly inside the field).
	ObjectNum int

	DocMDP   *DocMDP   // certification signature, nil otherwise
	FieldMDP *FieldMDP // /Reference with /TransformMethod /FieldMDP
	Lock     *FieldMDP // the field's /Lock dictionary

	// Page is the 1-based page of the widget, 0 if unknown; Rect the widget
	// rectangle as written ([0 0 0 0] for invisible signatures).
	Page int
	Rect [4]float64

	// Unreadable says why the signature dictionary could not be read at all; "" if it could.
	Unreadable string

	// Problems met reading the dictionary (not the ByteRange check).
	Problems []string

	loc        loc      // where the signature dictionary is written
	span       [2]int64 // the indirect object holding it, start to end, when it is one in the file
	brProblems []string
	// contentsToken is what the lexer decoded from the hex string token at
	// ContentsOffset..ContentsEnd (nil if it was not a hex string), so that
	// CheckByteRange notices if Contents is replaced.
	contentsToken []byte
}

func (s *Signature) noteContentsToken(t pdfString) {
	if t.hex {
		s.contentsToken = t.b
	}
}

// Invisible reports a widget without area (or no widget).
func (s *Signature) Invisible() bool {
	return s.Rect[2] == s.Rect[0] || s.Rect[3] == s.Rect[1]
}

// DocMDP are the document modification permissions of a certification
// signature.
type DocMDP struct {
	// P: 1 no changes; 2 form filling and signing; 3 also annotations.
	P int
	// InReference: a /Reference entry with /TransformMethod /DocMDP.
	// InPerms: the catalog's /Perms /DocMDP names this signature. A proper
	// certification signature has both.
	InReference, InPerms bool
}

// Permits reports whether a later change of kind k is allowed under P.
// Validation data, document timestamps and metadata are allowed at every
// level (PAdES, ISO 32000-2 12.8.2.2.2), as pyHanko does.
func (m *DocMDP) Permits(k ChangeKind) bool {
	switch k {
	case ChangeNone, ChangeMetadata, ChangeValidationData, ChangeTimestamp:
		return true
	case ChangeSignature, ChangeFormFill:
		return m.P >= 2
	case ChangeAnnotation:
		return m.P >= 3
	}
	return false
}

// FieldMDP is a field lock: Action All, Include or Exclude, the Fields
// named, and the optional PDF 2.0 /P.
type FieldMDP struct {
	Action string
	Fields []string
	P      int // 0 when absent
}

// catalogErr says why the catalog r cannot be read, keeping the reason of a limit.
func catalogErr(r ref, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe
	}
	var se *syntaxError
	if errors.As(err, &se) {
		reason := BadXref
		if se.limit {
			reason = TooComplex
		}
		return formatErr(reason, se.off, "the document catalog (object %d) cannot be read: %s", r.num, se.msg)
	}
	return formatErr(BadXref, -1, "the document catalog (object %d) cannot be read: %v", r.num, err)
}

// findSignatures walks the last revision's form fields.
func (d *Document) findSignatures() error {
	view := len(d.Revisions) - 1
	rootRef := d.trailer(view)["Root"]
	root := d.dictOf(rootRef, view)
	if root == nil {
		// Say why: an unreadable catalog is not a missing one (a hostile nesting, a limit).
		if r, ok := rootRef.(ref); ok {
			if _, _, err := d.resolve(r, view); err != nil {
				return catalogErr(r, err)
			}
		}
		return formatErr(BadXref, -1, "the document catalog (/Root) is missing or not a dictionary")
	}
	af := d.dictOf(root["AcroForm"], view)
	if af == nil {
		return nil
	}
	var pages *pageIndex // built on the first signature
	w := &fieldWalker{d: d, view: view, seen: map[ref]bool{}}
	w.visit = func(f fieldInfo) {
		if f.ft != "Sig" {
			return
		}
		if f.dict["V"] == nil {
			d.EmptySignatureFields = append(d.EmptySignatureFields, f.name)
			return
		}
		s := d.newSignature(f.dict["V"], f.ref, view)
		s.FieldName = f.name
		if lock := d.dictOf(f.dict["Lock"], view); lock != nil {
			s.Lock = d.fieldMDP(lock, view)
		}
		if pages == nil {
			pages = d.pageIndex(view)
		}
		d.placeWidget(s, f, pages)
		for _, o := range d.Signatures {
			if o.loc == s.loc && s.loc.off >= 0 {
				d.warnf("fields %q and %q share one signature dictionary", o.FieldName, s.FieldName)
				return
			}
		}
		d.Signatures = append(d.Signatures, s)
	}
	w.walk(d.arrayOf(af["Fields"], view), "", "", 0)
	if w.cycle {
		d.warnf("the form field tree has a cycle")
	}
	return nil
}

// fieldInfo is a terminal field met while walking the field tree.
type fieldInfo struct {
	dict    dict
	ref     ref // zero when the field is written inline
	name    string
	ft      name
	widgets []object // the widget annotations (the field itself when merged)
}

type fieldWalker struct {
	d     *Document
	view  int
	seen  map[ref]bool
	cycle bool
	count int
	visit func(fieldInfo)
}

func (w *fieldWalker) walk(fields array, parentName string, parentFT name, depth int) {
	if depth > 32 {
		w.cycle = true
		return
	}
	for _, f := range fields {
		w.count++
		if w.count > 100000 {
			return
		}
		r, isRef := f.(ref)
		if isRef {
			if w.seen[r] {
				w.cycle = true
				continue
			}
			w.seen[r] = true
		}
		fd := w.d.dictOf(f, w.view)
		if fd == nil {
			continue
		}
		nm := parentName
		if t, ok := w.d.stringOf(fd["T"], w.view); ok {
			part := decodeText(t.b)
			if nm != "" {
				nm += "." + part
			} else {
				nm = part
			}
		}
		ft := parentFT
		if x := w.d.nameOf(fd["FT"], w.view); x != "" {
			ft = x
		}
		// Kids with /T are fields; kids without are this field's widgets.
		var childFields, widgets array
		for _, k := range w.d.arrayOf(fd["Kids"], w.view) {
			kd := w.d.dictOf(k, w.view)
			if kd == nil {
				continue
			}
			if _, ok := kd["T"]; ok {
				childFields = append(childFields, k)
			} else {
				widgets = append(widgets, k)
			}
		}
		if len(childFields) > 0 {
			w.walk(childFields, nm, ft, depth+1)
			continue
		}
		info := fieldInfo{dict: fd, name: nm, ft: ft}
		if isRef {
			info.ref = r
		}
		if fd["Subtype"] == name("Widget") || fd["Rect"] != nil {
			info.widgets = append(info.widgets, f)
		}
		info.widgets = append(info.widgets, widgets...)
		w.visit(info)
	}
}

// pageIndex maps page objects and their annotations to 1-based page numbers.
type pageIndex struct {
	pages  map[ref]int
	annots map[ref]int
}

func (d *Document) pageIndex(view int) *pageIndex {
	pi := &pageIndex{pages: map[ref]int{}, annots: map[ref]int{}}
	root := d.dictOf(d.trailer(view)["Root"], view)
	if root == nil {
		return pi
	}
	seen := map[ref]bool{}
	n := 0
	var walk func(v object, depth int)
	walk = func(v object, depth int) {
		r, isRef := v.(ref)
		if depth > 64 || n > 1<<20 || (isRef && seen[r]) {
			return
		}
		if isRef {
			seen[r] = true
		}
		nd := d.dictOf(v, view)
		if nd == nil {
			return
		}
		if kids, ok := d.deref(nd["Kids"], view).(array); ok && nd["Type"] != name("Page") {
			for _, k := range kids {
				walk(k, depth+1)
			}
			return
		}
		n++
		if isRef {
			pi.pages[r] = n
		}
		for _, a := range d.arrayOf(nd["Annots"], view) {
			if ar, ok := a.(ref); ok {
				if _, dup := pi.annots[ar]; !dup {
					pi.annots[ar] = n
				}
			}
		}
	}
	walk(root["Pages"], 0)
	return pi
}

func (d *Document) placeWidget(s *Signature, f fieldInfo, pages *pageIndex) {
	if len(f.widgets) == 0 {
		return
	}
	wv := f.widgets[0]
	wd := d.dictOf(wv, d.lastView())
	if wd == nil {
		return
	}
	view := d.lastView()
	if ra := d.arrayOf(wd["Rect"], view); len(ra) == 4 {
		for i := range 4 {
			s.Rect[i], _ = d.numberOf(ra[i], view)
		}
	}
	if r, ok := wv.(ref); ok {
		if p, ok := pages.annots[r]; ok {
			s.Page = p
			return
		}
	}
	if pr, ok := wd["P"].(ref); ok {
		s.Page = pages.pages[pr]
	}
}

func (d *Document) lastView() int { return len(d.Revisions) - 1 }

// newSignature reads the signature dictionary v (a reference or, rarely,
// written inside the field fieldRef).
func (d *Document) newSignature(v object, fieldRef ref, view int) *Signature {
	s := &Signature{ContentsOffset: -1, ContentsEnd: -1, Revision: -1, loc: loc{off: -1, idx: -1}}
	var sd dict
	switch x := v.(type) {
	case ref:
		o, l, err := d.resolve(x, view)
		if err != nil {
			s.Unreadable = fmt.Sprintf("signature dictionary %v is unreadable: %v", x, err)
			s.Problems = append(s.Problems, s.Unreadable)
			return s
		}
		s.loc, s.ObjectNum = l, x.num
		s.Revision = d.definedIn(x.num, view)
		if l.inFile() && l.off >= 0 {
			if po, err := d.parsedAt(l.off, -1, 0); err == nil { // just parsed: from the cache
				s.span = [2]int64{po.start, po.end}
			}
		}
		sd, _ = o.(dict)
	case dict:
		sd = x
		if fieldRef.num > 0 {
			_, l, _ := d.resolve(fieldRef, view)
			s.loc = l
			s.Revision = d.definedIn(fieldRef.num, view)
		}
	}
	if sd == nil {
		s.Problems = append(s.Problems, "the field value /V is not a signature dictionary")
		return s
	}
	d.fillSignature(s, sd, view)
	if s.ObjectNum > 0 {
		root := d.dictOf(d.trailer(view)["Root"], view)
		perms := d.dictOf(root["Perms"], view)
		if pr, ok := perms["DocMDP"].(ref); ok && pr.num == s.ObjectNum {
			if s.DocMDP == nil {
				s.DocMDP = &DocMDP{P: 2}
			}
			s.DocMDP.InPerms = true
		}
	}
	return s
}

// contentsTotalLimit is MaxContentsTotal (a variable for the tests).
var contentsTotalLimit int64 = MaxContentsTotal

// keepContents sets s.Contents to the string c, unless it is over MaxContents or the
// signatures' contents together would be over MaxContentsTotal: memory stays bounded whatever
// the number of signatures.
func (d *Document) keepContents(s *Signature, c pdfString) {
	switch {
	case c.long > 0:
		s.ContentsNotRead = fmt.Sprintf("/Contents is %d bytes, over the limit of %d bytes (%d MiB) for one signature", c.long, MaxContents, MaxContents>>20)
	case d.contentsHeld+int64(len(c.b)) > contentsTotalLimit:
		s.ContentsNotRead = fmt.Sprintf("the /Contents of the signatures before this one already take %d bytes; with this one's %d they would be over the limit of %d bytes (%d MiB) for all signatures together",
			d.contentsHeld, len(c.b), contentsTotalLimit, contentsTotalLimit>>20)
	default:
		s.Contents = c.b
		d.contentsHeld += int64(len(c.b))
	}
	if s.ContentsNotRead != "" {
		s.Problems = append(s.Problems, s.ContentsNotRead)
	}
}

func (d *Document) fillSignature(s *Signature, sd dict, view int) {
	s.Type = string(d.nameOf(sd["Type"], view))
	if s.Type == "" {
		s.Type = "Sig"
	}
	s.Filter = string(d.nameOf(sd["Filter"], view))
	s.SubFilter = string(d.nameOf(sd["SubFilter"], view))

	switch br := d.deref(sd["ByteRange"], view).(type) {
	case nil:
		s.brProblems = append(s.brProblems, "the signature dictionary has no /ByteRange")
	case array:
		for i, x := range br {
			n, ok := d.deref(x, view).(int64)
			if !ok {
				s.brProblems = append(s.brProblems, fmt.Sprintf("ByteRange element %d is not an integer", i+1))
				continue
			}
			s.ByteRange = append(s.ByteRange, n)
		}
	default:
		s.brProblems = append(s.brProblems, "/ByteRange is not an array")
	}

	switch c := sd["Contents"].(type) {
	case pdfString:
		d.keepContents(s, c)
		if c.start >= 0 && s.loc.inFile() {
			s.ContentsOffset, s.ContentsEnd = c.start, c.end
			s.noteContentsToken(c)
		}
		if !c.hex {
			s.Problems = append(s.Problems, "/Contents is a literal string, not a hexadecimal string")
		}
	case ref:
		o, l, err := d.resolve(c, view)
		if cs, ok := o.(pdfString); ok && err == nil {
			d.keepContents(s, cs)
			if cs.start >= 0 && l.inFile() {
				s.ContentsOffset, s.ContentsEnd = cs.start, cs.end
				s.noteContentsToken(cs)
			}
		}
		s.Problems = append(s.Problems, "/Contents is an indirect object")
	case nil:
		s.Problems = append(s.Problems, "the signature dictionary has no /Contents")
	default:
		s.Problems = append(s.Problems, "/Contents is not a string")
	}
	if len(s.Contents) > 0 && allZero(s.Contents) {
		s.Problems = append(s.Problems, "/Contents is all zero bytes: the signature placeholder was never filled")
	}
	if !s.loc.inFile() && s.loc.off >= 0 {
		s.Problems = append(s.Problems, "the signature dictionary is inside an object stream, so /ByteRange cannot exclude its /Contents")
	}

	switch c := d.deref(sd["Cert"], view).(type) {
	case pdfString:
		s.Cert = [][]byte{c.b}
	case array:
		for _, x := range c {
			if cs, ok := d.stringOf(x, view); ok {
				s.Cert = append(s.Cert, cs.b)
			}
		}
	}
	text := func(k name) string {
		if t, ok := d.stringOf(sd[k], view); ok {
			return decodeText(t.b)
		}
		return ""
	}
	s.Name, s.Reason, s.Location, s.ContactInfo = text("Name"), text("Reason"), text("Location"), text("ContactInfo")
	if m, ok := d.stringOf(sd["M"], view); ok {
		s.SigningTimeM = string(m.b)
		if t, ok := parseDate(s.SigningTimeM); ok {
			s.SigningTime = t
		} else {
			s.Problems = append(s.Problems, fmt.Sprintf("/M %q is not a PDF date", s.SigningTimeM))
		}
	}

	for _, rv := range d.arrayOf(sd["Reference"], view) {
		sr := d.dictOf(rv, view)
		if sr == nil {
			continue
		}
		params := d.dictOf(sr["TransformParams"], view)
		switch d.nameOf(sr["TransformMethod"], view) {
		case "DocMDP":
			p := int64(2)
			if v, ok := d.intOf(params["P"], view); ok {
				p = v
			}
			if p < 1 || p > 3 {
				s.Problems = append(s.Problems, fmt.Sprintf("DocMDP /P %d is not 1, 2 or 3; read as 1", p))
				p = 1 // the strictest reading of an invalid value
			}
			s.DocMDP = &DocMDP{P: int(p), InReference: true}
		case "FieldMDP":
			s.FieldMDP = d.fieldMDP(params, view)
		}
	}
}

func (d *Document) fieldMDP(p dict, view int) *FieldMDP {
	f := &FieldMDP{Action: string(d.nameOf(p["Action"], view))}
	for _, x := range d.arrayOf(p["Fields"], view) {
		if t, ok := d.stringOf(x, view); ok {
			f.Fields = append(f.Fields, decodeText(t.b))
		}
	}
	if v, ok := d.intOf(p["P"], view); ok {
		f.P = int(v)
	}
	return f
}

// findUnreachable looks at every "/ByteRange" in the file and in object
// streams, and reports the signature dictionaries that no field reaches.
func (d *Document) findUnreachable() error {
	reach := map[loc]bool{}
	var spans [][2]int64
	for _, s := range d.Signatures {
		reach[s.loc] = true
		if s.span[1] > 0 { // not parsed again: its /Contents may be large
			spans = append(spans, s.span)
		}
	}
	inSpan := func(h int64) bool {
		for _, sp := range spans {
			if h >= sp[0] && h < sp[1] {
				return true
			}
		}
		return false
	}
	var offsets []xrefEntry // every in-use entry written in the file
	var todo []int64
	for _, h := range d.brHits {
		if !inSpan(h) {
			todo = append(todo, h)
		}
	}
	if len(todo) > 0 {
		for _, r := range d.Revisions {
			for _, s := range r.sections {
				for _, e := range s.entries {
					if e.typ == 1 {
						offsets = append(offsets, e)
					}
				}
			}
		}
		sort.Slice(offsets, func(i, j int) bool { return offsets[i].off < offsets[j].off })
	}
	found := map[loc]bool{}
	for _, h := range todo {
		i := sort.Search(len(offsets), func(i int) bool { return offsets[i].off > h }) - 1
		var po *parsedObject
		if i >= 0 {
			po, _ = d.parsedAt(offsets[i].off, -1, 0)
		}
		if po == nil || h >= po.end {
			d.warnf("a /ByteRange at byte %d is outside every object listed in the cross-reference data", h)
			continue
		}
		if h >= po.dictEnd {
			continue // inside stream data, e.g. an embedded file
		}
		l := loc{off: po.start, idx: -1}
		if reach[l] || found[l] {
			continue
		}
		sd, ok := po.val.(dict)
		if !ok || sd["ByteRange"] == nil {
			continue
		}
		found[l] = true
		s := &Signature{ContentsOffset: -1, ContentsEnd: -1, loc: l, ObjectNum: po.hdr.num, Revision: d.RevisionAt(po.start)}
		d.fillSignature(s, sd, s.Revision)
		d.UnreachableSignatures = append(d.UnreachableSignatures, s)
	}

	// Object streams cannot be searched in the raw file.
	seenStm := map[int64]bool{}
	for rv, r := range d.Revisions {
		for _, s := range r.sections {
			for _, e := range s.entries {
				if e.typ != 2 {
					continue
				}
				se, _, ok := d.lookup(int(e.off), rv)
				if !ok || se.typ != 1 || seenStm[se.off] {
					continue
				}
				seenStm[se.off] = true
				os, err := d.objStream(int(e.off), se.off, rv)
				if err != nil {
					d.warnf("object stream %d is unreadable: %v", e.off, err)
					continue
				}
				for p := 0; ; {
					j := bytes.Index(os.data[p:], []byte("/ByteRange"))
					if j < 0 {
						break
					}
					h := int64(p + j)
					p += j + 1
					idx := -1
					for k := range os.offs {
						if os.first+os.offs[k] <= h && (idx < 0 || os.offs[k] > os.offs[idx]) {
							idx = k
						}
					}
					if idx < 0 {
						continue
					}
					l := loc{off: se.off, idx: idx}
					if reach[l] || found[l] {
						continue
					}
					v, err := os.value(idx)
					sd, ok := v.(dict)
					if err != nil || !ok || sd["ByteRange"] == nil {
						continue
					}
					found[l] = true
					sig := &Signature{ContentsOffset: -1, ContentsEnd: -1, loc: l, ObjectNum: os.nums[idx], Revision: rv}
					d.fillSignature(sig, sd, rv)
					d.UnreachableSignatures = append(d.UnreachableSignatures, sig)
				}
			}
		}
	}
	if len(d.UnreachableSignatures) > 0 {
		d.nameUnreachable()
	}
	return nil
}

// nameUnreachable finds, in earlier revisions, the fields that once held the
// unreachable signature dictionaries.
func (d *Document) nameUnreachable() {
	for _, s := range d.UnreachableSignatures {
		s.Problems = append(s.Problems, "no signature field of the last revision refers to this signature dictionary")
	}
	for rv := len(d.Revisions) - 2; rv >= 0; rv-- {
		root := d.dictOf(d.trailer(rv)["Root"], rv)
		af := d.dictOf(root["AcroForm"], rv)
		if af == nil {
			continue
		}
		w := &fieldWalker{d: d, view: rv, seen: map[ref]bool{}}
		w.visit = func(f fieldInfo) {
			vr, ok := f.dict["V"].(ref)
			if !ok {
				return
			}
			_, l, err := d.resolve(vr, rv)
			if err != nil {
				return
			}
			for _, s := range d.UnreachableSignatures {
				if s.loc == l && s.FieldName == "" {
					s.FieldName = f.name
					s.Problems = append(s.Problems, fmt.Sprintf("it was the value of field %q in revision %d", f.name, rv+1))
				}
			}
		}
		w.walk(d.arrayOf(af["Fields"], rv), "", "", 0)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ChangeKind classifies what a later revision does. The kinds are ordered:
// a revision takes the highest kind among its objects, so the order runs
// from harmless to anything goes.
type ChangeKind int

const (
	// ChangeNone: nothing that alters the document (objects rewritten
	// identically, unreferenced objects, structure, trailing white space).
	ChangeNone ChangeKind = iota
	// ChangeMetadata: the information dictionary, XMP metadata, /Extensions,
	// /Version or /MarkInfo.
	ChangeMetadata
	// ChangeValidationData: the document security store (/DSS, VRI,
	// certificates, CRLs, OCSP responses).
	ChangeValidationData
	// ChangeTimestamp: a document timestamp (/DocTimeStamp) and its field.
	ChangeTimestamp
	// ChangeSignature: a new signature: its field, widget, dictionary and
	// appearance.
	ChangeSignature
	// ChangeFormFill: values (/V) and appearances of existing non-signature
	// fields.
	ChangeFormFill
	// ChangeAnnotation: annotations other than widgets added, changed or
	// removed.
	ChangeAnnotation
	// ChangeOther: anything else: page content, resources, the page tree,
	// the catalog, new form fields, rewritten signatures, unreadable objects,
	// bytes after the last %%EOF.
	ChangeOther
)

func (k ChangeKind) String() string {
	switch k {
	case ChangeNone:
		return "none"
	case ChangeMetadata:
		return "metadata"
	case ChangeValidationData:
		return "validation data"
	case ChangeTimestamp:
		return "document timestamp"
	case ChangeSignature:
		return "signature"
	case ChangeFormFill:
		return "form filling"
	case ChangeAnnotation:
		return "annotation"
	case ChangeOther:
		return "other"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is what one revision after the signed one does.
type Change struct {
	// Revision is the revision's index; -1 for bytes after the last
	// revision's %%EOF.
	Revision int
	Kind     ChangeKind
	// Detail names the objects that decide Kind and what they are.
	Detail  string
	Objects []ObjectChange
}

// ObjectChange is one object of a revision and how it was classified.
type ObjectChange struct {
	Num  int
	Kind ChangeKind
	// Action is "added", "replaced", "deleted" or "unchanged" (rewritten
	// identically).
	Action string
	What   string
}

// ChangesAfter classifies every revision after the one s covers (from
// CheckByteRange, or else the revision that wrote s), and bytes after the
// last %%EOF. It returns nil when nothing follows.
func (d *Document) ChangesAfter(s *Signature) (changes []Change, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer containPanic(&err)
	check := d.checkByteRange(s)
	d.budget()
	defer func() {
		if err == nil && d.workErr != nil {
			changes, err = nil, d.workErr
		}
	}()
	from := check.CoveredRevision
	if check.Coverage == CoverageEntireFile {
		return nil, nil
	}
	if from < 0 {
		from = s.Revision
	}
	if from < 0 || from >= len(d.Revisions) {
		return nil, fmt.Errorf("pdf: cannot tell which revision signature %q belongs to", s.FieldName)
	}
	for rv := from + 1; rv < len(d.Revisions); rv++ {
		c, err := d.classifyRevision(rv)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	if d.TrailingBytes > 0 {
		changes = append(changes, d.trailingChange())
	}
	return changes, nil
}

func (d *Document) trailingChange() Change {
	last := d.Revisions[len(d.Revisions)-1]
	c := Change{Revision: -1, Kind: ChangeNone}
	if d.TrailingIsWhiteSpace() {
		c.Detail = fmt.Sprintf("%d bytes of white space after the last %%%%EOF (byte %d)", d.TrailingBytes, last.End)
	} else {
		c.Kind = ChangeOther
		c.Detail = fmt.Sprintf("%d bytes after the last %%%%EOF (byte %d) are not part of any revision; readers that repair files may still read them", d.TrailingBytes, last.End)
	}
	return c
}

// TrailingIsWhiteSpace reports whether the TrailingBytes after the last revision are all PDF
// white space (NUL included), as when a file is padded; true when there are none. Bytes that
// cannot be read count as not white space. The bytes are read once per Document.
func (d *Document) TrailingIsWhiteSpace() bool {
	d.trailing.once.Do(func() { d.trailing.white = d.readTrailingWhite() })
	return d.trailing.white
}

func (d *Document) readTrailingWhite() bool {
	bp := getBigBuffer()
	defer putBigBuffer(bp)
	buf := *bp
	for off := d.Size - d.TrailingBytes; off < d.Size; {
		n := min(int64(len(buf)), d.Size-off)
		m, err := d.r.ReadAt(buf[:n], off)
		for _, b := range buf[:m] {
			if !isWhite(b) {
				return false
			}
		}
		if int64(m) < n || (err != nil && !errors.Is(err, io.EOF)) {
			return false
		}
		off += n
	}
	return true
}

// classifyRevision classifies the objects revision rv writes.
func (d *Document) classifyRevision(rv int) (Change, error) {
	prev := rv - 1
	c := Change{Revision: rv}
	cur, err := d.walk(rv)
	if err != nil {
		return c, err
	}
	var old *walkResult
	written := map[int]bool{}
	for _, o := range d.Revisions[rv].Objects {
		written[o.Num] = true
		oldObj, oldExists, oldErr := d.resolveNum(o.Num, prev)
		oc := ObjectChange{Num: o.Num}
		if o.Free {
			if !oldExists {
				continue
			}
			if old == nil {
				if old, err = d.walk(prev); err != nil {
					return c, err
				}
			}
			oc.Action = "deleted"
			oc.Kind, oc.What = ChangeNone, "an object no longer referenced"
			if roles := old.roles[o.Num]; len(roles) > 0 {
				oc.Kind, oc.What = ChangeOther, describeRoles(roles)
				if k := maxGenericKind(roles); k == ChangeMetadata || k == ChangeValidationData {
					oc.Kind = k
				}
			}
			c.Objects = append(c.Objects, oc)
			continue
		}
		newObj, _, newExists, newErr := d.resolveNumLoc(o.Num, rv)
		oc.Action = "added"
		if oldExists {
			oc.Action = "replaced"
		}
		switch {
		case newErr != nil || !newExists:
			oc.Kind, oc.What = ChangeOther, fmt.Sprintf("unreadable object: %v", newErr)
		case oldErr == nil && oldExists && d.sameObject(oldObj, newObj):
			oc.Action, oc.Kind, oc.What = "unchanged", ChangeNone, "rewritten without changes"
		case isStructural(newObj):
			oc.Kind, oc.What = ChangeNone, "cross-reference or object stream"
		default:
			roles := cur.roles[o.Num]
			if len(roles) == 0 {
				oc.Kind, oc.What = ChangeNone, "not referenced from the document"
				break
			}
			var whats []string
			for _, r := range roles {
				k, what := d.classifyRole(r, oldObj, oldExists, newObj, rv)
				if k > oc.Kind {
					oc.Kind = k
				}
				if what != "" && !contains(whats, what) {
					whats = append(whats, what)
				}
			}
			oc.What = strings.Join(whats, "; also ")
		}
		c.Objects = append(c.Objects, oc)
	}
	// The trailer may name a catalog written in an earlier revision.
	newRoot, _ := d.trailer(rv)["Root"].(ref)
	oldRoot, _ := d.trailer(prev)["Root"].(ref)
	if newRoot != oldRoot && !written[newRoot.num] {
		k, what := d.catalogDiff(prev, rv)
		if k > ChangeNone {
			c.Objects = append(c.Objects, ObjectChange{Num: newRoot.num, Kind: ChangeOther, Action: "trailer", What: "the trailer now names catalog " + newRoot.String() + ", written earlier: " + what})
		}
	}
	sort.SliceStable(c.Objects, func(i, j int) bool { return c.Objects[i].Num < c.Objects[j].Num })
	for _, oc := range c.Objects {
		if oc.Kind > c.Kind {
			c.Kind = oc.Kind
		}
	}
	var parts []string
	for _, oc := range c.Objects {
		if oc.Kind == c.Kind && len(parts) < 12 {
			parts = append(parts, fmt.Sprintf("object %d (%s): %s", oc.Num, oc.Action, oc.What))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no objects")
	}
	c.Detail = strings.Join(parts, "; ")
	return c, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// resolveNum returns object num as revision view sees it, with whatever
// generation its entry has.
func (d *Document) resolveNum(num, view int) (object, bool, error) {
	o, _, ok, err := d.resolveNumLoc(num, view)
	return o, ok, err
}

func (d *Document) resolveNumLoc(num, view int) (object, loc, bool, error) {
	if view < 0 {
		return nil, loc{}, false, nil
	}
	e, _, ok := d.lookup(num, view)
	if !ok || e.typ == 0 {
		return nil, loc{}, false, nil
	}
	gen := int(e.gen)
	if e.typ == 2 {
		gen = 0
	}
	o, l, err := d.resolve(ref{num, gen}, view)
	return o, l, true, err
}

func isStructural(o object) bool {
	st, ok := o.(*stream)
	if !ok {
		return false
	}
	t := st.dict["Type"]
	return t == name("XRef") || t == name("ObjStm")
}

// sameObject compares two versions of an object, stream data included.
func (d *Document) sameObject(a, b object) bool {
	if !deepEqual(a, b) {
		return false
	}
	sa, ok1 := a.(*stream)
	sb, ok2 := b.(*stream)
	if !ok1 || !ok2 || sa.dataOff == sb.dataOff {
		return true
	}
	ba := make([]byte, 16<<10)
	bb := make([]byte, 16<<10)
	for off := int64(0); off < sa.length; {
		n := int64(len(ba))
		if sa.length-off < n {
			n = sa.length - off
		}
		m1, _ := d.r.ReadAt(ba[:n], sa.dataOff+off)
		m2, _ := d.r.ReadAt(bb[:n], sb.dataOff+off)
		if int64(m1) < n || int64(m2) < n || !bytes.Equal(ba[:n], bb[:n]) {
			return false
		}
		off += n
	}
	return true
}

// classifyRole decides what a change to an object playing role r means.
func (d *Document) classifyRole(r role, old object, oldExists bool, cur object, rv int) (ChangeKind, string) {
	prev := rv - 1
	oldDict, curDict := asDict(old), asDict(cur)
	switch r.typ {
	case roleGeneric:
		return r.kind, r.desc
	case roleCatalog:
		return d.catalogDiff(prev, rv)
	case rolePagesNode:
		if !oldExists {
			return ChangeOther, "new page tree node"
		}
		return ChangeOther, "page tree node changed: " + keyList(changedKeys(oldDict, curDict))
	case rolePage:
		if !oldExists {
			return ChangeOther, fmt.Sprintf("new page %d", r.page)
		}
		ks := changedKeys(oldDict, curDict)
		if len(ks) == 1 && ks[0] == "Annots" {
			return d.annotsDiff(d.arrayOf(oldDict["Annots"], prev), d.arrayOf(curDict["Annots"], rv), r.page, rv)
		}
		return ChangeOther, fmt.Sprintf("page %d changed: %s", r.page, keyList(ks))
	case roleAnnotsArray:
		var oldArr array
		if pd := d.dictOf(r.pageRef, prev); pd != nil {
			oldArr = d.arrayOf(pd["Annots"], prev)
		}
		curArr, _ := cur.(array)
		return d.annotsDiff(oldArr, curArr, r.page, rv)
	case roleAnnotation:
		if !oldExists {
			return ChangeAnnotation, fmt.Sprintf("new %s annotation on page %d", r.desc, r.page)
		}
		return ChangeAnnotation, fmt.Sprintf("%s annotation on page %d changed", r.desc, r.page)
	case roleField, roleWidget:
		return fieldDiff(oldDict, oldExists, curDict, r)
	case roleAcroForm:
		if a, ok := cur.(array); ok {
			var oldArr array
			if oldExists {
				oldArr, _ = old.(array)
			}
			return d.fieldsDiff(oldArr, a, rv)
		}
		return d.acroFormDiff(oldDict, curDict, rv)
	case roleSigDict:
		if !oldExists {
			return r.kind, fmt.Sprintf("%s dictionary of field %q", sigWord(r.kind), r.field)
		}
		return ChangeOther, fmt.Sprintf("the signature dictionary of field %q is rewritten", r.field)
	}
	return ChangeOther, "unclassified object"
}

func asDict(o object) dict {
	switch x := o.(type) {
	case dict:
		return x
	case *stream:
		return x.dict
	}
	return nil
}

func sigWord(k ChangeKind) string {
	if k == ChangeTimestamp {
		return "document timestamp"
	}
	return "signature"
}

func keyList(ks []name) string {
	if len(ks) == 0 {
		return "no keys"
	}
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = "/" + string(k)
	}
	return strings.Join(parts, " ")
}

// valueUpdateKeys may change when a field is filled or signed (as pyHanko's
// VALUE_UPDATE_KEYS).
var valueUpdateKeys = map[name]bool{"AP": true, "AS": true, "V": true, "F": true, "DA": true, "Q": true, "Ff": true, "Type": true}

func fieldDiff(old dict, oldExists bool, cur dict, r role) (ChangeKind, string) {
	isSig := r.kind == ChangeSignature || r.kind == ChangeTimestamp
	if !oldExists {
		if isSig {
			return r.kind, fmt.Sprintf("new %s field %q", sigWord(r.kind), r.field)
		}
		return ChangeOther, fmt.Sprintf("new form field %q", r.field)
	}
	ks := changedKeys(old, cur)
	var bad []name
	for _, k := range ks {
		if !valueUpdateKeys[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return ChangeOther, fmt.Sprintf("field %q changed: %s", r.field, keyList(bad))
	}
	if isSig {
		if old["V"] != nil && !deepEqual(old["V"], cur["V"]) {
			return ChangeOther, fmt.Sprintf("the value of signature field %q, already signed, is replaced", r.field)
		}
		if old["V"] == nil && cur["V"] != nil {
			return r.kind, fmt.Sprintf("signature field %q signed", r.field)
		}
		return r.kind, fmt.Sprintf("signature field %q updated: %s", r.field, keyList(ks))
	}
	return ChangeFormFill, fmt.Sprintf("form field %q filled: %s", r.field, keyList(ks))
}

// annotsDiff classifies the difference between two /Annots arrays.
func (d *Document) annotsDiff(old, cur array, page, rv int) (ChangeKind, string) {
	prev := rv - 1
	added, removed := arrayDiff(old, cur)
	if len(added) == 0 && len(removed) == 0 {
		if deepEqual(old, cur) {
			return ChangeNone, fmt.Sprintf("annotations of page %d unchanged", page)
		}
		return ChangeAnnotation, fmt.Sprintf("annotations of page %d reordered", page)
	}
	kind := ChangeNone
	var whats []string
	note := func(k ChangeKind, w string) {
		if k > kind {
			kind = k
		}
		whats = append(whats, w)
	}
	for _, a := range added {
		ad := d.dictOf(a, rv)
		if ad["Subtype"] == name("Widget") {
			fk, fname := d.fieldKind(ad, rv)
			if fk == ChangeSignature || fk == ChangeTimestamp {
				note(fk, fmt.Sprintf("%s widget %q added to page %d", sigWord(fk), fname, page))
			} else {
				note(ChangeOther, fmt.Sprintf("widget of form field %q added to page %d", fname, page))
			}
			continue
		}
		note(ChangeAnnotation, fmt.Sprintf("%s annotation added to page %d", subtypeOf(ad), page))
	}
	for _, a := range removed {
		ad := d.dictOf(a, prev)
		if ad["Subtype"] == name("Widget") {
			fk, fname := d.fieldKind(ad, prev)
			if fk == ChangeSignature || fk == ChangeTimestamp {
				note(ChangeOther, fmt.Sprintf("signature widget %q removed from page %d", fname, page))
				continue
			}
			note(ChangeOther, fmt.Sprintf("widget of form field %q removed from page %d", fname, page))
			continue
		}
		note(ChangeAnnotation, fmt.Sprintf("%s annotation removed from page %d", subtypeOf(ad), page))
	}
	return kind, strings.Join(whats, ", ")
}

func subtypeOf(ad dict) string {
	if st, ok := ad["Subtype"].(name); ok {
		return "/" + string(st)
	}
	return "an"
}

// arrayDiff lists the elements of cur not in old and of old not in cur.
func arrayDiff(old, cur array) (added, removed array) {
	has := func(a array, x object) bool {
		for _, y := range a {
			if deepEqual(x, y) {
				return true
			}
		}
		return false
	}
	if len(old)*len(cur) > 1<<22 {
		return cur, old // too large to compare: treat as replaced
	}
	for _, x := range cur {
		if !has(old, x) {
			added = append(added, x)
		}
	}
	for _, x := range old {
		if !has(cur, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// fieldsDiff classifies a change of the AcroForm /Fields array.
func (d *Document) fieldsDiff(old, cur array, rv int) (ChangeKind, string) {
	added, removed := arrayDiff(old, cur)
	kind := ChangeNone
	var whats []string
	for _, f := range added {
		fk, fname := d.fieldKind(d.dictOf(f, rv), rv)
		if fk == ChangeSignature || fk == ChangeTimestamp {
			if fk > kind {
				kind = fk
			}
			whats = append(whats, fmt.Sprintf("%s field %q added to the form", sigWord(fk), fname))
		} else {
			kind = ChangeOther
			whats = append(whats, fmt.Sprintf("form field %q added to the form", fname))
		}
	}
	for _, f := range removed {
		_, fname := d.fieldKind(d.dictOf(f, rv-1), rv-1)
		kind = ChangeOther
		whats = append(whats, fmt.Sprintf("field %q removed from the form", fname))
	}
	if len(whats) == 0 {
		if !deepEqual(old, cur) {
			return ChangeOther, "form fields reordered"
		}
		return ChangeNone, "form fields unchanged"
	}
	return kind, strings.Join(whats, ", ")
}

// acroFormDiff classifies a change of the AcroForm dictionary.
func (d *Document) acroFormDiff(old, cur dict, rv int) (ChangeKind, string) {
	prev := rv - 1
	kind := ChangeNone
	var whats []string
	for _, k := range changedKeys(old, cur) {
		var kk ChangeKind
		var w string
		switch k {
		case "Fields":
			kk, w = d.fieldsDiff(d.arrayOf(old["Fields"], prev), d.arrayOf(cur["Fields"], rv), rv)
		case "SigFlags":
			kk, w = ChangeSignature, "form /SigFlags set"
		case "DR", "DA", "Q", "NeedAppearances":
			kk, w = ChangeFormFill, "form /"+string(k)+" changed"
		default:
			kk, w = ChangeOther, "form /"+string(k)+" changed"
		}
		if kk > kind {
			kind = kk
		}
		whats = append(whats, w)
	}
	if len(whats) == 0 {
		return ChangeNone, "form unchanged"
	}
	return kind, strings.Join(whats, ", ")
}

// catalogDiff compares the catalogs of revisions prev and rv, whatever their
// object numbers.
func (d *Document) catalogDiff(prev, rv int) (ChangeKind, string) {
	old := d.dictOf(d.trailer(prev)["Root"], prev)
	cur := d.dictOf(d.trailer(rv)["Root"], rv)
	if cur == nil {
		return ChangeOther, "the catalog is unreadable"
	}
	kind := ChangeNone
	var whats []string
	for _, k := range changedKeys(old, cur) {
		var kk ChangeKind
		var w string
		verb := "changed"
		if old[k] == nil {
			verb = "added"
		} else if cur[k] == nil {
			verb = "removed"
		}
		switch k {
		case "AcroForm":
			kk, w = d.acroFormDiff(d.dictOf(old["AcroForm"], prev), d.dictOf(cur["AcroForm"], rv), rv)
		case "DSS":
			kk, w = ChangeValidationData, "document security store "+verb
		case "Metadata", "Extensions", "Version", "MarkInfo":
			kk, w = ChangeMetadata, "catalog /"+string(k)+" "+verb
		default:
			kk, w = ChangeOther, "catalog /"+string(k)+" "+verb
		}
		if kk > kind {
			kind = kk
		}
		whats = append(whats, w)
	}
	if len(whats) == 0 {
		return ChangeNone, "catalog rewritten without changes"
	}
	return kind, strings.Join(whats, ", ")
}

// fieldKind: signature (or timestamp) field, or another field, with the
// field's name. /FT and /T are inherited from parents.
func (d *Document) fieldKind(fd dict, view int) (ChangeKind, string) {
	var ft name
	var parts []string
	var v object
	cur := fd
	for i := 0; cur != nil && i < 32; i++ {
		if ft == "" {
			ft = d.nameOf(cur["FT"], view)
		}
		if v == nil {
			v = cur["V"]
		}
		if t, ok := d.stringOf(cur["T"], view); ok {
			parts = append([]string{decodeText(t.b)}, parts...)
		}
		cur = d.dictOf(cur["Parent"], view)
	}
	if ft == "" && fd != nil {
		// A field with kids may carry /FT only on them.
		if kids := d.arrayOf(fd["Kids"], view); len(kids) > 0 {
			ft = d.nameOf(d.dictOf(kids[0], view)["FT"], view)
		}
	}
	fname := strings.Join(parts, ".")
	if ft != "Sig" {
		return ChangeFormFill, fname
	}
	if d.nameOf(d.dictOf(v, view)["Type"], view) == "DocTimeStamp" {
		return ChangeTimestamp, fname
	}
	return ChangeSignature, fname
}

func maxGenericKind(roles []role) ChangeKind {
	k := ChangeNone
	for _, r := range roles {
		kk := ChangeOther
		if r.typ == roleGeneric {
			kk = r.kind
		}
		if kk > k {
			k = kk
		}
	}
	return k
}

func describeRoles(roles []role) string {
	var parts []string
	for _, r := range roles {
		if r.desc != "" {
			parts = append(parts, r.desc)
		} else if r.field != "" {
			parts = append(parts, fmt.Sprintf("field %q", r.field))
		}
	}
	return "deleted while referenced as " + strings.Join(parts, ", ")
}

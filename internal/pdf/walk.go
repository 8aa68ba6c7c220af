package pdf

import "fmt"

// The object graph of one revision, walked from the trailer, tells what each
// object is: a role per path that reaches it. Dictionaries are walked in key
// order, so the first role an object gets, and the text describing it, are
// the same on every run. A change to an object is then
// judged by every role it plays, so an appearance stream that is also used
// elsewhere (the appearance-override attack) counts as a change elsewhere.

type roleType uint8

const (
	roleGeneric     roleType = iota // part of something of kind role.kind
	roleCatalog                     // the document catalog
	rolePagesNode                   // an intermediate page tree node
	rolePage                        // a page
	roleAnnotsArray                 // an indirect /Annots array
	roleAnnotation                  // an annotation other than a widget
	roleField                       // a form field
	roleWidget                      // a widget annotation (often the field itself)
	roleAcroForm                    // the AcroForm dictionary or its /Fields array
	roleSigDict                     // a signature or timestamp dictionary
)

type role struct {
	typ     roleType
	kind    ChangeKind // roleGeneric; for fields and signatures: Signature, Timestamp or FormFill
	desc    string
	page    int // 1-based page for page-related roles
	pageRef ref // roleAnnotsArray: the page holding the array
	field   string
}

type walkResult struct {
	roles map[int][]role
}

type walker struct {
	d     *Document
	view  int
	res   *walkResult
	seen  map[visitKey]bool
	page  int
	steps int
	err   error
}

type visitKey struct {
	num  int
	typ  roleType
	kind ChangeKind
}

// walk returns (and caches) the roles of every object of revision view.
func (d *Document) walk(view int) (*walkResult, error) {
	if d.walks == nil {
		d.walks = map[int]*walkResult{}
	}
	if w, ok := d.walks[view]; ok {
		return w, nil
	}
	w := &walker{d: d, view: view, res: &walkResult{roles: map[int][]role{}}, seen: map[visitKey]bool{}}
	tr := d.trailer(view)
	if r, ok := tr["Root"].(ref); ok {
		if w.mark(r.num, role{typ: roleCatalog, desc: "document catalog"}) {
			w.catalog(d.dictOf(r, view))
		}
	}
	w.generic(tr["Info"], ChangeMetadata, "document information dictionary", 0)
	if w.err != nil {
		return nil, w.err
	}
	d.walks[view] = w.res
	return w.res, nil
}

// mark records a role; it reports false when the object already has it.
func (w *walker) mark(num int, r role) bool {
	k := visitKey{num, r.typ, r.kind}
	if w.seen[k] {
		return false
	}
	w.steps++
	if w.steps > walkBudget && w.err == nil {
		w.err = formatErr(TooComplex, -1, "more than %d object references in revision %d", walkBudget, w.view+1)
	}
	if w.err != nil {
		return false
	}
	w.seen[k] = true
	w.res.roles[num] = append(w.res.roles[num], r)
	return true
}

// resolve follows a reference for the walk, returning the object (nil if unreadable).
func (w *walker) resolve(v object) object {
	if err := w.d.spend(1); err != nil && w.err == nil {
		w.err = err
	}
	return w.d.deref(v, w.view)
}

// typed objects are classified by their own walk; generic walks stop there.
func typed(o object) bool {
	dd := asDict(o)
	if dd == nil {
		return false
	}
	switch dd["Type"] {
	case name("Catalog"), name("Pages"), name("Page"), name("Annot"), name("Sig"), name("DocTimeStamp"):
		return true
	}
	if _, ok := dd["FT"]; ok {
		return true
	}
	if _, ok := dd["Rect"]; ok && dd["Subtype"] != nil && dd["Type"] != name("XObject") {
		return true // an annotation without /Type
	}
	if _, ok := dd["Kids"]; ok {
		return true // page tree node or field
	}
	return false
}

// generic marks everything reachable from v with kind, stopping at typed
// objects and back-pointers.
func (w *walker) generic(v object, kind ChangeKind, desc string, depth int) {
	if depth > maxNesting || w.err != nil {
		return
	}
	switch x := v.(type) {
	case ref:
		o := w.resolve(x)
		if o == nil || typed(o) {
			return
		}
		if !w.mark(x.num, role{typ: roleGeneric, kind: kind, desc: desc}) {
			return
		}
		w.generic(o, kind, desc, depth+1)
	case dict:
		for _, k := range sortedKeys(x) {
			val := x[k]
			if k == "Parent" || k == "P" || k == "Data" || k == "IRT" {
				continue
			}
			w.generic(val, kind, desc, depth+1)
		}
	case array:
		for _, val := range x {
			w.generic(val, kind, desc, depth+1)
		}
	case *stream:
		w.generic(x.dict, kind, desc, depth+1)
	}
}

func (w *walker) catalog(cd dict) {
	for _, k := range sortedKeys(cd) {
		v := cd[k]
		switch k {
		case "Type":
		case "Pages":
			w.pageTree(v, 0)
		case "AcroForm":
			w.acroForm(v)
		case "DSS":
			w.generic(v, ChangeValidationData, "document security store", 0)
		case "Metadata":
			w.generic(v, ChangeMetadata, "XMP metadata", 0)
		case "Extensions", "Version", "MarkInfo":
			w.generic(v, ChangeMetadata, "catalog /"+string(k), 0)
		default:
			w.generic(v, ChangeOther, "catalog /"+string(k), 0)
		}
	}
}

func (w *walker) pageTree(v object, depth int) {
	if depth > 64 || w.err != nil {
		return
	}
	r, isRef := v.(ref)
	nd := w.d.dictOf(v, w.view)
	if nd == nil {
		return
	}
	if kids, ok := w.resolve(nd["Kids"]).(array); ok && nd["Type"] != name("Page") {
		if isRef && !w.mark(r.num, role{typ: rolePagesNode, desc: "page tree node"}) {
			return
		}
		for _, k := range sortedKeys(nd) {
			val := nd[k]
			switch k {
			case "Kids", "Parent", "Type", "Count":
			default:
				w.generic(val, ChangeOther, "page tree /"+string(k), 0)
			}
		}
		for _, kid := range kids {
			w.pageTree(kid, depth+1)
		}
		return
	}
	w.page++
	page := w.page
	if isRef && !w.mark(r.num, role{typ: rolePage, page: page, desc: fmt.Sprintf("page %d", page)}) {
		return
	}
	for _, k := range sortedKeys(nd) {
		val := nd[k]
		switch k {
		case "Type", "Parent":
		case "Annots":
			if ar, ok := val.(ref); ok {
				w.mark(ar.num, role{typ: roleAnnotsArray, page: page, pageRef: r, desc: fmt.Sprintf("annotations of page %d", page)})
			}
			arr, _ := w.resolve(val).(array)
			for _, a := range arr {
				w.annotation(a, page)
			}
		case "Contents":
			w.generic(val, ChangeOther, fmt.Sprintf("content of page %d", page), 0)
		case "Resources":
			w.generic(val, ChangeOther, fmt.Sprintf("resources of page %d", page), 0)
		default:
			w.generic(val, ChangeOther, fmt.Sprintf("page %d /%s", page, k), 0)
		}
	}
}

func (w *walker) annotation(v object, page int) {
	r, isRef := v.(ref)
	ad := w.d.dictOf(v, w.view)
	if ad == nil {
		return
	}
	if ad["Subtype"] == name("Widget") {
		fk, fname := w.d.fieldKind(ad, w.view)
		if isRef && !w.mark(r.num, role{typ: roleWidget, kind: fk, field: fname, page: page}) {
			return
		}
		for _, k := range sortedKeys(ad) {
			val := ad[k]
			switch k {
			case "P", "Parent", "V", "Kids", "Type", "Subtype":
			case "A", "AA":
				w.generic(val, ChangeOther, fmt.Sprintf("action of field %q", fname), 0)
			default:
				w.generic(val, fk, fmt.Sprintf("appearance of %s field %q", fieldWord(fk), fname), 0)
			}
		}
		return
	}
	st := subtypeOf(ad)
	if isRef && !w.mark(r.num, role{typ: roleAnnotation, page: page, desc: st}) {
		return
	}
	for _, k := range sortedKeys(ad) {
		val := ad[k]
		switch k {
		case "P", "Parent", "IRT", "Type", "Subtype":
		case "Popup":
			w.annotation(val, page)
		default:
			w.generic(val, ChangeAnnotation, fmt.Sprintf("%s annotation on page %d", st, page), 0)
		}
	}
}

func fieldWord(k ChangeKind) string {
	switch k {
	case ChangeSignature:
		return "signature"
	case ChangeTimestamp:
		return "timestamp"
	}
	return "form"
}

func (w *walker) acroForm(v object) {
	if r, ok := v.(ref); ok && !w.mark(r.num, role{typ: roleAcroForm, desc: "form dictionary"}) {
		return
	}
	af := w.d.dictOf(v, w.view)
	for _, k := range sortedKeys(af) {
		val := af[k]
		switch k {
		case "Fields":
			if r, ok := val.(ref); ok {
				w.mark(r.num, role{typ: roleAcroForm, desc: "form field list"})
			}
			arr, _ := w.resolve(val).(array)
			for _, f := range arr {
				w.field(f, 0)
			}
		case "DR":
			w.generic(val, ChangeFormFill, "form default resources", 0)
		case "CO", "DA", "Q", "NeedAppearances", "SigFlags":
		default:
			w.generic(val, ChangeOther, "form /"+string(k), 0)
		}
	}
}

func (w *walker) field(v object, depth int) {
	if depth > 32 || w.err != nil {
		return
	}
	r, isRef := v.(ref)
	fd := w.d.dictOf(v, w.view)
	if fd == nil {
		return
	}
	fk, fname := w.d.fieldKind(fd, w.view)
	if isRef && !w.mark(r.num, role{typ: roleField, kind: fk, field: fname}) {
		return
	}
	for _, k := range sortedKeys(fd) {
		val := fd[k]
		switch k {
		case "Parent", "P", "Type", "Subtype", "FT", "T":
		case "Kids":
			kids, _ := w.resolve(val).(array)
			for _, kid := range kids {
				w.field(kid, depth+1)
			}
		case "V":
			if fk == ChangeSignature || fk == ChangeTimestamp {
				w.sigValue(val, fk, fname)
			} else {
				w.generic(val, ChangeFormFill, fmt.Sprintf("value of form field %q", fname), 0)
			}
		case "A", "AA":
			w.generic(val, ChangeOther, fmt.Sprintf("action of field %q", fname), 0)
		default:
			w.generic(val, fk, fmt.Sprintf("appearance of %s field %q", fieldWord(fk), fname), 0)
		}
	}
}

func (w *walker) sigValue(v object, kind ChangeKind, fname string) {
	if r, ok := v.(ref); ok && !w.mark(r.num, role{typ: roleSigDict, kind: kind, field: fname}) {
		return
	}
	sd := w.d.dictOf(v, w.view)
	for _, k := range sortedKeys(sd) {
		val := sd[k]
		if k == "Type" {
			continue
		}
		w.generic(val, kind, fmt.Sprintf("%s dictionary of field %q", sigWord(kind), fname), 0)
	}
}

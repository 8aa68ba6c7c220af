package pdf

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

const (
	maxSections  = 4096    // xref sections in one file
	maxObjNum    = 1 << 23 // PDF's own limit is 8,388,607
	maxEOFMarks  = 1 << 16
	maxHits      = 4096 // "/ByteRange" occurrences examined
	maxObjStmLen = maxDecoded
)

// workBudget is the work each exported call may do (about one unit per
// object parsed or 16 values read); walkBudget bounds the references one
// revision's object graph may have. Variables so tests can lower them.
var (
	workBudget = 4 << 20
	walkBudget = 1 << 20
)

// xrefEntry is one cross-reference entry.
type xrefEntry struct {
	num uint32
	typ uint8  // 0 free, 1 in use at off, 2 in object stream off at index idx
	gen uint32 // generation (types 0 and 1)
	off int64
	idx uint32
}

type xrefSection struct {
	offset   int64
	isStream bool
	entries  []xrefEntry // sorted by num, one per num
	trailer  dict
	prev     int64 // -1 when absent
	end      int64 // end of the trailer dictionary or of the xref stream object
	hybrid   bool  // an /XRefStm stream belonging to a table section
}

func (s *xrefSection) find(num int) (xrefEntry, bool) {
	i := sort.Search(len(s.entries), func(i int) bool { return int(s.entries[i].num) >= num })
	if i < len(s.entries) && int(s.entries[i].num) == num {
		return s.entries[i], true
	}
	return xrefEntry{}, false
}

// sortEntries sorts by object number keeping the first entry of each number.
func sortEntries(es []xrefEntry) []xrefEntry {
	slices.SortStableFunc(es, func(a, b xrefEntry) int { return cmp.Compare(a.num, b.num) })
	out := es[:0]
	for i, e := range es {
		if i > 0 && e.num == es[i-1].num {
			continue
		}
		out = append(out, e)
	}
	return out
}

// readSection reads the cross-reference section (table or stream) at off.
func (d *Document) readSection(off int64) (*xrefSection, error) {
	if off < 0 || off >= d.Size {
		return nil, formatErr(NoXref, off, "cross-reference offset outside the file")
	}
	lx := newFileLexer(d.r, d.Size, off)
	defer lx.release()
	lx.skipSpace()
	start := lx.pos
	t, err := lx.next()
	if err != nil {
		return nil, d.xrefErr(off, err)
	}
	if t.is("xref") {
		s, err := d.readTable(lx, start)
		if err != nil {
			return nil, d.xrefErr(off, err)
		}
		return s, nil
	}
	if t.kind == tokInt {
		s, err := d.readXrefStream(start)
		if err != nil {
			return nil, d.xrefErr(off, err)
		}
		return s, nil
	}
	return nil, formatErr(NoXref, off, "startxref or /Prev does not point at a cross-reference section")
}

func (d *Document) xrefErr(off int64, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe
	}
	return formatErr(BadXref, off, "%v", err)
}

func (d *Document) readTable(lx *lexer, start int64) (*xrefSection, error) {
	s := &xrefSection{offset: start, prev: -1}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		if t.is("trailer") {
			p := &parser{lx: lx}
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			tr, ok := v.(dict)
			if !ok {
				return nil, synErr(t.end, "trailer is not a dictionary")
			}
			s.trailer, s.end = tr, lx.pos
			break
		}
		t2, err := lx.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tokInt || t2.kind != tokInt || t.i < 0 || t2.i < 0 || t.i > maxObjNum || t2.i > maxObjNum || t.i+t2.i > maxObjNum {
			return nil, synErr(t.start, "bad cross-reference subsection header")
		}
		// Each entry takes at least 18 bytes; reject counts the file cannot hold.
		if t2.i > (d.Size-lx.pos)/18+1 {
			return nil, synErr(t.start, "cross-reference subsection longer than the file")
		}
		if err := d.spend(int(t2.i/64) + 1); err != nil {
			return nil, err
		}
		// Room for the entries, but not more than a few pages' worth before
		// they are read: the count is the file's word.
		s.entries = slices.Grow(s.entries, int(min(t2.i, 4096)))
		for i := int64(0); i < t2.i; i++ {
			if e, ok := tableEntry(lx); ok {
				e.num = uint32(t.i + i)
				s.entries = append(s.entries, e)
				continue
			}
			o, err1 := lx.next()
			g, err2 := lx.next()
			k, err3 := lx.next()
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, err
			}
			if o.kind != tokInt || g.kind != tokInt || o.i < 0 || g.i < 0 || g.i > 65535 || !(k.is("n") || k.is("f")) {
				return nil, synErr(o.start, "bad cross-reference entry")
			}
			e := xrefEntry{num: uint32(t.i + i), gen: uint32(g.i), off: o.i, typ: 1}
			if k.is("f") {
				e.typ = 0
			}
			s.entries = append(s.entries, e)
		}
	}
	s.entries = sortEntries(s.entries)
	if err := d.trailerPrev(s); err != nil {
		return nil, err
	}
	return s, nil
}

// tableEntry reads, at the lexer position, a cross-reference entry written
// as the standard says ("nnnnnnnnnn ggggg n" and its end of line), straight
// from the window; ok is false, and nothing read, for anything else, which
// is then read as tokens. Both readings give the same entry.
func tableEntry(lx *lexer) (e xrefEntry, ok bool) {
	lx.skipSpace()
	win := lx.rest(lx.pos)
	if len(win) < 18 || !isWhite(win[10]) || !isWhite(win[16]) || (win[17] != 'n' && win[17] != 'f') {
		return e, false
	}
	if len(win) > 18 && isRegular(win[18]) {
		return e, false
	}
	if len(win) == 18 && lx.pos+18 < lx.size {
		return e, false // the keyword may go on in the next window
	}
	var off, gen int64
	for _, c := range win[:10] {
		if c < '0' || c > '9' {
			return e, false
		}
		off = off*10 + int64(c-'0')
	}
	for _, c := range win[11:16] {
		if c < '0' || c > '9' {
			return e, false
		}
		gen = gen*10 + int64(c-'0')
	}
	if gen > 65535 {
		return e, false
	}
	lx.pos += 18
	e = xrefEntry{gen: uint32(gen), off: off, typ: 1}
	if win[17] == 'f' {
		e.typ = 0
	}
	return e, true
}

func (d *Document) trailerPrev(s *xrefSection) error {
	switch p := s.trailer["Prev"].(type) {
	case nil:
	case int64:
		if p < 0 || p >= d.Size {
			return synErr(s.offset, "/Prev %d is outside the file", p)
		}
		s.prev = p
	default:
		return synErr(s.offset, "/Prev is not an integer")
	}
	return nil
}

func (d *Document) readXrefStream(off int64) (*xrefSection, error) {
	po, err := d.parseIndirect(off, -1, 4) // depth 4: /Length must be direct here
	if err != nil {
		return nil, err
	}
	st, ok := po.val.(*stream)
	if !ok || st.dict["Type"] != name("XRef") {
		return nil, synErr(off, "object is not a cross-reference stream")
	}
	s := &xrefSection{offset: po.start, isStream: true, trailer: st.dict, prev: -1, end: po.end}
	data, err := d.streamData(st, -1, maxDecoded)
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream: %w", err)
	}
	wa, ok := st.dict["W"].(array)
	if !ok || len(wa) < 3 {
		return nil, synErr(off, "cross-reference stream without /W")
	}
	var w [3]int
	row := 0
	for i := 0; i < 3; i++ {
		n, ok := wa[i].(int64)
		if !ok || n < 0 || n > 8 {
			return nil, synErr(off, "bad /W in cross-reference stream")
		}
		w[i] = int(n)
		row += w[i]
	}
	if row == 0 {
		return nil, synErr(off, "bad /W in cross-reference stream")
	}
	size, _ := st.dict["Size"].(int64)
	if size < 0 || size > maxObjNum {
		return nil, synErr(off, "bad /Size in cross-reference stream")
	}
	index := array{int64(0), size}
	if ia, ok := st.dict["Index"].(array); ok {
		index = ia
	}
	if len(index)%2 != 0 {
		return nil, synErr(off, "odd /Index in cross-reference stream")
	}
	p := 0
	for i := 0; i+1 < len(index); i += 2 {
		first, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || first < 0 || count < 0 || first > maxObjNum || count > maxObjNum || first+count > maxObjNum {
			return nil, synErr(off, "bad /Index in cross-reference stream")
		}
		if int64(len(data)-p) < count*int64(row) {
			return nil, synErr(off, "cross-reference stream shorter than its /Index")
		}
		for j := int64(0); j < count; j++ {
			f := [3]uint64{1, 0, 0}
			for k := 0; k < 3; k++ {
				if w[k] == 0 {
					continue
				}
				var v uint64
				for _, b := range data[p : p+w[k]] {
					v = v<<8 | uint64(b)
				}
				p += w[k]
				f[k] = v
			}
			e := xrefEntry{num: uint32(first + j)}
			switch f[0] {
			case 0:
				e.typ = 0
			case 1:
				if f[1] > math.MaxInt64 || f[2] > 65535 {
					return nil, synErr(off, "bad entry in cross-reference stream")
				}
				e.typ, e.off, e.gen = 1, int64(f[1]), uint32(f[2])
			case 2:
				if f[1] > maxObjNum || f[2] > math.MaxUint32 {
					return nil, synErr(off, "bad entry in cross-reference stream")
				}
				e.typ, e.off, e.idx = 2, int64(f[1]), uint32(f[2])
			default:
				continue // unknown types are null references
			}
			s.entries = append(s.entries, e)
		}
	}
	s.entries = sortEntries(s.entries)
	if err := d.trailerPrev(s); err != nil {
		return nil, err
	}
	return s, nil
}

// readRevisions follows startxref and the /Prev chain, then groups the
// sections into revisions.
func (d *Document) readRevisions(startxref int64) error {
	var chain []*xrefSection // newest first
	seen := map[int64]bool{}
	for off := startxref; off >= 0; {
		if seen[off] {
			return formatErr(BadXref, off, "the /Prev chain of cross-reference sections loops")
		}
		seen[off] = true
		if len(chain) >= maxSections {
			return formatErr(TooComplex, off, "more than %d cross-reference sections", maxSections)
		}
		s, err := d.readSection(off)
		if err != nil {
			return err
		}
		chain = append(chain, s)
		if _, enc := s.trailer["Encrypt"]; enc {
			return formatErr(Encrypted, s.offset, "the trailer has /Encrypt")
		}
		if xs, ok := s.trailer["XRefStm"].(int64); ok && !s.isStream {
			hs, err := d.readSection(xs)
			if err != nil {
				return err
			}
			if !hs.isStream {
				return formatErr(BadXref, xs, "/XRefStm does not point at a cross-reference stream")
			}
			hs.hybrid = true
			chain = append(chain, hs)
		}
		off = s.prev
	}

	// Oldest first. A section whose /Prev points forward, to a section
	// written later in the file, is the first-page table of a linearized
	// file: it belongs to the same revision as that section.
	var revs []*Revision
	revOf := map[*xrefSection]*Revision{}
	byOffset := map[int64]*xrefSection{}
	for _, s := range chain {
		if !s.hybrid {
			byOffset[s.offset] = s
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		if s.hybrid {
			continue // attached below to its table's revision
		}
		var r *Revision
		if s.prev > s.offset {
			r = revOf[byOffset[s.prev]]
		}
		if r == nil {
			r = &Revision{Index: len(revs)}
			revs = append(revs, r)
		}
		// Within a revision the newest section is consulted first.
		r.sections = append([]*xrefSection{s}, r.sections...)
		revOf[s] = r
	}
	// Hybrid streams follow their table in lookup order.
	for i, s := range chain {
		if !s.hybrid || i == 0 {
			continue
		}
		table := chain[i-1]
		r := revOf[table]
		for j, x := range r.sections {
			if x == table {
				r.sections = append(r.sections[:j+1], append([]*xrefSection{s}, r.sections[j+1:]...)...)
				break
			}
		}
	}

	var prevEnd int64
	for _, r := range revs {
		last := r.sections[0]
		for _, s := range r.sections {
			if s.offset > last.offset {
				last = s
			}
		}
		// The section that startxref or the next revision's /Prev names.
		r.XrefOffset = r.sections[0].offset
		r.Start = prevEnd
		eof := d.eofAfter(last.end)
		if eof < 0 {
			// No %%EOF follows: the revision runs to the end of the file.
			r.End, r.EOFOffset = d.Size, -1
			d.warnf("revision %d has no %%%%EOF marker after its cross-reference section at byte %d", r.Index+1, last.offset)
		} else {
			r.EOFOffset = eof
			r.End = d.afterEOL(eof + 5)
		}
		prevEnd = r.End
		r.trailer = d.mergedTrailer(r)
		r.Objects = d.revisionObjects(r)
	}
	for i := 1; i < len(revs); i++ {
		if revs[i].End <= revs[i-1].End {
			d.warnf("revision %d ends (byte %d) before revision %d (byte %d): updates are out of order", i+1, revs[i].End, i, revs[i-1].End)
		}
	}
	d.Revisions = make([]Revision, len(revs))
	for i, r := range revs {
		d.Revisions[i] = *r
	}
	return nil
}

// eofAfter returns the first %%EOF marker at or after off, or -1.
func (d *Document) eofAfter(off int64) int64 {
	i := sort.Search(len(d.eofs), func(i int) bool { return d.eofs[i] >= off })
	if i < len(d.eofs) {
		return d.eofs[i]
	}
	return -1
}

// afterEOL skips one end-of-line marker (CR, LF or CRLF) at off.
func (d *Document) afterEOL(off int64) int64 {
	lx := newFileLexer(d.r, d.Size, off)
	defer lx.release()
	c, ok := lx.at(off)
	if !ok {
		return off
	}
	if c == '\r' {
		if c2, ok := lx.at(off + 1); ok && c2 == '\n' {
			return off + 2
		}
		return off + 1
	}
	if c == '\n' {
		return off + 1
	}
	return off
}

// mergedTrailer: the newest section's trailer keys first, then older ones.
func (d *Document) mergedTrailer(r *Revision) dict {
	t := dict{}
	for _, s := range r.sections {
		for k, v := range s.trailer {
			if _, ok := t[k]; !ok {
				t[k] = v
			}
		}
	}
	return t
}

func (d *Document) revisionObjects(r *Revision) []ObjectRef {
	// Numbers are unique within a section (sortEntries); only several
	// sections need a record of the numbers met.
	var seen map[uint32]bool
	n := 0
	for _, s := range r.sections {
		n += len(s.entries)
	}
	if len(r.sections) > 1 {
		seen = make(map[uint32]bool, n)
	}
	out := make([]ObjectRef, 0, n)
	for _, s := range r.sections {
		for _, e := range s.entries {
			if e.num == 0 || seen[e.num] {
				continue
			}
			if seen != nil {
				seen[e.num] = true
			}
			o := ObjectRef{Num: int(e.num), Gen: int(e.gen)}
			switch e.typ {
			case 0:
				o.Free = true
				o.Offset = -1
			case 1:
				o.Offset = e.off
			case 2:
				o.Offset = -1
				o.InStream = int(e.off)
				o.Gen = 0
			}
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b ObjectRef) int { return cmp.Compare(a.Num, b.Num) })
	return out
}

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Document is the structure of a PDF as far as signature verification needs
// it. It keeps r and reads from it again in CheckByteRange and ChangesAfter:
// r must stay readable while the Document is used. Its methods may be called
// from several goroutines; they take turns.
type Document struct {
	Size    int64
	Version string // from the %PDF-x.y header

	// Revisions in file order: the original document first, then one per
	// incremental update.
	Revisions []Revision

	// Signatures: the signature fields of the last revision's AcroForm
	// (with /Kids) whose /V is a signature dictionary, in field order.
	Signatures []*Signature

	// UnreachableSignatures are dictionaries with a /ByteRange that no
	// signature field of the last revision points to: a signature removed
	// from the form, a rewritten signature dictionary, or a decoy. They are a
	// finding in themselves and must not be verified as if they were fields.
	UnreachableSignatures []*Signature

	// EmptySignatureFields names the signature fields that have no value yet.
	EmptySignatureFields []string

	// TrailingBytes counts the bytes after the last revision's %%EOF (and its
	// end-of-line): data no conforming reader interprets.
	TrailingBytes int64

	// Warnings are structural oddities that do not stop reading.
	Warnings []string

	r        io.ReaderAt
	trailing struct {
		once  sync.Once
		white bool
	} // TrailingIsWhiteSpace, read once
	eofs      []int64 // offsets of every "%%EOF" in the file
	brHits    []int64 // offsets of "/ByteRange" in the raw file
	startxref int64   // offset of the last "startxref"

	mu         sync.Mutex // held by each exported method
	work       int        // remaining work budget for the current operation
	workErr    error      // set when work ran out
	objs       map[loc]object
	cacheBytes int64
	// contentsHeld counts the bytes of the signatures' Contents (MaxContentsTotal).
	contentsHeld int64
	objStms      map[int64]*objStm
	stmSize      int
	walks        map[int]*walkResult
	brChecks     map[*Signature]brCheck
}

// Revision is one %%EOF-terminated part of the file: the original document
// or one incremental update.
//
// Index (like Signature.Revision and Change.Revision) is the position in
// Document.Revisions, 0 for the original document; text meant for people
// (Problems, Warnings, Change.Detail) numbers revisions from 1, as reports do.
type Revision struct {
	Index      int
	Start      int64 // first byte of this revision (End of the previous one)
	End        int64 // offset just after this revision's %%EOF and its end-of-line
	EOFOffset  int64 // offset of the "%%EOF" marker, -1 if it has none
	XrefOffset int64 // the cross-reference section startxref or /Prev names
	// Objects (re)defined or freed in this revision, by object number.
	Objects []ObjectRef

	sections []*xrefSection // newest first
	trailer  dict
}

// ObjectRef is one cross-reference entry of a revision.
type ObjectRef struct {
	Num, Gen int
	Free     bool  // the entry frees (deletes) the object
	Offset   int64 // byte offset of "num gen obj", -1 if free or compressed
	InStream int   // object stream holding it, 0 if none
}

// loc identifies where an object version is written: a file offset, or an
// object stream's file offset and an index in it.
type loc struct {
	off int64
	idx int // -1 for objects written directly in the file
}

func (l loc) inFile() bool { return l.idx < 0 }

// Open reads the structure of the PDF in r: its revisions, signature fields
// and signature dictionaries. It reads r in small windows and never holds the
// file in memory. Unusable input gives a *FormatError.
func Open(r io.ReaderAt, size int64) (doc *Document, err error) {
	defer containPanic(&err)
	if size < 0 {
		return nil, fmt.Errorf("pdf: negative file size %d", size)
	}
	d := &Document{Size: size, r: r, startxref: -1}
	if size > 0 && size <= wholeFileMax {
		// A file that fits one big buffer is read with one call and parsed
		// from memory: the scan reads all of it anyway, and a read per
		// object (a system call and a window copy each) would cost more than
		// the parsing. Nothing parsed points into the buffer (tokens are
		// copies), so it goes back to the pool when Open returns, and the
		// Document's later calls read r again. A failed read falls back to
		// windows, which report the error where it happens.
		bp := getBigBuffer()
		if m, err := r.ReadAt((*bp)[:size], 0); int64(m) == size && (err == nil || err == io.EOF) {
			d.r = &wholeFile{data: (*bp)[:size]}
			defer func() {
				d.r = r
				putBigBuffer(bp)
			}()
		} else {
			putBigBuffer(bp)
		}
	}
	d.resetCaches()
	d.budget()
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	if err := d.scan(); err != nil {
		return nil, err
	}
	if d.startxref < 0 {
		return nil, formatErr(NoXref, -1, "no startxref")
	}
	xoff, err := d.readStartxref(d.startxref)
	if err == nil {
		err = d.readRevisions(xoff)
	}
	if err != nil {
		if d.endsWithoutEOF() {
			return nil, formatErr(Damaged, d.startxref, "the file ends after its last startxref without %%%%EOF: it was cut short (%v)", err)
		}
		return nil, err
	}
	last := d.Revisions[len(d.Revisions)-1]
	d.TrailingBytes = d.Size - last.End
	if d.TrailingBytes < 0 {
		d.TrailingBytes = 0
	}
	if _, ok := last.trailer["Root"].(ref); !ok {
		return nil, formatErr(BadXref, last.XrefOffset, "the trailer has no /Root")
	}
	if err := d.checkTail(); err != nil {
		return nil, err
	}
	if err := d.findSignatures(); err != nil {
		return nil, err
	}
	if err := d.checkCutEnd(); err != nil {
		return nil, err
	}
	if err := d.findUnreachable(); err != nil {
		return nil, err
	}
	if d.workErr != nil {
		return nil, d.workErr
	}
	return d, nil
}

func (d *Document) resetCaches() {
	d.objs = map[loc]object{}
	d.objStms = map[int64]*objStm{}
	d.stmSize = 0
}

func (d *Document) warnf(format string, args ...any) {
	if len(d.Warnings) < 100 {
		d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
	}
}

// spend charges n units of work; hostile files with huge or looping
// structures run out of budget instead of running for ever.
func (d *Document) spend(n int) error {
	d.work -= n
	if d.work < 0 {
		// Sticky: lenient lookups swallow errors, so each exported call
		// checks workErr before it returns.
		if d.workErr == nil {
			d.workErr = formatErr(TooComplex, -1, "work limit reached")
		}
		return d.workErr
	}
	return nil
}

// budget starts the work budget of an exported call.
func (d *Document) budget() {
	d.work, d.workErr = workBudget, nil
}

func (d *Document) readHeader() error {
	n := int64(1024)
	if d.Size < n {
		n = d.Size
	}
	var buf []byte
	if w, ok := d.r.(*wholeFile); ok {
		buf = w.data[:n]
	} else {
		buf = make([]byte, n)
		if m, err := d.r.ReadAt(buf, 0); int64(m) < n {
			return fmt.Errorf("pdf: reading header: %w", err)
		}
	}
	i := bytes.Index(buf, []byte("%PDF-"))
	if i < 0 {
		return formatErr(NotPDF, -1, "no %%PDF- header in the first %d bytes", n)
	}
	v := buf[i+5:]
	j := 0
	for j < len(v) && j < 8 && (v[j] == '.' || (v[j] >= '0' && v[j] <= '9')) {
		j++
	}
	d.Version = string(v[:j])
	if i > 0 {
		d.warnf("%d bytes before the %%PDF- header", i)
	}
	return nil
}

// scan reads the whole file once, in large windows, and notes where %%EOF
// and /ByteRange occur, then finds the last startxref from the end.
func (d *Document) scan() error {
	pats := [][]byte{[]byte("%%EOF"), []byte("/ByteRange")}
	const overlap = 16 // longer than every pattern
	var buf []byte     // none for a file in memory: readWindow returns it whole
	if _, ok := d.r.(*wholeFile); !ok {
		bp := getBigBuffer()
		defer putBigBuffer(bp)
		buf = *bp
	}
	var seenUpTo int64
	var last []byte // the last window read, which holds the end of the file
	lastOff := int64(0)
	for off := int64(0); off < d.Size; {
		chunk, err := d.readWindow(buf, off, d.Size)
		if err != nil {
			return err
		}
		last, lastOff = chunk, off
		n := int64(len(chunk))
		for pi, pat := range pats {
			for i := 0; ; {
				j := bytes.Index(chunk[i:], pat)
				if j < 0 {
					break
				}
				p := off + int64(i+j)
				i += j + 1
				if p < seenUpTo {
					continue
				}
				switch pi {
				case 0:
					if len(d.eofs) < maxEOFMarks {
						d.eofs = append(d.eofs, p)
					}
				case 1:
					if len(d.brHits) < maxHits {
						d.brHits = append(d.brHits, p)
					}
				}
			}
		}
		if off+n >= d.Size {
			break
		}
		seenUpTo = off + n - overlap
		off = seenUpTo
	}
	if len(d.eofs) == maxEOFMarks {
		d.warnf("more than %d %%%%EOF markers; later ones ignored", maxEOFMarks)
	}
	// The last startxref is what a reader follows; it is nearly always in
	// the last window, so it is looked for backwards from there.
	pat := []byte("startxref")
	for end := d.Size; end > 0; {
		start, chunk := lastOff, last
		if end != d.Size {
			start = max(end-int64(len(buf)), 0)
			var err error
			if chunk, err = d.readWindow(buf, start, end); err != nil {
				return err
			}
		}
		if i := bytes.LastIndex(chunk, pat); i >= 0 {
			d.startxref = start + int64(i)
			break
		}
		if start == 0 {
			break
		}
		end = start + int64(len(pat)) - 1
	}
	return nil
}

// readWindow reads [off, min(limit, off+len(buf))) into buf. A file held in
// memory is not copied: its bytes [off, limit) are returned.
func (d *Document) readWindow(buf []byte, off, limit int64) ([]byte, error) {
	if w, ok := d.r.(*wholeFile); ok {
		return w.data[off:limit], nil
	}
	n := min(int64(len(buf)), limit-off)
	m, err := d.r.ReadAt(buf[:n], off)
	if int64(m) < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("pdf: reading at byte %d: %w", off, err)
	}
	return buf[:n], nil
}

// bigBuffers recycles the buffers of passes over large parts of the file
// (the scan, the ByteRange gap, trailing bytes): allocating and clearing a
// fresh one per call would cost more than the reading itself.
var bigBuffers = sync.Pool{New: func() any { b := make([]byte, bigBufferSize); return &b }}

const bigBufferSize = 256 << 10

func getBigBuffer() *[]byte  { return bigBuffers.Get().(*[]byte) }
func putBigBuffer(b *[]byte) { bigBuffers.Put(b) }

// wholeFileMax is the largest file Open reads at once; a variable so that
// tests can make every file be read in windows.
var wholeFileMax int64 = bigBufferSize

// wholeFile is a small file read at once (see Open). Lexers parse its bytes
// in place; other readers get copies, as from the file.
type wholeFile struct{ data []byte }

func (w *wholeFile) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("pdf: negative offset")
	}
	if off >= int64(len(w.data)) {
		return 0, io.EOF
	}
	n := copy(b, w.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (d *Document) readStartxref(at int64) (int64, error) {
	lx := newFileLexer(d.r, d.Size, at)
	defer lx.release()
	t, err := lx.next()
	if err != nil || !t.is("startxref") {
		return 0, formatErr(NoXref, at, "unreadable startxref")
	}
	t, err = lx.next()
	if err != nil || t.kind != tokInt || t.i < 0 || t.i >= d.Size {
		return 0, formatErr(NoXref, at, "startxref is not followed by an offset inside the file")
	}
	return t.i, nil
}

// lookup finds the entry for num as seen from revision view (-1: last).
func (d *Document) lookup(num, view int) (xrefEntry, int, bool) {
	if view < 0 || view >= len(d.Revisions) {
		view = len(d.Revisions) - 1
	}
	for rv := view; rv >= 0; rv-- {
		for _, s := range d.Revisions[rv].sections {
			if e, ok := s.find(num); ok {
				return e, rv, true
			}
		}
	}
	return xrefEntry{}, -1, false
}

// definedIn returns the revision whose entry for num is current in view.
func (d *Document) definedIn(num, view int) int {
	_, rv, ok := d.lookup(num, view)
	if !ok {
		return -1
	}
	return rv
}

// resolve returns the object r names in revision view (nil when free or
// missing, as PDF says) and where that version is written.
func (d *Document) resolve(r ref, view int) (object, loc, error) {
	return d.resolveDepth(r, view, 0)
}

func (d *Document) resolveDepth(r ref, view, depth int) (object, loc, error) {
	for hops := 0; hops < 32; hops++ {
		e, _, ok := d.lookup(r.num, view)
		if !ok || e.typ == 0 {
			return nil, loc{off: -1, idx: -1}, nil
		}
		var (
			v   object
			l   loc
			err error
		)
		switch e.typ {
		case 1:
			if int(e.gen) != r.gen {
				return nil, loc{off: -1, idx: -1}, nil
			}
			l = loc{off: e.off, idx: -1}
			v, err = d.objectAt(l, r.num, view, depth)
		case 2:
			if r.gen != 0 {
				return nil, loc{off: -1, idx: -1}, nil
			}
			v, l, err = d.objectInStream(int(e.off), int(e.idx), r.num, view)
		}
		if err != nil {
			return nil, l, err
		}
		next, isRef := v.(ref)
		if !isRef {
			return v, l, nil
		}
		r = next
	}
	return nil, loc{off: -1, idx: -1}, fmt.Errorf("reference chain too long")
}

// objectAt parses (or takes from the cache) the object at l.off.
func (d *Document) objectAt(l loc, num, view, depth int) (object, error) {
	po, err := d.parsedAt(l.off, view, depth)
	if err != nil {
		return nil, err
	}
	if po.hdr.num != num {
		return nil, synErr(l.off, "cross-reference entry for object %d points at object %d", num, po.hdr.num)
	}
	return po.val, nil
}

// parsedAt parses (or takes from the cache) the indirect object written at
// off, keeping where it starts and ends: each object, and in particular a
// signature dictionary with its large /Contents string, is decoded once.
func (d *Document) parsedAt(off int64, view, depth int) (*parsedObject, error) {
	l := loc{off: off, idx: -1}
	switch v := d.objs[l].(type) {
	case cachedErr:
		return nil, v.err
	case *parsedObject:
		return v, nil
	}
	po, err := d.parseIndirect(off, view, depth)
	if err != nil {
		if !isFatal(err) {
			d.cache(l, cachedErr{err}, 64)
		}
		return nil, err
	}
	d.cache(l, po, po.end-po.start)
	return po, nil
}

// cachedErr remembers that an object is unreadable, so hostile files cannot
// make the same broken object be parsed over and over.
type cachedErr struct{ err error }

// isFatal: running out of work is not a property of the object, so it is
// not remembered.
func isFatal(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}

// cache keeps parsed objects (a *parsedObject for objects written in the
// file, the value for objects in object streams), about 8 MiB of them at most.
func (d *Document) cache(l loc, v object, size int64) {
	if len(d.objs) > 16384 || d.cacheBytes > 8<<20 {
		d.objs, d.cacheBytes = map[loc]object{}, 0
	}
	d.objs[l] = v
	d.cacheBytes += size
}

// objStm is a decoded object stream.
type objStm struct {
	err   error // the stream is unreadable
	data  []byte
	nums  []int
	offs  []int64
	first int64
}

func (d *Document) objectInStream(stmNum, idx, num, view int) (object, loc, error) {
	e, _, ok := d.lookup(stmNum, view)
	if !ok || e.typ != 1 {
		return nil, loc{off: -1, idx: -1}, fmt.Errorf("object stream %d not found", stmNum)
	}
	l := loc{off: e.off, idx: idx}
	if v, cached := d.objs[l]; cached {
		if e, bad := v.(cachedErr); bad {
			return nil, l, e.err
		}
		return v, l, nil
	}
	os, err := d.objStream(stmNum, e.off, view)
	if err != nil {
		return nil, l, err
	}
	if idx >= len(os.nums) {
		return nil, l, fmt.Errorf("object stream %d has no object at index %d", stmNum, idx)
	}
	if os.nums[idx] != num {
		return nil, l, fmt.Errorf("object stream %d holds object %d at index %d, not %d", stmNum, os.nums[idx], idx, num)
	}
	v, err := os.value(idx)
	if err != nil {
		d.cache(l, cachedErr{err}, 64)
		return nil, l, err
	}
	d.cache(l, v, 256)
	return v, l, nil
}

func (os *objStm) value(idx int) (object, error) {
	start := os.first + os.offs[idx]
	if start < 0 || start > int64(len(os.data)) {
		return nil, fmt.Errorf("object offset outside its object stream")
	}
	lx := newMemLexer(os.data)
	lx.pos = start
	p := &parser{lx: lx}
	return p.value(0)
}

func (d *Document) objStream(num int, off int64, view int) (*objStm, error) {
	if os, ok := d.objStms[off]; ok {
		if os.err != nil {
			return nil, os.err
		}
		return os, nil
	}
	os, err := d.readObjStream(num, off, view)
	if err != nil {
		if !isFatal(err) {
			d.objStms[off] = &objStm{err: err}
		}
		return nil, err
	}
	if d.stmSize+len(os.data) > 2*maxObjStmLen {
		d.objStms, d.stmSize = map[int64]*objStm{}, 0
	}
	d.objStms[off] = os
	d.stmSize += len(os.data)
	return os, nil
}

func (d *Document) readObjStream(num int, off int64, view int) (*objStm, error) {
	po, err := d.parseIndirect(off, view, 0)
	if err != nil {
		return nil, err
	}
	st, ok := po.val.(*stream)
	if !ok || po.hdr.num != num {
		return nil, synErr(off, "object %d is not an object stream", num)
	}
	n, _ := st.dict["N"].(int64)
	first, _ := st.dict["First"].(int64)
	data, err := d.streamData(st, view, maxObjStmLen)
	if err != nil {
		if isFatal(err) {
			return nil, err
		}
		return nil, synErr(off, "object stream %d: %v", num, err)
	}
	if n < 0 || n > int64(len(data))/2+1 || first < 0 || first > int64(len(data)) {
		return nil, synErr(off, "object stream %d: bad /N or /First", num)
	}
	os := &objStm{data: data, first: first}
	lx := newMemLexer(data[:first])
	for i := int64(0); i < n; i++ {
		t1, err1 := lx.next()
		t2, err2 := lx.next()
		if err1 != nil || err2 != nil || t1.kind != tokInt || t2.kind != tokInt || t1.i < 0 || t1.i > maxObjNum || t2.i < 0 {
			return nil, synErr(off, "object stream %d: bad header", num)
		}
		os.nums = append(os.nums, int(t1.i))
		os.offs = append(os.offs, t2.i)
	}
	return os, nil
}

// deref resolves references, returning nil for anything unreadable.
func (d *Document) deref(v object, view int) object {
	if r, ok := v.(ref); ok {
		o, _, err := d.resolve(r, view)
		if err != nil {
			return nil
		}
		return o
	}
	return v
}

// dictOf resolves v and returns it as a dictionary (a stream's dictionary
// counts).
func (d *Document) dictOf(v object, view int) dict {
	switch x := d.deref(v, view).(type) {
	case dict:
		return x
	case *stream:
		return x.dict
	}
	return nil
}

func (d *Document) arrayOf(v object, view int) array {
	a, _ := d.deref(v, view).(array)
	return a
}

func (d *Document) nameOf(v object, view int) name {
	n, _ := d.deref(v, view).(name)
	return n
}

func (d *Document) intOf(v object, view int) (int64, bool) {
	n, ok := d.deref(v, view).(int64)
	return n, ok
}

func (d *Document) numberOf(v object, view int) (float64, bool) {
	switch x := d.deref(v, view).(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func (d *Document) stringOf(v object, view int) (pdfString, bool) {
	s, ok := d.deref(v, view).(pdfString)
	return s, ok
}

func sortNames(ns []name) { sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] }) }

// trailer of revision view.
func (d *Document) trailer(view int) dict {
	if view < 0 || view >= len(d.Revisions) {
		view = len(d.Revisions) - 1
	}
	return d.Revisions[view].trailer
}

// RevisionAt returns the index of the revision whose bytes contain the
// file offset off, or -1.
func (d *Document) RevisionAt(off int64) int {
	for i, r := range d.Revisions {
		if off >= r.Start && off < r.End {
			return i
		}
	}
	return -1
}

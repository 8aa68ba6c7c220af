package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"
)

// Finding text on a page, to place a seal over it (the issuing authority's name, the date), as
// Chinese practice does. The page's content is interpreted as far as showing text goes: the
// graphics state's matrix, the text state (font, size, spacing, scaling, leading), and the
// text-showing operators; each character's box is the font's advance wide and from 0.2 below
// the baseline to 0.8 above, in units of the font size. Characters are read through the
// font's ToUnicode map, else as Latin-1.

// Limits of the interpretation, on hostile content.
const (
	maxTextOps   = 1 << 20 // operators interpreted per page
	maxTextRunes = 1 << 20 // characters collected per page
)

// ErrTextNotFound: the text is not on the page.
var ErrTextNotFound = errors.New("pdf: text not found on the page")

// FindText returns the box (x1, y1, x2, y2 in default user space) of the first occurrence of
// text on page n (1-based), read in content order.
func (d *Document) FindText(n int, text string) ([4]float64, error) {
	refs := d.pageRefs()
	if n < 1 || n > len(refs) {
		return [4]float64{}, updateErr(UpdatePageOutOfRange, "page %d requested, the document has %d page(s)", n, len(refs))
	}
	view := d.lastView()
	pd := d.dictOf(refs[n-1], view)
	var res dict
	for cur, i := pd, 0; cur != nil && i < 64; cur, i = d.dictOf(cur["Parent"], view), i+1 {
		if r := d.dictOf(cur["Resources"], view); r != nil {
			res = r
			break
		}
	}
	content, err := d.pageContent(pd, view)
	if err != nil {
		return [4]float64{}, err
	}
	ti := &textInterp{d: d, view: view, fonts: d.dictOf(res["Font"], view), cache: map[name]*textFont{}}
	if err := ti.run(content); err != nil {
		return [4]float64{}, err
	}
	want := []rune(text)
	if len(want) == 0 {
		return [4]float64{}, ErrTextNotFound
	}
	for i := 0; i+len(want) <= len(ti.runes); i++ {
		match := true
		for j, r := range want {
			if ti.runes[i+j] != r {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		box := ti.boxes[i]
		for _, b := range ti.boxes[i+1 : i+len(want)] {
			box = [4]float64{min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3])}
		}
		return box, nil
	}
	return [4]float64{}, ErrTextNotFound
}

// pageContent is the page's content: its stream, or its streams one after the other.
func (d *Document) pageContent(pd dict, view int) ([]byte, error) {
	var streams []*stream
	switch c := d.deref(pd["Contents"], view).(type) {
	case *stream:
		streams = append(streams, c)
	case array:
		for _, v := range c {
			if s, ok := d.deref(v, view).(*stream); ok {
				streams = append(streams, s)
			}
		}
	}
	var out bytes.Buffer
	for _, s := range streams {
		data, err := d.streamData(s, view, maxDecoded-int64(out.Len()))
		if err != nil {
			return nil, fmt.Errorf("pdf: the page's content cannot be read: %w", err)
		}
		out.Write(data)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul is m × n (m applied first).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// textFont is what showing text needs of a font: how its codes read as characters, and how wide
// they are.
type textFont struct {
	twoByte bool
	toUni   map[uint32][]rune
	widths  map[uint32]float64 // in thousandths of the font size
	dw      float64
}

func (f *textFont) width(code uint32) float64 {
	if w, ok := f.widths[code]; ok {
		return w
	}
	return f.dw
}

type graphicsState struct {
	ctm                  matrix
	font                 *textFont
	size, tc, tw, th, tl float64
}

type textInterp struct {
	d     *Document
	view  int
	fonts dict
	cache map[name]*textFont
	runes []rune
	boxes [][4]float64
}

func (ti *textInterp) font(n name) *textFont {
	if f, ok := ti.cache[n]; ok {
		return f
	}
	fd := ti.d.dictOf(ti.fonts[n], ti.view)
	f := &textFont{toUni: map[uint32][]rune{}, widths: map[uint32]float64{}, dw: 500}
	if fd != nil {
		if st, _ := ti.d.deref(fd["Subtype"], ti.view).(name); st == "Type0" {
			f.twoByte, f.dw = true, 1000
			if desc, ok := ti.d.deref(fd["DescendantFonts"], ti.view).(array); ok && len(desc) > 0 {
				cf := ti.d.dictOf(desc[0], ti.view)
				if v, ok := ti.d.numberOf(cf["DW"], ti.view); ok {
					f.dw = v
				}
				ti.cidWidths(f, ti.d.deref(cf["W"], ti.view))
			}
		} else if ws, ok := ti.d.deref(fd["Widths"], ti.view).(array); ok {
			first, _ := ti.d.numberOf(fd["FirstChar"], ti.view)
			for i, w := range ws {
				if v, ok := ti.d.numberOf(w, ti.view); ok {
					f.widths[uint32(int(first)+i)] = v
				}
			}
		}
		if s, ok := ti.d.deref(fd["ToUnicode"], ti.view).(*stream); ok {
			if data, err := ti.d.streamData(s, ti.view, maxDecoded); err == nil {
				parseToUnicode(data, f.toUni)
			}
		}
	}
	ti.cache[n] = f
	return f
}

// cidWidths reads a CIDFont's /W: c [w1 w2 ...] and c1 c2 w entries.
func (ti *textInterp) cidWidths(f *textFont, w object) {
	a, _ := w.(array)
	for i := 0; i < len(a) && len(f.widths) < maxTextRunes; {
		c1, ok := ti.d.numberOf(a[i], ti.view)
		if !ok || i+1 >= len(a) {
			return
		}
		if list, ok := ti.d.deref(a[i+1], ti.view).(array); ok {
			for j, v := range list {
				if wv, ok := ti.d.numberOf(v, ti.view); ok {
					f.widths[uint32(int(c1)+j)] = wv
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(a) {
			return
		}
		c2, ok2 := ti.d.numberOf(a[i+1], ti.view)
		wv, ok3 := ti.d.numberOf(a[i+2], ti.view)
		if !ok2 || !ok3 || c2 < c1 || c2-c1 > maxTextRunes {
			return
		}
		for c := int(c1); c <= int(c2); c++ {
			f.widths[uint32(c)] = wv
		}
		i += 3
	}
}

// parseToUnicode reads a ToUnicode CMap's bfchar and bfrange entries.
func parseToUnicode(data []byte, out map[uint32][]rune) {
	lx := newMemLexer(data)
	code := func(t token) (uint32, bool) {
		if t.kind != tokString || len(t.s) == 0 || len(t.s) > 4 {
			return 0, false
		}
		var c uint32
		for _, b := range t.s {
			c = c<<8 | uint32(b)
		}
		return c, true
	}
	utf16be := func(b []byte) []rune {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return utf16.Decode(u)
	}
	var toks []token
	for n := 0; n < 1<<20; n++ {
		t, err := lx.next()
		if err != nil || t.kind == tokEOF {
			return
		}
		if t.kind == tokString || t.kind == tokName {
			t.s = bytes.Clone(t.s)
		}
		switch {
		case t.is("endbfchar"):
			for i := 0; i+1 < len(toks); i += 2 {
				if c, ok := code(toks[i]); ok && toks[i+1].kind == tokString {
					out[c] = utf16be(toks[i+1].s)
				}
			}
			toks = toks[:0]
		case t.is("endbfrange"):
			for i := 0; i+2 < len(toks); i += 3 {
				lo, ok1 := code(toks[i])
				hi, ok2 := code(toks[i+1])
				if !ok1 || !ok2 || hi < lo || hi-lo > 0xFFFF || toks[i+2].kind != tokString || len(toks[i+2].s) < 2 {
					continue
				}
				base := utf16be(toks[i+2].s)
				for c := lo; c <= hi; c++ {
					r := append([]rune(nil), base...)
					r[len(r)-1] += rune(c - lo)
					out[c] = r
				}
			}
			toks = toks[:0]
		case t.is("beginbfchar"), t.is("beginbfrange"):
			toks = toks[:0]
		case t.kind == tokArrOpen || t.kind == tokArrClose:
			// bfrange destinations given as arrays are rare: skipped.
		default:
			toks = append(toks, t)
		}
	}
}

// run interprets the content's text operators, collecting each character and its box.
func (ti *textInterp) run(content []byte) error {
	lx := newMemLexer(content)
	p := &parser{lx: lx}
	gs := graphicsState{ctm: identity, th: 1}
	var stack []graphicsState
	var tm, tlm matrix
	var operands []object
	num := func(i int) float64 {
		if i < 0 || i >= len(operands) {
			return 0
		}
		switch v := operands[i].(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		}
		return 0
	}
	show := func(s []byte) {
		f := gs.font
		if f == nil {
			f = &textFont{dw: 500}
		}
		step := 1
		if f.twoByte {
			step = 2
		}
		for i := 0; i+step <= len(s) && len(ti.runes) < maxTextRunes; i += step {
			var c uint32
			for _, b := range s[i : i+step] {
				c = c<<8 | uint32(b)
			}
			w0 := f.width(c) / 1000
			trm := matrix{gs.size * gs.th, 0, 0, gs.size, 0, 0}.mul(tm).mul(gs.ctm)
			box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for _, corner := range [][2]float64{{0, -0.2}, {w0, -0.2}, {0, 0.8}, {w0, 0.8}} {
				x, y := trm.apply(corner[0], corner[1])
				box = [4]float64{min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)}
			}
			runes, ok := f.toUni[c]
			if !ok {
				runes = []rune{rune(c)}
			}
			for _, r := range runes {
				ti.runes = append(ti.runes, r)
				ti.boxes = append(ti.boxes, box)
			}
			tx := (w0*gs.size + gs.tc) * gs.th
			if step == 1 && c == ' ' {
				tx += gs.tw * gs.th
			}
			tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
		}
	}
	nextLine := func(tx, ty float64) {
		tlm = matrix{1, 0, 0, 1, tx, ty}.mul(tlm)
		tm = tlm
	}
	for ops := 0; ops < maxTextOps; {
		t, err := lx.next()
		if err != nil {
			return fmt.Errorf("pdf: the page's content cannot be read: %w", err)
		}
		if t.kind == tokEOF {
			return nil
		}
		if t.kind != tokKeyword {
			p.items = 0 // the limit is per operand, not per page
			v, err := p.valueFrom(t, 0)
			if err != nil {
				return fmt.Errorf("pdf: the page's content cannot be read: %w", err)
			}
			if len(operands) < 64 {
				operands = append(operands, v)
			}
			continue
		}
		ops++
		switch string(t.s) {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, gs)
			}
		case "Q":
			if len(stack) > 0 {
				gs, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "cm":
			gs.ctm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}.mul(gs.ctm)
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if len(operands) >= 2 {
				if n, ok := operands[0].(name); ok {
					gs.font = ti.font(n)
				}
				gs.size = num(1)
			}
		case "Tc":
			gs.tc = num(0)
		case "Tw":
			gs.tw = num(0)
		case "Tz":
			gs.th = num(0) / 100
		case "TL":
			gs.tl = num(0)
		case "Td":
			nextLine(num(0), num(1))
		case "TD":
			gs.tl = -num(1)
			nextLine(num(0), num(1))
		case "Tm":
			tlm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}
			tm = tlm
		case "T*":
			nextLine(0, -gs.tl)
		case "Tj":
			if s, ok := lastString(operands); ok {
				show(s)
			}
		case "'":
			nextLine(0, -gs.tl)
			if s, ok := lastString(operands); ok {
				show(s)
			}
		case "\"":
			gs.tw, gs.tc = num(0), num(1)
			nextLine(0, -gs.tl)
			if s, ok := lastString(operands); ok {
				show(s)
			}
		case "TJ":
			if len(operands) > 0 {
				if a, ok := operands[len(operands)-1].(array); ok {
					for _, e := range a {
						switch v := e.(type) {
						case pdfString:
							show(v.b)
						case int64, float64:
							n := 0.0
							if i, ok := v.(int64); ok {
								n = float64(i)
							} else {
								n = v.(float64)
							}
							tm = matrix{1, 0, 0, 1, -n / 1000 * gs.size * gs.th, 0}.mul(tm)
						}
					}
				}
			}
		case "BI":
			// An inline image: its data runs from ID to EI, and is no content to tokenize.
			i := bytes.Index(content[lx.pos:], []byte("ID"))
			e := bytes.Index(content[lx.pos:], []byte("EI"))
			if i < 0 || e < 0 {
				return nil
			}
			for e >= 0 {
				at := int(lx.pos) + e
				if at+2 >= len(content) || isSpace(content[at+2]) {
					break
				}
				next := bytes.Index(content[at+2:], []byte("EI"))
				if next < 0 {
					return nil
				}
				e += 2 + next
			}
			lx.pos += int64(e + 2)
		}
		operands = operands[:0]
	}
	return nil
}

func lastString(operands []object) ([]byte, bool) {
	if len(operands) == 0 {
		return nil, false
	}
	s, ok := operands[len(operands)-1].(pdfString)
	return s.b, ok
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

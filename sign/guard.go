package sign

import (
	"bufio"
	"bytes"
	"io"
	"strconv"

	"github.com/digitorus/pdf"
)

// digitorus/pdf trusts the numbers in cross-reference data: an xref section that starts at
// object 90,000,000 in a 2 KB file makes it allocate gigabytes, and a cyclic page tree makes
// it (and pdfsign) loop forever or overflow the stack. These guards read what it is about to
// trust, first.

// eofWindow is how far from the end of the file %%EOF may be. digitorus/pdf looks for it in
// ever larger windows from the end, re-reading and trimming each byte by byte: time grows
// with the square of the distance (minutes for a few megabytes without %%EOF). Acrobat
// allows 1024 bytes of trailing garbage.
const eofWindow = 4096

// readTail reads the last eofWindow bytes of the file (fewer if it is smaller, or if reading
// fails): the checks before opening, and the explanation of a failure to open, all look there.
func readTail(ra io.ReaderAt, size int64) []byte {
	tail := make([]byte, min(size, eofWindow))
	n, _ := ra.ReadAt(tail, size-int64(len(tail)))
	return tail[:n]
}

// checkEOF refuses a file without %%EOF near its end (in tail, from readTail), before
// digitorus/pdf searches it.
func checkEOF(tail []byte, size int64) error {
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return errorf(NotPDF, nil, "no %%%%EOF in the last %d bytes", min(size, eofWindow))
	}
	return nil
}

// maxObjects bounds the object numbers a file of size bytes may use: generous for real files
// (every object costs bytes), small enough that digitorus/pdf's table stays in proportion.
func maxObjects(size int64) int64 { return 100_000 + size/8 }

// checkXrefBounds follows the startxref/Prev chain as digitorus/pdf will, and refuses object
// numbers beyond maxObjects and absurd xref stream field widths. Anything it cannot parse is
// left for digitorus/pdf to report. tail is the end of the file (readTail); startxref is looked
// for in its last 1024 bytes, as digitorus/pdf does.
func checkXrefBounds(ra io.ReaderAt, size int64, tail []byte) error {
	limit := maxObjects(size)
	tail = tail[max(0, len(tail)-1024):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return nil
	}
	lx := newLexer(bytes.NewReader(tail[i+len("startxref"):]))
	off, ok := lx.int()
	seen := map[int64]bool{}
	for hops := 0; ok && off >= 0 && off < size && !seen[off] && hops < 10_000; hops++ {
		seen[off] = true
		lx = newLexer(io.NewSectionReader(ra, off, size-off))
		var d dictSummary
		var err error
		switch tok := lx.next(); {
		case tok == "xref":
			d, err = checkXrefTable(lx, limit)
		case isInt(tok):
			d, err = checkXrefStream(lx, limit)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		off, ok = d.prev, d.hasPrev
	}
	return nil
}

func checkXrefTable(lx *lexer, limit int64) (dictSummary, error) {
	for {
		tok := lx.next()
		if tok == "trailer" {
			if lx.next() != "<<" {
				return dictSummary{}, nil
			}
			return lx.dict(), nil
		}
		start, err1 := strconv.ParseInt(tok, 10, 64)
		count, ok := lx.int()
		if err1 != nil || !ok {
			return dictSummary{}, nil
		}
		if start < 0 || count < 0 || start > limit || count > limit-start {
			return dictSummary{}, errorf(NotPDF, nil, "cross-reference section for objects %d to %d in a file that can hold at most %d", start, start+count, limit)
		}
		for k := int64(0); k < count; k++ {
			if lx.skipXrefEntry() {
				continue
			}
			for range 3 {
				if lx.next() == "" {
					return dictSummary{}, nil
				}
			}
		}
	}
}

// skipXrefEntry skips white space and one cross-reference entry in the standard form (20
// bytes: "nnnnnnnnnn ggggg n" and a two-byte end of line), without making tokens of it: large
// files have hundreds of thousands. It reports false, having skipped at most white space, if
// what follows is not such an entry.
func (l *lexer) skipXrefEntry() bool {
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return false
		}
		if bytes.IndexByte([]byte("\x00\t\n\f\r "), c) < 0 {
			l.r.UnreadByte()
			break
		}
	}
	e, err := l.r.Peek(20)
	if err != nil {
		return false
	}
	for i, c := range e[:18] {
		switch i {
		case 10, 16:
			if c != ' ' {
				return false
			}
		case 17:
			if c != 'n' && c != 'f' {
				return false
			}
		default:
			if !isDigit(c) {
				return false
			}
		}
	}
	if eol := string(e[18:]); eol != " \r" && eol != " \n" && eol != "\r\n" {
		return false
	}
	l.r.Discard(20)
	l.count += 3
	return true
}

func checkXrefStream(lx *lexer, limit int64) (dictSummary, error) {
	if !isInt(lx.next()) || lx.next() != "obj" || lx.next() != "<<" {
		return dictSummary{}, nil
	}
	d := lx.dict()
	if d.size > limit {
		return d, errorf(NotPDF, nil, "cross-reference stream /Size %d in a file that can hold at most %d objects", d.size, limit)
	}
	for k := 0; k+1 < len(d.index); k += 2 {
		if s, c := d.index[k], d.index[k+1]; s < 0 || c < 0 || s > limit || c > limit-s {
			return d, errorf(NotPDF, nil, "cross-reference stream /Index %d %d in a file that can hold at most %d objects", s, c, limit)
		}
	}
	for _, w := range d.w {
		if w < 0 || w > 8 {
			return d, errorf(NotPDF, nil, "cross-reference stream field width %d", w)
		}
	}
	return d, nil
}

// dictSummary is what the guards read from a trailer or xref stream dictionary.
type dictSummary struct {
	size, prev int64
	hasPrev    bool
	index, w   []int64
}

// lexer is a minimal PDF tokenizer: enough to skip values and read integers.
type lexer struct {
	r     *bufio.Reader
	count int
}

func newLexer(r io.Reader) *lexer { return &lexer{r: bufio.NewReaderSize(r, 8192)} }

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func (l *lexer) int() (int64, bool) {
	v, err := strconv.ParseInt(l.next(), 10, 64)
	return v, err == nil
}

const maxTokens = 50_000_000

// next returns the next token; "" at the end of input. Strings come back as "(" or "<".
func (l *lexer) next() string {
	if l.count++; l.count > maxTokens {
		return ""
	}
	c, err := l.r.ReadByte()
	for err == nil {
		switch {
		case c == '%':
			_, err = l.r.ReadBytes('\n')
			if err == nil {
				c, err = l.r.ReadByte()
			}
			continue
		case bytes.IndexByte([]byte("\x00\t\n\f\r "), c) >= 0:
			c, err = l.r.ReadByte()
			continue
		}
		break
	}
	if err != nil {
		return ""
	}
	switch c {
	case '[', ']', '{', '}':
		return string(c)
	case '<':
		if p, _ := l.r.Peek(1); len(p) == 1 && p[0] == '<' {
			l.r.ReadByte()
			return "<<"
		}
		l.r.ReadBytes('>')
		return "<"
	case '>':
		if p, _ := l.r.Peek(1); len(p) == 1 && p[0] == '>' {
			l.r.ReadByte()
			return ">>"
		}
		return ">"
	case '(':
		for depth := 1; depth > 0; {
			b, err := l.r.ReadByte()
			if err != nil {
				return ""
			}
			switch b {
			case '\\':
				l.r.ReadByte()
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		return "("
	}
	tok := []byte{c}
	for len(tok) < 256 {
		b, err := l.r.ReadByte()
		if err != nil {
			break
		}
		if bytes.IndexByte([]byte("\x00\t\n\f\r ()<>[]{}/%"), b) >= 0 {
			l.r.UnreadByte()
			break
		}
		tok = append(tok, b)
	}
	return string(tok)
}

// dict reads a dictionary's entries after its "<<", noting the integers the guards need.
func (l *lexer) dict() dictSummary {
	var d dictSummary
	for {
		key := l.next()
		switch key {
		case ">>", "":
			return d
		case "/Size", "/Prev":
			v, ok := l.int()
			if key == "/Size" && ok {
				d.size = v
			} else if ok {
				d.prev, d.hasPrev = v, true
			}
		case "/Index", "/W":
			if l.next() != "[" {
				continue
			}
			var vals []int64
			for t := l.next(); t != "]" && t != ""; t = l.next() {
				v, err := strconv.ParseInt(t, 10, 64)
				if err != nil {
					v = -1
				}
				vals = append(vals, v)
			}
			if key == "/Index" {
				d.index = vals
			} else {
				d.w = vals
			}
		default:
			l.skipValue()
		}
	}
}

// skipValue skips one value, nested dictionaries and arrays included.
func (l *lexer) skipValue() {
	depth := 0
	for {
		t := l.next()
		switch t {
		case "":
			return
		case "<<", "[":
			depth++
		case ">>", "]":
			depth--
		}
		if depth <= 0 {
			// A reference "1 0 R" is three tokens; the caller reads the next key and will
			// see "0" and "R" as keys to skip, which is harmless.
			return
		}
	}
}

// findPage walks the page tree with cycle detection (digitorus/pdf and pdfsign would loop
// or overflow the stack on a cyclic tree) and returns page n (1-based) and the page count.
func findPage(pages pdf.Value, n int) (page pdf.Value, count int, err error) {
	visited := map[uint32]bool{}
	var walk func(v pdf.Value, depth int) error
	walk = func(v pdf.Value, depth int) error {
		if depth > 256 {
			return errorf(NotPDF, nil, "page tree deeper than 256 levels")
		}
		id := ptrID(v)
		if visited[id] {
			// Also what a direct (not indirect) page node looks like through digitorus/pdf:
			// it carries its parent's object number.
			return errorf(NotPDF, nil, "page tree has a cycle, a shared node or a direct page node (object %d)", id)
		}
		visited[id] = true
		switch v.Key("Type").Name() {
		case "Pages":
			kids := v.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
		case "Page":
			count++
			if count == n {
				page = v
			}
		default:
			return errorf(NotPDF, nil, "page tree node %d is neither /Pages nor /Page", id)
		}
		return nil
	}
	err = walk(pages, 0)
	return page, count, err
}

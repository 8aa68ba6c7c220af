package pdf

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"sync"
)

// Limits that keep hostile input bounded in memory and time.
const (
	windowSize     = 16 << 10 // bytes read at a time from the file
	maxStringLen   = 16 << 20 // largest decoded string accepted
	maxWordLen     = 255      // numbers and keywords
	maxNameLen     = 4096
	maxNesting     = 100     // arrays and dictionaries inside each other
	maxObjectItems = 1 << 20 // values in one object
)

// lexer reads PDF tokens from the file (through a small window) or from a
// decompressed object stream held in memory. Positions are absolute offsets.
type lexer struct {
	r      io.ReaderAt // nil when reading from memory
	size   int64
	buf    []byte
	bufOff int64
	pos    int64
	inFile bool  // positions are file offsets
	err    error // sticky read error
	// nameBuf holds the bytes of the last name token, reused from name to name: the
	// parser turns a name into a string before it asks for the next token.
	nameBuf []byte
	window  *[]byte // the pooled window buf came from, for release
}

func newFileLexer(r io.ReaderAt, size, pos int64) *lexer {
	return &lexer{r: r, size: size, pos: pos, inFile: true}
}

// windows recycles the read windows of file lexers: objects are parsed one
// at a time, and a fresh window per object would be most of the garbage.
var windows = sync.Pool{New: func() any { b := make([]byte, windowSize); return &b }}

// release returns the lexer's window; the lexer must not be used after.
func (l *lexer) release() {
	if l.window != nil {
		windows.Put(l.window)
		l.window = nil
	}
	l.buf = nil
}

func newMemLexer(data []byte) *lexer {
	return &lexer{size: int64(len(data)), buf: data}
}

// at returns the byte at p, reading a new window when needed.
func (l *lexer) at(p int64) (byte, bool) {
	if p < 0 || p >= l.size {
		return 0, false
	}
	if p >= l.bufOff && p < l.bufOff+int64(len(l.buf)) {
		return l.buf[p-l.bufOff], true
	}
	if l.r == nil || l.err != nil {
		return 0, false
	}
	if l.window == nil {
		l.window = windows.Get().(*[]byte)
		l.buf = *l.window
	}
	n := int64(cap(l.buf))
	if rem := l.size - p; rem < n {
		n = rem
	}
	buf := l.buf[:n]
	m, err := l.r.ReadAt(buf, p)
	if int64(m) < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		l.err = err
	}
	if m == 0 {
		l.buf = l.buf[:0]
		return 0, false
	}
	l.buf, l.bufOff = buf[:m], p
	return l.buf[0], true
}

func isWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokInt
	tokReal
	tokName
	tokString // literal or hex; token.hex tells which
	tokDictOpen
	tokDictClose
	tokArrOpen
	tokArrClose
	tokKeyword
)

type token struct {
	kind       tokKind
	i          int64
	f          float64
	s          []byte // name (decoded), string (decoded), keyword
	hex        bool
	start, end int64
}

func (t token) is(kw string) bool { return t.kind == tokKeyword && string(t.s) == kw }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for {
		c, ok := l.at(l.pos)
		if !ok {
			return
		}
		if isWhite(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for {
				l.pos++
				c, ok = l.at(l.pos)
				if !ok || c == '\n' || c == '\r' {
					break
				}
			}
			continue
		}
		return
	}
}

func (l *lexer) next() (token, error) {
	l.skipSpace()
	start := l.pos
	c, ok := l.at(start)
	if !ok {
		if l.err != nil {
			return token{}, l.err
		}
		return token{kind: tokEOF, start: start, end: start}, nil
	}
	t := token{start: start}
	switch {
	case c == '/':
		return l.name(start)
	case c == '(':
		return l.literal(start)
	case c == '<':
		if c2, _ := l.at(start + 1); c2 == '<' {
			l.pos = start + 2
			t.kind = tokDictOpen
		} else {
			return l.hexString(start)
		}
	case c == '>':
		if c2, _ := l.at(start + 1); c2 == '>' {
			l.pos = start + 2
			t.kind = tokDictClose
		} else {
			return t, synErr(start, "unexpected '>'")
		}
	case c == '[':
		l.pos++
		t.kind = tokArrOpen
	case c == ']':
		l.pos++
		t.kind = tokArrClose
	case c == ')' || c == '{' || c == '}':
		return t, synErr(start, "unexpected %q", c)
	default:
		return l.word(start)
	}
	t.end = l.pos
	return t, nil
}

// word reads a number or a keyword.
func (l *lexer) word(start int64) (token, error) {
	var b [maxWordLen + 1]byte
	n := 0
	p := start
	for {
		c, ok := l.at(p)
		if !ok || !isRegular(c) {
			break
		}
		if n == len(b) {
			return token{}, synErr(start, "token longer than %d bytes", maxWordLen)
		}
		b[n] = c
		n++
		p++
	}
	l.pos = p
	w := b[:n]
	t := token{start: start, end: p}
	if isNumber(w) {
		if i, err := strconv.ParseInt(string(w), 10, 64); err == nil {
			t.kind, t.i = tokInt, i
			return t, nil
		}
		f, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			// PDF reals have no exponent; an out-of-range integer is still a number.
			f = 0
		}
		t.kind, t.f = tokReal, f
		return t, nil
	}
	t.kind = tokKeyword
	t.s = append([]byte(nil), w...)
	return t, nil
}

// isNumber: optional sign, digits, at most one '.', at least one digit.
func isNumber(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	i := 0
	if w[0] == '+' || w[0] == '-' {
		i = 1
	}
	digits, dots := 0, 0
	for ; i < len(w); i++ {
		switch {
		case w[i] >= '0' && w[i] <= '9':
			digits++
		case w[i] == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func unhex(c byte) (byte, bool) {
	v := hexTable[c]
	return v, v < 16
}

// hexTable classifies every byte for hex strings: its digit value (0-15),
// hexWhite, hexEnd ('>') or hexBad. One table lookup per byte keeps the
// decoding of large /Contents strings cheap.
var hexTable = func() (t [256]byte) {
	for i := range t {
		t[i] = hexBad
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	for _, c := range []byte{0, '\t', '\n', '\f', '\r', ' '} {
		t[c] = hexWhite
	}
	t['>'] = hexEnd
	return t
}()

const (
	hexWhite = 0xfd
	hexEnd   = 0xfe
	hexBad   = 0xff
)

// name reads a name token. Its bytes are valid only until the next token is read.
func (l *lexer) name(start int64) (token, error) {
	b := l.nameBuf[:0]
	p := start + 1
	for {
		c, ok := l.at(p)
		if !ok || !isRegular(c) {
			break
		}
		p++
		if c == '#' {
			h1, ok1 := l.at(p)
			h2, ok2 := l.at(p + 1)
			v1, g1 := unhex(h1)
			v2, g2 := unhex(h2)
			if ok1 && ok2 && g1 && g2 {
				c = v1<<4 | v2
				p += 2
			}
		}
		if len(b) == maxNameLen {
			return token{}, synErr(start, "name longer than %d bytes", maxNameLen)
		}
		b = append(b, c)
	}
	l.pos = p
	l.nameBuf = b
	return token{kind: tokName, s: b, start: start, end: p}, nil
}

func (l *lexer) literal(start int64) (token, error) {
	var b []byte
	depth := 1
	p := start + 1
	for {
		c, ok := l.at(p)
		if !ok {
			if l.err != nil {
				return token{}, l.err
			}
			return token{}, synErr(start, "unterminated string")
		}
		p++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos = p
				return token{kind: tokString, s: b, start: start, end: p}, nil
			}
		case '\r':
			// An end of line inside a string is read as a single '\n'.
			if c2, _ := l.at(p); c2 == '\n' {
				p++
			}
			c = '\n'
		case '\\':
			e, ok := l.at(p)
			if !ok {
				return token{}, synErr(start, "unterminated string")
			}
			p++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if c2, _ := l.at(p); c2 == '\n' {
					p++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2; k++ {
						d, ok := l.at(p)
						if !ok || d < '0' || d > '7' {
							break
						}
						v = v*8 + int(d-'0')
						p++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and unknown escapes: the character itself
				}
			}
		}
		if len(b) >= maxStringLen {
			return token{}, synErr(start, "string longer than %d bytes", maxStringLen)
		}
		b = append(b, c)
	}
}

// hexString decodes <...> a window at a time, straight from the read buffer:
// pairs of digits at a time, one byte at a time around white space.
func (l *lexer) hexString(start int64) (token, error) {
	var b []byte
	// A string longer than the window (a signature value) is decoded into a
	// recycled buffer, then copied once at its exact size.
	var scratch *[]byte
	defer func() {
		if scratch != nil {
			*scratch = b[:0]
			hexScratch.Put(scratch)
		}
	}()
	p := start + 1
	var hi byte
	half := false
	for {
		if _, ok := l.at(p); !ok {
			if l.err != nil {
				return token{}, l.err
			}
			return token{}, synErr(start, "unterminated hex string")
		}
		win := l.buf[p-l.bufOff:]
		if b == nil && scratch == nil {
			// Size the result once when the string ends in this window.
			if j := bytes.IndexByte(win, '>'); j >= 0 {
				b = make([]byte, 0, j/2+1)
			} else {
				scratch = hexScratch.Get().(*[]byte)
				b = (*scratch)[:0]
			}
		}
		for i := 0; i < len(win); {
			if !half {
				n := decodeHexPairs(&b, win[i:])
				i += 2 * n
				if len(b) > maxStringLen {
					return token{}, synErr(start, "string longer than %d bytes", maxStringLen)
				}
				if i == len(win) {
					break
				}
			}
			c := win[i]
			v := hexTable[c]
			i++
			if v < 16 {
				if !half {
					hi, half = v, true
					continue
				}
				if len(b) >= maxStringLen {
					return token{}, synErr(start, "string longer than %d bytes", maxStringLen)
				}
				b = append(b, hi<<4|v)
				half = false
				continue
			}
			switch v {
			case hexWhite:
			case hexEnd:
				if half {
					b = append(b, hi<<4)
				}
				l.pos = p + int64(i)
				s := b
				if scratch != nil {
					s = bytes.Clone(b)
				}
				return token{kind: tokString, s: s, hex: true, start: start, end: l.pos}, nil
			default:
				return token{}, synErr(p+int64(i-1), "invalid character %q in hex string", c)
			}
		}
		p += int64(len(win))
	}
}

var hexScratch = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// decodeHexPairs appends to *dst the bytes of the leading pairs of hex
// digits of src and returns how many pairs it decoded.
func decodeHexPairs(dst *[]byte, src []byte) int {
	b := *dst
	if free := cap(b) - len(b); free < len(src)/2 {
		b = append(b, make([]byte, len(src)/2)...)[:len(b)]
	}
	out := b[len(b) : len(b)+len(src)/2]
	n := 0
	// Eight digits at a time, as the bytes of a word: a signature value is tens of kilobytes
	// of uninterrupted digits, so this loop carries most of the decoding. A word holding
	// anything but digits is left to the byte loop below.
	for ; n+4 <= len(out); n += 4 {
		// For bytes below 0x80, adding 0x80-lo sets a byte's high bit exactly when it is
		// >= lo, and never carries into the next byte.
		const ones, high = 0x0101010101010101, 0x8080808080808080
		x := binary.LittleEndian.Uint64(src[2*n:])
		digit := (x + (0x80-'0')*ones) &^ (x + (0x80-'9'-1)*ones)
		upper := (x + (0x80-'A')*ones) &^ (x + (0x80-'F'-1)*ones)
		lower := (x + (0x80-'a')*ones) &^ (x + (0x80-'f'-1)*ones)
		if (digit|upper|lower)&high != high || x&high != 0 {
			break
		}
		// '0'-'9' end in 0-9, 'A'-'F' and 'a'-'f' in 1-6.
		v := x&(0x0f*ones) + ((upper|lower)&high)>>7*9
		const even = 0x00ff00ff00ff00ff
		v = (v&even)<<4 | (v>>8)&even
		o := out[n : n+4]
		o[0], o[1], o[2], o[3] = byte(v), byte(v>>16), byte(v>>32), byte(v>>48)
	}
	for ; n < len(out); n++ {
		x, y := hexTable[src[2*n]], hexTable[src[2*n+1]]
		if x|y >= 16 {
			break
		}
		out[n] = x<<4 | y
	}
	*dst = b[:len(b)+n]
	return n
}

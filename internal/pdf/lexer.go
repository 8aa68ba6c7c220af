package pdf

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"sync"
)

// Limits on signature values: memory for them stays bounded whatever the document.
const (
	// MaxContents is the largest /Contents kept for one signature (decoded bytes).
	MaxContents = 16 << 20
	// MaxContentsTotal is the most /Contents kept for all the signatures of a document.
	MaxContentsTotal = 64 << 20
)

// Limits that keep hostile input bounded in memory and time.
const (
	windowSize     = 16 << 10    // bytes read at a time from the file
	maxStringLen   = MaxContents // longer strings are skipped, not kept (token.long)
	maxWordLen     = 255         // numbers and keywords
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
	if w, ok := r.(*wholeFile); ok {
		// The whole file is the window: no reads, no copies.
		return &lexer{r: r, size: size, pos: pos, inFile: true, buf: w.data}
	}
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
	// The window never reaches outside [0, size): a byte in it is valid.
	// This much is inlined, so that the lexer's loops over bytes make no call.
	if i := uint64(p - l.bufOff); i < uint64(len(l.buf)) {
		return l.buf[i], true
	}
	return l.fill(p)
}

// fill reads the window that starts at p and returns its first byte.
func (l *lexer) fill(p int64) (byte, bool) {
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

// rest returns the window from p on, reading it if needed; it is empty at
// the end of the data or after a read error.
func (l *lexer) rest(p int64) []byte {
	if _, ok := l.at(p); !ok {
		return nil
	}
	return l.buf[p-l.bufOff:]
}

func isWhite(c byte) bool { return charClass[c] == classWhite }

func isRegular(c byte) bool { return charClass[c] == classRegular }

// charClass sorts the bytes as PDF's syntax does: white space, delimiters
// and regular characters. One lookup per byte keeps the lexer's loops cheap.
var charClass = func() (t [256]uint8) {
	for _, c := range []byte{0, '\t', '\n', '\f', '\r', ' '} {
		t[c] = classWhite
	}
	for _, c := range []byte("()<>[]{}/%") {
		t[c] = classDelim
	}
	return t
}()

const (
	classRegular = iota
	classWhite
	classDelim
)

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
	// long is the decoded length of a string longer than maxStringLen, which is skipped, not
	// kept (s is nil): the object around it stays readable, and whoever needs the string can
	// say which limit it is over.
	long int64
}

func (t token) is(kw string) bool { return t.kind == tokKeyword && string(t.s) == kw }

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for {
		win := l.rest(l.pos)
		if len(win) == 0 {
			return
		}
		i := 0
		for i < len(win) && isWhite(win[i]) {
			i++
		}
		l.pos += int64(i)
		if i == len(win) {
			continue // white space up to the end of the window
		}
		if win[i] == '%' {
			for {
				l.pos++
				c, ok := l.at(l.pos)
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
	// A word that ends inside the window (or at the end of the data) is
	// read in place; one that runs past it is gathered byte by byte.
	win := l.rest(start)
	i := 0
	for i < len(win) && i <= maxWordLen+1 && isRegular(win[i]) {
		i++
	}
	if i > maxWordLen+1 {
		return token{}, limitErr(start, "token longer than %d bytes", maxWordLen)
	}
	if i < len(win) || start+int64(i) >= l.size {
		l.pos = start + int64(i)
		return l.wordToken(win[:i], start)
	}
	var b [maxWordLen + 1]byte
	n := 0
	p := start
	for {
		c, ok := l.at(p)
		if !ok || !isRegular(c) {
			break
		}
		if n == len(b) {
			return token{}, limitErr(start, "token longer than %d bytes", maxWordLen)
		}
		b[n] = c
		n++
		p++
	}
	l.pos = p
	return l.wordToken(b[:n], start)
}

// wordToken makes the token of the word w, which ends at l.pos.
func (l *lexer) wordToken(w []byte, start int64) (token, error) {
	t := token{start: start, end: l.pos}
	if isNumber(w) {
		// A real is not tried as an integer first: the failed attempt would
		// allocate its error.
		if bytes.IndexByte(w, '.') < 0 {
			if i, err := strconv.ParseInt(string(w), 10, 64); err == nil {
				t.kind, t.i = tokInt, i
				return t, nil
			}
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
	if k, ok := keywords[string(w)]; ok {
		t.s = k // shared: keyword bytes are only ever read
	} else {
		t.s = append([]byte(nil), w...)
	}
	return t, nil
}

// keywords are the keywords of PDF's syntax, ready as token bytes: every
// reference ends in R and every cross-reference entry in n or f, and a copy
// of each was much of the garbage of parsing.
var keywords = func() map[string][]byte {
	m := map[string][]byte{}
	for _, k := range []string{"R", "n", "f", "obj", "endobj", "stream", "endstream", "xref", "trailer", "startxref", "true", "false", "null"} {
		m[k] = []byte(k)
	}
	return m
}()

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
	// A name without # escapes that ends inside the window (or at the end
	// of the data) is read in place.
	win := l.rest(start + 1)
	i := 0
	for i < len(win) && i <= maxNameLen && isRegular(win[i]) && win[i] != '#' {
		i++
	}
	if i > maxNameLen {
		return token{}, limitErr(start, "name longer than %d bytes", maxNameLen)
	}
	if end := start + 1 + int64(i); (i < len(win) && !isRegular(win[i])) || (i == len(win) && end >= l.size) {
		l.pos = end
		return token{kind: tokName, s: win[:i], start: start, end: end}, nil
	}
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
			return token{}, limitErr(start, "name longer than %d bytes", maxNameLen)
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
			return l.skipLiteral(start)
		}
		b = append(b, c)
	}
}

// skipLiteral skips a literal string too long to keep, counting its bytes (escapes counted
// as written: the count only says how far over the limit it is).
func (l *lexer) skipLiteral(start int64) (token, error) {
	depth := 1
	var n int64
	for p := start + 1; ; p++ {
		c, ok := l.at(p)
		if !ok {
			if l.err != nil {
				return token{}, l.err
			}
			return token{}, synErr(start, "unterminated string")
		}
		switch c {
		case '\\':
			p++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos = p + 1
				return token{kind: tokString, start: start, end: l.pos, long: n}, nil
			}
		}
		n++
	}
}

// skipHex skips a hex string too long to keep, checking its digits and counting its bytes.
func (l *lexer) skipHex(start int64) (token, error) {
	var digits int64
	for p := start + 1; ; {
		if _, ok := l.at(p); !ok {
			if l.err != nil {
				return token{}, l.err
			}
			return token{}, synErr(start, "unterminated hex string")
		}
		win := l.buf[p-l.bufOff:]
		for i, c := range win {
			switch v := hexTable[c]; {
			case v < 16:
				digits++
			case v == hexWhite:
			case v == hexEnd:
				l.pos = p + int64(i) + 1
				return token{kind: tokString, hex: true, start: start, end: l.pos, long: (digits + 1) / 2}, nil
			default:
				return token{}, synErr(p+int64(i), "invalid character %q in hex string", c)
			}
		}
		p += int64(len(win))
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
			// Size the result once when the string ends in this window, and
			// look no further than its end: decodeHexPairs makes room for
			// all the digits it is given.
			if j := bytes.IndexByte(win, '>'); j >= 0 {
				b = make([]byte, 0, j/2+1)
				win = win[:j+1]
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
					return l.skipHex(start)
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
					return l.skipHex(start)
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
	n := decodeHexWords(out, src)
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

// decodeHexWords decodes sixteen digits at a time, as the bytes of two words: a signature
// value is tens of kilobytes of uninterrupted digits, so this loop carries most of the
// decoding. It stops at the first pair of words holding anything but digits, which is left
// to the byte loop of decodeHexPairs, and returns how many bytes it wrote.
func decodeHexWords(out, src []byte) int {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	n := 0
	for len(out) >= 8 && len(src) >= 16 {
		x1 := binary.LittleEndian.Uint64(src)
		x2 := binary.LittleEndian.Uint64(src[8:])
		// For bytes below 0x80, adding 0x80-lo sets a byte's high bit exactly when it is
		// >= lo, and never carries into the next byte. Setting bit 0x20 turns 'A'-'F' into
		// 'a'-'f' and leaves '0'-'9' as they are.
		y1, y2 := x1|0x20*ones, x2|0x20*ones
		digit1 := (x1 + (0x80-'0')*ones) &^ (x1 + (0x80-'9'-1)*ones)
		digit2 := (x2 + (0x80-'0')*ones) &^ (x2 + (0x80-'9'-1)*ones)
		letter1 := (y1 + (0x80-'a')*ones) &^ (y1 + (0x80-'f'-1)*ones)
		letter2 := (y2 + (0x80-'a')*ones) &^ (y2 + (0x80-'f'-1)*ones)
		if (digit1|letter1)&(digit2|letter2)&^(x1|x2)&high != high {
			break
		}
		binary.LittleEndian.PutUint64(out, hexWordValue(x1, letter1)|hexWordValue(x2, letter2)<<32)
		out, src = out[8:], src[16:]
		n += 8
	}
	return n
}

// hexWordValue returns the four bytes the eight digits of x encode, in its low half; letter
// has the high bit of each byte of x that is a letter.
func hexWordValue(x, letter uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	// '0'-'9' end in 0-9, 'a'-'f' and 'A'-'F' in 1-6.
	v := x&(0x0f*ones) + (letter&high)>>7*9
	// Each pair of digit values (first the high one) becomes a byte, then the bytes close up.
	v = (v<<4 | v>>8) & 0x00ff00ff00ff00ff
	v = (v | v>>8) & 0x0000ffff0000ffff
	return (v | v>>16) & 0xffffffff
}

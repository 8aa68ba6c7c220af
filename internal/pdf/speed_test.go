package pdf

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// BenchmarkOpenSigned opens a one-page licence sealed by eseal (one SM2
// signature whose /Contents holds the CMS, certificates included, and a
// seal picture), read from a file as the verifier reads it: the structure
// reading that comes before every verification.
func BenchmarkOpenSigned(b *testing.B) {
	f, err := os.Open("testdata/eseal-licence.pdf")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(fi.Size())
	for b.Loop() {
		d, err := Open(f, fi.Size())
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Signatures) != 1 || len(d.Signatures[0].Contents) == 0 {
			b.Fatalf("want one signature with /Contents, got %d", len(d.Signatures))
		}
	}
}

// TestOpenEsealLicence reads the licence eseal seals in its benchmarks: one
// incremental update adding the signature, its field and its appearance.
// The expected values are read from the file's bytes independently.
func TestOpenEsealLicence(t *testing.T) {
	data, err := os.ReadFile("testdata/eseal-licence.pdf")
	if err != nil {
		t.Fatal(err)
	}
	d := openBytes(t, data)
	if len(d.Revisions) != 2 || len(d.Signatures) != 1 || len(d.UnreachableSignatures) != 0 || len(d.Warnings) != 0 {
		t.Fatalf("%d revisions, %d signatures, %d unreachable, warnings %q", len(d.Revisions), len(d.Signatures), len(d.UnreachableSignatures), d.Warnings)
	}
	s := d.Signatures[0]
	// The /Contents string as written: the first "/Contents<" after the signature's /ByteRange.
	from := bytes.Index(data, []byte("/ByteRange"))
	open := from + bytes.Index(data[from:], []byte("/Contents<")) + len("/Contents")
	end := open + bytes.IndexByte(data[open:], '>') + 1
	want, err := hex.DecodeString(string(data[open+1 : end-1]))
	if err != nil {
		t.Fatal(err)
	}
	if s.ContentsOffset != int64(open) || s.ContentsEnd != int64(end) || !bytes.Equal(s.Contents, want) {
		t.Errorf("/Contents at %d..%d (%d bytes), want %d..%d (%d bytes)", s.ContentsOffset, s.ContentsEnd, len(s.Contents), open, end, len(want))
	}
	if cap(s.Contents) > len(s.Contents)+1 {
		t.Errorf("/Contents holds %d bytes in %d: the decoding should size it once", len(s.Contents), cap(s.Contents))
	}
	wantBR := []int64{0, int64(open), int64(end), int64(len(data) - end)}
	if !reflect.DeepEqual(s.ByteRange, wantBR) || s.FieldName != "Signature 1" || s.SubFilter != "adbe.pkcs7.detached" || s.Page != 1 || s.Invisible() {
		t.Errorf("ByteRange %v (want %v), field %q, SubFilter %q, page %d, rect %v", s.ByteRange, wantBR, s.FieldName, s.SubFilter, s.Page, s.Rect)
	}
	if c := d.CheckByteRange(s); c.Coverage != CoverageEntireFile || !c.GapIsContents || len(c.Problems) != 0 {
		t.Errorf("ByteRange check: %+v", c)
	}
}

// TestWholeFileSameAsWindows: a small file is read at once and parsed from
// memory, a large one in windows; both readings must find the same.
func TestWholeFileSameAsWindows(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pdf")
	if len(files) < 10 {
		t.Fatalf("only %d test files", len(files))
	}
	type reading struct {
		Version                 string
		Revisions               []Revision
		Signatures, Unreachable []*Signature
		Empty, Warnings         []string
		Trailing                int64
		Checks                  []ByteRangeCheck
		Changes                 [][]Change
		Err                     string
	}
	read := func(data []byte) reading {
		var r reading
		d, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			r.Err = err.Error()
			return r
		}
		r = reading{Version: d.Version, Revisions: d.Revisions, Signatures: d.Signatures, Unreachable: d.UnreachableSignatures,
			Empty: d.EmptySignatureFields, Warnings: d.Warnings, Trailing: d.TrailingBytes}
		for _, s := range append(append([]*Signature{}, d.Signatures...), d.UnreachableSignatures...) {
			r.Checks = append(r.Checks, d.CheckByteRange(s))
			ch, _ := d.ChangesAfter(s)
			r.Changes = append(r.Changes, ch)
		}
		return r
	}
	inMemory := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Damaged copies too: the errors must be the same.
		cut := data[:len(data)*2/3]
		for _, in := range [][]byte{data, cut} {
			if int64(len(in)) <= wholeFileMax {
				inMemory++
			}
			whole := read(in)
			saved := wholeFileMax
			wholeFileMax = 0
			windows := read(in)
			wholeFileMax = saved
			if !reflect.DeepEqual(whole, windows) {
				t.Errorf("%s (%d bytes): read at once\n%+v\nin windows\n%+v", path, len(in), whole, windows)
			}
		}
	}
	if inMemory < 10 {
		t.Errorf("only %d files small enough to be read at once", inMemory)
	}
}

// TestTokensAcrossWindows: names, numbers and keywords are read in place
// when they end inside the window and gathered when they run past it; both
// give the same tokens, at every place around a window's end.
func TestTokensAcrossWindows(t *testing.T) {
	const text = "/Name /A#20B 12345 -1.25 endobj R /X"
	for shift := -len(text); shift <= 2; shift++ {
		data := []byte(strings.Repeat(" ", windowSize+shift) + text)
		tokens := func(lx *lexer) []string {
			var out []string
			for {
				tok, err := lx.next()
				if err != nil {
					t.Fatalf("shift %d: %v", shift, err)
				}
				if tok.kind == tokEOF {
					return out
				}
				out = append(out, strings.Join([]string{string(rune('0' + tok.kind)), string(tok.s), hex.EncodeToString([]byte{byte(tok.i)}), string(rune(tok.start)), string(rune(tok.end))}, "|"))
			}
		}
		lx := newFileLexer(bytes.NewReader(data), int64(len(data)), 0)
		fromFile := tokens(lx)
		lx.release()
		fromMemory := tokens(newMemLexer(data))
		if len(fromFile) != 7 || !reflect.DeepEqual(fromFile, fromMemory) {
			t.Errorf("shift %d: %q from the file, %q from memory", shift, fromFile, fromMemory)
		}
	}
}

// TestLongTokens: the length limits hold wherever the token lies.
func TestLongTokens(t *testing.T) {
	cases := []struct {
		in, err string
	}{
		{strings.Repeat("1", maxWordLen+1), ""},
		{strings.Repeat("1", maxWordLen+2), "token longer than"},
		{"/" + strings.Repeat("a", maxNameLen), ""},
		{"/" + strings.Repeat("a", maxNameLen+1), "name longer than"},
		{"/" + strings.Repeat("#41", maxNameLen+1), "name longer than"},
	}
	for _, c := range cases {
		for _, pad := range []int{0, windowSize - 10} {
			data := []byte(strings.Repeat(" ", pad) + c.in + " ")
			for _, lx := range []*lexer{newFileLexer(bytes.NewReader(data), int64(len(data)), 0), newMemLexer(data)} {
				tok, err := lx.next()
				if c.err == "" && (err != nil || tok.end != int64(pad+len(c.in))) {
					t.Errorf("%.10q… at %d: token to %d, %v", c.in, pad, tok.end, err)
				}
				if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
					t.Errorf("%.10q… at %d: error %v, want %q", c.in, pad, err, c.err)
				}
				lx.release()
			}
		}
	}
}

// TestTableEntry: entries written as the standard says are read straight
// from the window, anything else as tokens; the entry is the same.
func TestTableEntry(t *testing.T) {
	cases := []struct {
		in   string
		fast bool
	}{
		{"0000000015 00000 n\r\n", true},
		{"0000000000 65535 f \n", true},
		{"0000000015 00003 n", true}, // at the end of the data
		{"  0000000015 00000 n \n", true},
		{"% comment\n0000000015 00000 n\n", true},
		{"15 0 n\n", false},
		{"0000000015  00000 n\n", false},
		{"0000000015 00000 nx\n", false},
		{"0000000015 99999 n\n", false},
		{"00000000x5 00000 n\n", false},
		{"0000000015 00000 n/\n", true},
	}
	for _, c := range cases {
		data := []byte(c.in)
		lx := newMemLexer(data)
		e, ok := tableEntry(lx)
		if ok != c.fast {
			t.Errorf("%q: read from the window %v, want %v", c.in, ok, c.fast)
		}
		if !ok {
			continue
		}
		tl := newMemLexer(data)
		o, _ := tl.next()
		g, _ := tl.next()
		k, _ := tl.next()
		want := xrefEntry{gen: uint32(g.i), off: o.i, typ: 1}
		if k.is("f") {
			want.typ = 0
		}
		if e != want || lx.pos != tl.pos || !(k.is("n") || k.is("f")) {
			t.Errorf("%q: %+v at %d, tokens give %+v at %d", c.in, e, lx.pos, want, tl.pos)
		}
	}
	// An entry cut by the window's end is left to the tokens.
	data := []byte(strings.Repeat(" ", windowSize-18) + "0000000015 00000 nx\n")
	lx := newFileLexer(bytes.NewReader(data), int64(len(data)), 0)
	defer lx.release()
	if _, ok := tableEntry(lx); ok {
		t.Errorf("an entry whose keyword may go on in the next window was read from the window")
	}
}

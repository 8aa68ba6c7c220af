package pdf

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// TestHexString decodes hex strings read through the file window, including
// strings longer than a window, white space, an odd digit count and bad
// characters, against encoding/hex.
func TestHexString(t *testing.T) {
	long := bytes.Repeat([]byte{0x30, 0x82, 0xab, 0xcd, 0xef, 0x00}, 3*windowSize/6+7)
	spaced := strings.Join(strings.SplitAfter(hex.EncodeToString(long), "0"), "\r\n\t \x00")
	tests := []struct {
		name, in string
		want     []byte
		err      string
	}{
		{"empty", "<>", []byte{}, ""},
		{"upper and lower case", "<0aBc>", []byte{0x0a, 0xbc}, ""},
		{"odd digit count: the last is padded with 0", "<abc>", []byte{0xab, 0xc0}, ""},
		{"longer than a window", "<" + hex.EncodeToString(long) + ">", long, ""},
		{"white space across windows", "<" + spaced + ">", long, ""},
		{"bad character", "<0a0g>", nil, `invalid character 'g' in hex string`},
		{"bad character after a window", "<" + hex.EncodeToString(long) + "x>", nil, `invalid character 'x'`},
		{"unterminated", "<" + hex.EncodeToString(long) + "\n", nil, "unterminated hex string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte("  " + tt.in)
			if tt.err != "unterminated hex string" {
				data = append(data, " /Next"...)
			}
			lx := newFileLexer(bytes.NewReader(data), int64(len(data)), 0)
			defer lx.release()
			tok, err := lx.next()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.kind != tokString || !tok.hex || !bytes.Equal(tok.s, tt.want) {
				t.Fatalf("got kind %v hex %v %d bytes, want %d bytes", tok.kind, tok.hex, len(tok.s), len(tt.want))
			}
			if tok.start != 2 || tok.end != int64(2+len(tt.in)) {
				t.Errorf("token at %d..%d, want 2..%d", tok.start, tok.end, 2+len(tt.in))
			}
			if next, err := lx.next(); err != nil || next.kind != tokName || string(next.s) != "Next" {
				t.Errorf("token after the string: %+v %v", next, err)
			}
		})
	}
}

// TestDecodeHexPairs checks the word-at-a-time decoding against the digit table: every pair
// of byte values, at every place of a run of digits long enough for the fast path.
func TestDecodeHexPairs(t *testing.T) {
	const digits = "0123456789abcdefABCDEF0123456789"
	want := func(src []byte) ([]byte, int) {
		var out []byte
		for i := 0; i+1 < len(src); i += 2 {
			x, y := hexTable[src[i]], hexTable[src[i+1]]
			if x|y >= 16 {
				break
			}
			out = append(out, x<<4|y)
		}
		return out, len(out)
	}
	src := []byte(digits)
	for at := range len(src) - 1 {
		for a := range 256 {
			for b := range 256 {
				copy(src, digits)
				src[at], src[at+1] = byte(a), byte(b)
				got := []byte{0xaa} // decoding appends
				n := decodeHexPairs(&got, src)
				w, wn := want(src)
				if n != wn || !bytes.Equal(got[1:], w) || got[0] != 0xaa {
					t.Fatalf("%q: decoded %d pairs %x, want %d pairs %x", src, n, got[1:], wn, w)
				}
			}
		}
	}
}

package sign

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestScanInput: whatever pieces the reader returns, the scan finds the longest run of '0's
// and the ByteRange placeholder (also across the scan's own 1 MiB reads), and passes every
// byte, once, to the hash and the CRC.
func TestScanInput(t *testing.T) {
	ph := byteRangePlaceholder
	big := func(parts ...string) string { // parts at offsets 1 MiB apart, minus their middle
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(strings.Repeat("x", 1<<20-len(p)/2-b.Len()%(1<<20)))
			b.WriteString(p)
		}
		return b.String()
	}
	cases := []struct {
		name  string
		in    string
		zeros int64
		ph    bool
	}{
		{"empty", "", 0, false},
		{"no zeros", "abc", 0, false},
		{"only zeros", "000", 3, false},
		{"several runs", "a00b0000c0", 4, false},
		{"run at the end", "a0b00", 2, false},
		{"placeholder", "%PDF " + ph + " x", 1, true},
		{"placeholder at the start", ph, 1, true},
		{"placeholder at the end", "0000 " + ph, 4, true},
		{"placeholder cut short", ph[:len(ph)-1], 1, false},
		{"placeholder split by a byte", ph[:10] + " " + ph[10:], 1, false},
		{"run across the 1 MiB reads", big("x0000000y"), 7, false},
		{"placeholder across the 1 MiB reads", big(ph), 1, true},
		{"both, twice", big("0000", ph, "000000"), 6, true},
	}
	readers := map[string]func(string) io.Reader{
		"whole":    func(s string) io.Reader { return strings.NewReader(s) },
		"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"7 bytes":  func(s string) io.Reader { return chunkReader{strings.NewReader(s), 7} },
		"46 bytes": func(s string) io.Reader { return chunkReader{strings.NewReader(s), len(ph)} },
		"data+EOF": func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) },
	}
	for _, tc := range cases {
		for rname, mk := range readers {
			if len(tc.in) > 1<<16 && rname == "one byte" {
				continue // slow, and "7 bytes" already crosses every boundary
			}
			t.Run(tc.name+"/"+rname, func(t *testing.T) {
				var seen bytes.Buffer
				sc, err := scanInput(mk(tc.in), &seen)
				if err != nil {
					t.Fatal(err)
				}
				if sc.longestZeros != tc.zeros || sc.hasByteRangePlaceholder != tc.ph {
					t.Errorf("longest run %d, placeholder %v; want %d, %v", sc.longestZeros, sc.hasByteRangePlaceholder, tc.zeros, tc.ph)
				}
				if seen.String() != tc.in || sc.size != int64(len(tc.in)) || sc.crc != crc32.Checksum([]byte(tc.in), castagnoli) {
					t.Errorf("hashed %d bytes, size %d, crc %x; want the %d input bytes", seen.Len(), sc.size, sc.crc, len(tc.in))
				}
			})
		}
	}
	// A read error is returned, not taken for the end of the document.
	failing := io.MultiReader(strings.NewReader("%PDF-1.7\n"), iotest.ErrReader(errors.New("disk gone")))
	if _, err := scanInput(failing, io.Discard); err == nil || err.Error() != "disk gone" {
		t.Errorf("read error: got %v", err)
	}
}

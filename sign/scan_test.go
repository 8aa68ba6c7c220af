package sign

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestScanInput: whatever pieces the reader returns, the scan finds the longest run of '0's
// and the ByteRange placeholder (also across the scan's own reads), and passes every
// byte, once, to the hash and the CRC.
func TestScanInput(t *testing.T) {
	ph := byteRangePlaceholder
	big := func(parts ...string) string { // parts across multiples of 1 MiB (and of copyBufferSize)
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
		{"run across the scan's reads", big("x0000000y"), 7, false},
		{"placeholder across the scan's reads", big(ph), 1, true},
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
				sc, err := scanInput(mk(tc.in), &seen, nil, new(atomic.Bool))
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
	gone := errors.New("disk gone")
	failing := io.MultiReader(strings.NewReader("%PDF-1.7\n"), iotest.ErrReader(gone))
	if _, err := scanInput(failing, io.Discard, nil, new(atomic.Bool)); !errors.Is(err, gone) || !strings.Contains(err.Error(), "reading the input") {
		t.Errorf("read error: got %v", err)
	}
}

// failingWriter refuses every write.
type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// TestScanInputStopsAndCopies: the copy receives exactly what is hashed; a failing copy is
// an IOFailed error about the output; a stopped scan reads no further.
func TestScanInputStopsAndCopies(t *testing.T) {
	doc := strings.Repeat("%PDF-1.7 0000 ", 200_000) // several reads
	var hashed, copied bytes.Buffer
	if _, err := scanInput(strings.NewReader(doc), &hashed, &copied, new(atomic.Bool)); err != nil || copied.String() != doc || hashed.String() != doc {
		t.Fatalf("copied %d, hashed %d of %d bytes: %v", copied.Len(), hashed.Len(), len(doc), err)
	}
	full := errors.New("disk full")
	_, err := scanInput(strings.NewReader(doc), io.Discard, failingWriter{full}, new(atomic.Bool))
	var e *Error
	if !errors.As(err, &e) || e.Reason != IOFailed || !errors.Is(err, full) || !strings.Contains(err.Error(), "writing the output") {
		t.Errorf("failing copy: %v", err)
	}
	stop := new(atomic.Bool)
	stop.Store(true)
	r := strings.NewReader(doc)
	if _, err := scanInput(r, io.Discard, nil, stop); err != errScanStopped || r.Len() != len(doc) {
		t.Errorf("stopped scan: %v, read %d bytes", err, len(doc)-r.Len())
	}
}

// lateReads is an io.ReadSeeker and io.ReaderAt that counts the reads made after closed is
// set. The scan's reads (of copyBufferSize) are slow, and the parsing's reads wait for the scan's first,
// so that the parsing fails while the scan is reading.
type lateReads struct {
	*bytes.Reader
	closed     atomic.Bool
	late, scan atomic.Int64
	started    chan struct{}
	once       sync.Once
}

func (l *lateReads) ReadAt(p []byte, off int64) (int, error) {
	if len(p) >= copyBufferSize {
		l.scan.Add(1)
		l.once.Do(func() { close(l.started) })
		time.Sleep(10 * time.Millisecond)
	} else {
		<-l.started
	}
	if l.closed.Load() {
		l.late.Add(1)
	}
	return l.Reader.ReadAt(p, off)
}

// TestScanStopsWithSignPDF: when sealing fails while the document is being hashed alongside,
// SignPDF returns only once the hashing stopped: the caller's input is not read afterwards.
func TestScanStopsWithSignPDF(t *testing.T) {
	s := newSealer(t, "合同专用章", "11010800000083")
	doc := bytes.Repeat([]byte("%PDF-1.7 not really\n"), 1<<20) // 20 MiB, no %%EOF: NotPDF
	reads := int64(len(doc) / copyBufferSize)
	in := &lateReads{Reader: bytes.NewReader(doc), started: make(chan struct{})}
	_, err := SignPDF(in, io.Discard, s, PDFOptions{Now: fixedClock})
	in.closed.Store(true)
	var e *Error
	if !errors.As(err, &e) || e.Reason != NotPDF {
		t.Fatalf("SignPDF: %v, want NotPDF", err)
	}
	if n := in.scan.Load(); n == 0 || n >= reads {
		t.Fatalf("the scan made %d of its %d reads: not stopped while running", n, reads)
	}
	time.Sleep(30 * time.Millisecond)
	if n := in.late.Load(); n != 0 {
		t.Fatalf("%d reads of the input after SignPDF returned", n)
	}
}

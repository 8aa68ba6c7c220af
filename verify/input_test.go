package verify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/pdf"
)

// failingReader fails every read of exactly failLen bytes (how VerifyPDF hashes a small file
// whole), or every read when failLen is 0.
type failingReader struct {
	r       io.ReaderAt
	failLen int
}

var errDisk = errors.New("disk error")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if f.failLen == 0 || len(p) == f.failLen {
		return 0, errDisk
	}
	return f.r.ReadAt(p, off)
}

// failAfter fails every read after the first ok ones.
type failAfter struct {
	r     io.ReaderAt
	ok, n int
}

func (f *failAfter) ReadAt(p []byte, off int64) (int, error) {
	f.n++
	if f.n > f.ok {
		return 0, errDisk
	}
	return f.r.ReadAt(p, off)
}

// readsToOpen counts the reads pdf.Open makes of data.
func readsToOpen(t *testing.T, data []byte) int {
	counter := &failAfter{r: bytes.NewReader(data), ok: math.MaxInt}
	if _, err := pdf.Open(counter, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return counter.n
}

func TestInputErrors(t *testing.T) {
	signed, err := os.ReadFile("testdata/corpus/pdf-06.pdf")
	if err != nil {
		t.Fatal(err)
	}
	plain := newDoc().bytes()
	encrypted := append([]byte{}, plain...)
	encrypted = bytes.Replace(encrypted, []byte("trailer\n<< /Size"), []byte("trailer\n<< /Encrypt << /Filter /Standard >> /Size"), 1)
	cases := []struct {
		name   string
		r      io.ReaderAt
		size   int64
		reason InputErrorReason
	}{
		{"nil reader", nil, 10, InputInvalidArgument},
		{"negative size", bytes.NewReader(plain), -1, InputInvalidArgument},
		{"not a PDF", strings.NewReader("GIF89a not a pdf at all"), 23, InputNotPDF},
		{"empty", strings.NewReader(""), 0, InputNotPDF},
		{"no cross-reference data", strings.NewReader("%PDF-1.7\n1 0 obj\n<< >>\nendobj\n"), 29, InputMalformed},
		{"truncated before the xref", bytes.NewReader(plain[:len(plain)-40]), int64(len(plain) - 40), InputMalformed},
		{"encrypted", bytes.NewReader(encrypted), int64(len(encrypted)), InputEncrypted},
		// pdf-06's signature is in its second revision (from byte 5207): cut inside it, the
		// file is damaged, not an unsigned first revision.
		{"signed revision cut short", bytes.NewReader(signed[:20000]), 20000, InputDamaged},
		{"cut in the last cross-reference section", bytes.NewReader(signed[:len(signed)-200]), int64(len(signed) - 200), InputDamaged},
		{"reader fails at once", failingReader{r: bytes.NewReader(signed)}, int64(len(signed)), InputReadError},
		{"reader fails while hashing", failingReader{r: bytes.NewReader(signed), failLen: len(signed)}, int64(len(signed)), InputReadError},
		// Every read pdf.Open makes succeeds; the hashing pass's first read fails.
		{"reader fails after the structure was read", &failAfter{r: bytes.NewReader(signed), ok: readsToOpen(t, signed)}, int64(len(signed)), InputReadError},
		{"size larger than the input", bytes.NewReader(signed), int64(len(signed)) + 1000, InputMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := VerifyPDF(context.Background(), c.r, c.size, Options{CurrentTime: time.Now()})
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("VerifyPDF = %v, %v; want an *InputError", rep, err)
			}
			if ie.Reason != c.reason {
				t.Errorf("reason %v (%v), want %v", ie.Reason, err, c.reason)
			}
			if rep != nil {
				t.Error("a report came with the error")
			}
			if !strings.HasPrefix(err.Error(), "verify: ") || ie.Reason.String() == "" {
				t.Errorf("error text %q", err)
			}
			if c.reason == InputReadError && !errors.Is(err, errDisk) {
				t.Errorf("the I/O error is not wrapped: %v", err)
			}
		})
	}
}

func TestInputErrorReasonString(t *testing.T) {
	seen := map[string]bool{}
	for r := InputInvalidArgument; r <= InputReadError; r++ {
		s := r.String()
		if s == "" || seen[s] || strings.HasPrefix(s, "InputErrorReason(") {
			t.Errorf("reason %d: %q", int(r), s)
		}
		seen[s] = true
	}
	if s := InputErrorReason(99).String(); s != "InputErrorReason(99)" {
		t.Errorf("unknown reason: %q", s)
	}
}

// panickyReader panics when asked for the bytes at one offset.
type panickyReader struct {
	r  io.ReaderAt
	at int64
}

func (p panickyReader) ReadAt(b []byte, off int64) (int, error) {
	if off == p.at {
		panic("reader bug")
	}
	return p.r.ReadAt(b, off)
}

// TestReaderPanics: a reader that panics, even in the goroutine that hashes the whole document,
// gives an internal error, not a crash.
func TestReaderPanics(t *testing.T) {
	p := newPKI(t, nil)
	path := filepath.Join(t.TempDir(), "large.pdf")
	// The signature's /Contents then spans byte 4*streamChunk, where only the document hash
	// reads: pdf.Open's scan reads in overlapping windows, the signature's hash skips /Contents.
	size := writeLargeSignedPDF(t, path, 4*streamChunk-20000, p)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	at := int64(4 * streamChunk)
	doc, err := pdf.Open(f, size)
	if err != nil {
		t.Fatal(err)
	}
	if br := doc.Signatures[0].ByteRange; at <= br[1] || at >= br[2] {
		t.Fatalf("byte %d is not in the /Contents gap of ByteRange %v", at, br)
	}
	rep, err := VerifyPDF(context.Background(), panickyReader{r: f, at: at}, size, Options{CurrentTime: tNow})
	var ie *InputError
	if rep != nil || err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "reader bug") {
		t.Fatalf("VerifyPDF = %v, %v; want an internal error", rep, err)
	}
}

package verify

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
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

func TestInputErrors(t *testing.T) {
	signed, err := os.ReadFile("testdata/corpus/pdf-06.pdf")
	if err != nil {
		t.Fatal(err)
	}
	plain := newDoc().data
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
		{"reader fails at once", failingReader{r: bytes.NewReader(signed)}, int64(len(signed)), InputReadError},
		{"reader fails while hashing", failingReader{r: bytes.NewReader(signed), failLen: len(signed)}, int64(len(signed)), InputReadError},
		{"size larger than the input", bytes.NewReader(signed), int64(len(signed)) + 1000, InputMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := VerifyPDF(c.r, c.size, Options{CurrentTime: time.Now()})
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

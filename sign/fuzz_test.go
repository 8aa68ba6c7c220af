package sign

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
)

// FuzzSignPDF: whatever the input, SignPDF returns a *Error and writes nothing, or writes a
// document whose new signature covers it and carries the SM3 of its ByteRange.
func FuzzSignPDF(f *testing.F) {
	s := newSealer(f, "合同专用章", "11010800000061")
	seeds, _ := filepath.Glob("testdata/*.pdf")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("%PDF-1.7\n%%EOF\n"))
	f.Add([]byte("%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		res, err := SignPDF(bytes.NewReader(data), &out, s, PDFOptions{Now: fixedClock})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if out.Len() != 0 {
				t.Fatalf("%d bytes written before the error %v", out.Len(), err)
			}
			return
		}
		doc := out.Bytes()
		br := res.ByteRange
		if !bytes.HasPrefix(doc, data) || br[0] != 0 || br[2]+br[3] != int64(len(doc)) || br[1] < int64(len(data)) {
			t.Fatalf("ByteRange %v for %d bytes from %d", br, len(doc), len(data))
		}
		h := smcrypto.NewSM3()
		h.Write(doc[:br[1]])
		h.Write(doc[br[2]:])
		raw, err := hex.DecodeString(string(doc[br[1]+1 : br[2]-1]))
		if err != nil {
			t.Fatal(err)
		}
		sd, err := smcrypto.ParseSignedData(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sd.Signers[0].MessageDigest, h.Sum(nil)) {
			t.Fatal("messageDigest is not the SM3 of the ByteRange")
		}
	})
}

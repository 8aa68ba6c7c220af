package sign

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/verify"
)

// TestQRCode: a licence sealed with a QR code carries, next to the seal and inside the signed
// bytes, a code that an independent decoder (zbarimg, on poppler's rendering) reads back as the
// link; the signature stays valid and qpdf accepts the file.
func TestQRCode(t *testing.T) {
	in := filepath.Join(t.TempDir(), "licence.pdf")
	if err := os.WriteFile(in, testpdf.DefaultLicence.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	const link = "https://zwfw.hangzhou.gov.cn/eseal/v/K7Q2M4X9P3RT6WZA"
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000009")
	data, res, out := sealFile(t, in, s, PDFOptions{Now: fixedClock, QR: link})
	if res.QRRect == ([4]float64{}) || res.QRRect[2] > res.Rect[0] {
		t.Fatalf("the code is not to the left of the seal: code %v, seal %v", res.QRRect, res.Rect)
	}
	if rep := verifyData(t, data); rep.Indication != verify.TotalPassed {
		t.Fatalf("the sealed licence: %s", rep.Indication)
	}
	// The code is inside the signed byte range (the update before /Contents).
	if i := bytes.LastIndex(data, []byte("/Subtype /Stamp")); i < 0 || int64(i) > res.ByteRange[1] {
		t.Errorf("the QR stamp is not covered by the signature (at %d, signed up to %d)", i, res.ByteRange[1])
	}
	prefix := filepath.Join(t.TempDir(), "page")
	if b, err := exec.Command(requireTool(t, "pdftoppm"), "-r", "200", "-png", "-singlefile", "-f", "1", "-l", "1", out, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, b)
	}
	got, err := exec.Command(requireTool(t, "zbarimg"), "--quiet", "--raw", prefix+".png").Output()
	if err != nil {
		t.Fatalf("zbarimg found no code: %v", err)
	}
	if strings.TrimSpace(string(got)) != link {
		t.Errorf("zbarimg read %q, want %q", got, link)
	}
	if dir := artifactDir(t); dir != "" {
		os.WriteFile(filepath.Join(dir, "licence-with-qr.png"), mustRead(t, prefix+".png"), 0o644)
	}
}

// TestQRCodeRefused: a link that is not an absolute http(s) URL, or too long, or a seal with
// no room beside it, is refused and nothing is written.
func TestQRCodeRefused(t *testing.T) {
	in := filepath.Join(t.TempDir(), "licence.pdf")
	if err := os.WriteFile(in, testpdf.DefaultLicence.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000009")
	for _, tc := range []struct {
		name string
		opts PDFOptions
		want Reason
	}{
		{"relative link", PDFOptions{QR: "/v/ABC"}, BadOptions},
		{"other scheme", PDFOptions{QR: "javascript:alert(1)"}, BadOptions},
		{"too long", PDFOptions{QR: "https://x.example/" + strings.Repeat("a", 300)}, BadOptions},
		{"non-ASCII", PDFOptions{QR: "https://例子.example/v/\x01"}, BadOptions},
		{"no room", PDFOptions{QR: "https://x.example/v/A", Rect: &[4]float64{0, 0, 595, 842}}, BadRect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			tc.opts.Now = fixedClock
			_, err := SignPDFFile(in, out, s, tc.opts)
			var se *Error
			if !errors.As(err, &se) || se.Reason != tc.want {
				t.Fatalf("err = %v, want reason %v", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("something was written: %v", err)
			}
		})
	}
}

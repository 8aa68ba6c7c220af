package main

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"
)

// TestReadPicture: --image takes PNG, JPEG and GIF files, whatever their names, as a
// 40 mm picture of the type their bytes show; anything else is refused.
func TestReadPicture(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	encode := map[string]func(*bytes.Buffer) error{
		"PNG": func(b *bytes.Buffer) error { return png.Encode(b, img) },
		"JPG": func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) },
		"GIF": func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) },
	}
	dir := t.TempDir()
	for typ, enc := range encode {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "seal-"+typ+".img")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pic, err := readPicture(path)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if pic.Type != typ || pic.WidthMM != 40 || pic.HeightMM != 40 || !bytes.Equal(pic.Data, b.Bytes()) {
			t.Errorf("%s: read as %q %d×%d mm", typ, pic.Type, pic.WidthMM, pic.HeightMM)
		}
	}
	bmp := filepath.Join(dir, "seal.bmp")
	if err := os.WriteFile(bmp, append([]byte("BM"), make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readPicture(bmp); err == nil || !strings.Contains(err.Error(), "not a PNG, JPEG or GIF image") {
		t.Errorf("BMP: %v", err)
	}
}

// TestSealNewFont: seal new draws the generated picture's text in --font; a font without
// Chinese glyphs is used as far as it goes and the missing characters are named on stderr; a
// file that is no font, or --font with --image, is a usage error.
func TestSealNewFont(t *testing.T) {
	dir := t.TempDir()
	latin := filepath.Join(dir, "GoRegular.ttf")
	if err := os.WriteFile(latin, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	notFont := filepath.Join(dir, "font.ttf")
	if err := os.WriteFile(notFont, []byte("not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(args, &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "ESEAL_KEY_PASSPHRASE" {
				return "test"
			}
			return ""
		}})
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := run("init", "--data", data, "--region", "330100", "--name", "杭州市"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	code, _, stderr := run("seal", "new", "--data", data, "--name", "杭州市行政审批局行政审批专用章", "--font", latin)
	if code != 0 || !strings.Contains(stderr, "has no glyph for") {
		t.Errorf("a font without CJK: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run("seal", "new", "--data", data, "--name", "杭州市行政审批局行政审批专用章")
	if code != 0 || stderr != "" {
		t.Errorf("the system font: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = run("seal", "new", "--data", data, "--name", "x", "--font", notFont); code != 4 || !strings.Contains(stderr, "--font") {
		t.Errorf("not a font: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr = run("seal", "new", "--data", data, "--name", "x", "--font", latin, "--image", notFont); code != 4 || !strings.Contains(stderr, "--font") {
		t.Errorf("--font with --image: exit %d, stderr %q", code, stderr)
	}
}

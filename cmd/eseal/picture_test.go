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

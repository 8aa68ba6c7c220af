package seal

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// systemFont is the system's CJK font; the test command installs one (fonts-arphic-uming).
func systemFontForTest(t *testing.T) *Font {
	t.Helper()
	f, err := SystemCJKFont()
	if err != nil {
		t.Fatalf("%v (the test command installs fonts-arphic-uming)", err)
	}
	return f
}

// arcInk counts the inked pixels of the band where the agency's name is set: between the star
// and the ring, above the centre.
func arcInk(t *testing.T, data []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	size := float64(b.Dx())
	c := size / 2
	n := 0
	for y := b.Min.Y; y < int(c); y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c)
			if d < size*0.27 || d > size*0.40 {
				continue
			}
			if _, _, _, a := img.At(x, y).RGBA(); a > 0x8000 {
				n++
			}
		}
	}
	return n
}

// glyphMask renders one rune of f at a fixed size, as the picture does.
func glyphMask(t *testing.T, f *Font, r rune) []byte {
	t.Helper()
	face, err := opentype.NewFace(f.f, &opentype.FaceOptions{Size: 64, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	dr, mask, mp, _, ok := face.Glyph(fixed.P(0, 56), r)
	if !ok {
		return nil
	}
	out := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	for y := 0; y < dr.Dy(); y++ {
		for x := 0; x < dr.Dx(); x++ {
			_, _, _, a := mask.At(mp.X+x, mp.Y+y).RGBA()
			out.Pix[y*out.Stride+x] = uint8(a >> 8)
		}
	}
	return out.Pix
}

// TestPictureDrawsTheName: with the system's CJK font, the agency and the kind are drawn, each
// character with its own glyph, not the font's box for missing characters; the band of the
// name is inked, where the picture without a font has nothing.
func TestPictureDrawsTheName(t *testing.T) {
	f := systemFontForTest(t)
	agency, kind := "杭州市行政审批局", "行政审批专用章"
	if miss := f.Missing(agency + kind); len(miss) != 0 {
		t.Fatalf("the font %s lacks %q", f.Path, string(miss))
	}
	box := glyphMask(t, f, '\U000F0000') // a private-use character no font has: the box
	for _, r := range agency + kind {
		if g := glyphMask(t, f, r); len(g) == 0 || bytes.Equal(g, box) {
			t.Errorf("%q would be drawn as the missing-glyph box", r)
		}
	}
	p, warnings, err := DrawPicture(PictureOptions{Agency: agency, Kind: kind, Code: "33010000000001", SizeMM: 42, Font: f})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %q", err, warnings)
	}
	if err := ValidatePicture(p); err != nil {
		t.Fatal(err)
	}
	bare, warnings, err := DrawPicture(PictureOptions{Agency: agency, Kind: kind, Code: "33010000000001", SizeMM: 42})
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "no CJK font") {
		t.Fatalf("without a font: %v %q", err, warnings)
	}
	with, without := arcInk(t, p.Data), arcInk(t, bare.Data)
	if without != 0 || with < 2000 {
		t.Errorf("ink in the name's band: %d with the font, %d without", with, without)
	}
	if dir := os.Getenv("ESEAL_ARTIFACTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "seal-picture.png"), p.Data, 0o644)
	}
}

// TestPictureFontWithoutCJK: a font without Chinese glyphs draws none (no boxes), and says so.
func TestPictureFontWithoutCJK(t *testing.T) {
	latin, err := ParseFont("Go Regular", goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	p, warnings, err := DrawPicture(PictureOptions{Agency: "杭州市行政审批局", Kind: "专用章", Code: "33010000000001", Font: latin})
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "has no glyph for") {
		t.Fatalf("%v %q", err, warnings)
	}
	if n := arcInk(t, p.Data); n != 0 {
		t.Errorf("%d pixels inked where the missing characters would be boxes", n)
	}
}

func TestSplitSealName(t *testing.T) {
	for _, tt := range []struct{ name, agency, kind string }{
		{"杭州市行政审批局行政审批专用章", "杭州市行政审批局", "行政审批专用章"},
		{"某市行政审批局审批专用章", "某市行政审批局", "审批专用章"},
		{"浙江省人民政府办公厅公章", "浙江省人民政府办公厅", "公章"},
		{"某某公司合同专用章", "某某公司", "合同专用章"},
		{"审批专用章", "审批专用章", ""},
		{"杭州市行政审批局", "杭州市行政审批局", ""},
	} {
		if a, k := SplitSealName(tt.name); a != tt.agency || k != tt.kind {
			t.Errorf("%s: %q %q, want %q %q", tt.name, a, k, tt.agency, tt.kind)
		}
	}
}

func TestLoadFontErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.ttf")
	os.WriteFile(junk, []byte("not a font at all, really"), 0o644)
	for _, path := range []string{filepath.Join(dir, "missing.ttf"), junk, dir} {
		if f, err := LoadFont(path); err == nil {
			t.Errorf("%s: loaded %v", path, f)
		}
	}
}

// FuzzParseFont: font files are input too (--font): never a panic.
func FuzzParseFont(f *testing.F) {
	f.Add(goregular.TTF[:2048])
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10\x00\x01\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if font, err := ParseFont("fuzz", data); err == nil {
			font.Missing("章")
		}
	})
}

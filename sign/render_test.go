package sign

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/testpdf"
)

const renderDPI = 36 // half a pixel per point

// render draws page 1 of a PDF with poppler's pdftoppm, as a reader would show it.
func render(t *testing.T, pdfPath string) image.Image {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	out, err := exec.Command(requireTool(t, "pdftoppm"), "-r", "36", "-png", "-singlefile", "-f", "1", "-l", "1", pdfPath, prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 170 && g>>8 < 90 && b>>8 < 90
}

func isBlue(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return b>>8 > 170 && r>>8 < 90 && g>>8 < 90
}

// countIn counts pixels matching in the pixel rectangle r.
func countIn(img image.Image, r image.Rectangle, match func(color.Color) bool) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if match(img.At(x, y)) {
				n++
			}
		}
	}
	return n
}

// pixelRect maps a rectangle in the default user space of an unrotated 595×842 page to
// pixels of a renderDPI rendering.
func pixelRect(r [4]float64) image.Rectangle {
	s := renderDPI / 72.0
	return image.Rect(int(r[0]*s), int((842-r[3])*s), int(r[2]*s+0.5), int((842-r[1])*s+0.5))
}

// TestSealVisible: rendered by poppler, the sealed licence shows red seal pixels in the
// seal's rectangle, where the unsealed licence has none, and nowhere else.
func TestSealVisible(t *testing.T) {
	s := newSealer(t, "合同专用章", "11010800000051")
	_, res, out := sealFile(t, "testdata/licence.pdf", s, PDFOptions{Now: fixedClock})
	before := render(t, "testdata/licence.pdf")
	after := render(t, out)
	area := pixelRect(res.Rect)
	if n := countIn(before, area, isRed); n != 0 {
		t.Fatalf("the unsealed licence already has %d red pixels there", n)
	}
	red := countIn(after, area, isRed)
	if red < area.Dx()*area.Dy()/10 {
		t.Fatalf("only %d red pixels in the seal's %v pixels", red, area.Size())
	}
	if total := countIn(after, after.Bounds(), isRed); total != red {
		t.Errorf("%d red pixels outside the seal's rectangle", total-red)
	}
	// The seal is transparent where it has no ink: the licence text under it still shows.
	dark := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return r>>8 < 100 && g>>8 < 100 && b>>8 < 100 }
	if n, m := countIn(before, area, dark), countIn(after, area, dark); n == 0 || m < n/2 {
		t.Errorf("text under the seal: %d dark pixels before, %d after", n, m)
	}
}

// halvesPicture is a 200×100 PNG, left half red, right half blue: its orientation can be
// read from a rendering.
func halvesPicture(t *testing.T) seal.Picture {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			c := color.NRGBA{0xE0, 0x10, 0x10, 0xFF}
			if x >= 100 {
				c = color.NRGBA{0x10, 0x10, 0xE0, 0xFF}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return seal.Picture{Type: "PNG", Data: buf.Bytes(), WidthMM: 40, HeightMM: 20}
}

func centroid(img image.Image, match func(color.Color) bool) (x, y float64, n int) {
	b := img.Bounds()
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			if match(img.At(px, py)) {
				x += float64(px)
				y += float64(py)
				n++
			}
		}
	}
	if n > 0 {
		x, y = x/float64(n), y/float64(n)
	}
	return x, y, n
}

// TestSealUprightOnRotatedPages: on pages with /Rotate, the default place is the bottom right
// of the page as displayed, and the picture reads upright (red half left of blue half).
func TestSealUprightOnRotatedPages(t *testing.T) {
	p := getPKI(t)
	sl, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: "11010800000052", Name: "方向测试章", SignerCerts: [][]byte{p.signer.Raw},
		CreateDate: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		Picture: halvesPicture(t),
	}, p.maker.Raw, p.maker_)
	if err != nil {
		t.Fatal(err)
	}
	s := Sealer{Signer: p.signerKey, Seal: sl.Raw, Chain: newSealer(t, "x", "11010800000053").Chain}
	for _, rot := range []int{0, 90, 180, 270} {
		t.Run(string(rune('0'+rot/90)), func(t *testing.T) {
			in := writeFixture(t, fixture{rotate: rot})
			_, _, out := sealFile(t, in, s, PDFOptions{Now: fixedClock})
			img := render(t, out)
			rx, ry, rn := centroid(img, isRed)
			bx, by, bn := centroid(img, isBlue)
			if rn == 0 || bn == 0 {
				t.Fatalf("red %d, blue %d pixels", rn, bn)
			}
			if !(rx < bx) || abs(ry-by) > 2 {
				t.Errorf("rotate %d: red half at (%.0f,%.0f), blue half at (%.0f,%.0f): not upright", rot, rx, ry, bx, by)
			}
			// 40×20 mm at 36 dpi is about 57×28 pixels; each half about 28×28.
			if abs(float64(rn)-float64(bn)) > 0.2*float64(rn) || rn < 500 {
				t.Errorf("rotate %d: %d red and %d blue pixels", rot, rn, bn)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if cx, cy := (rx+bx)/2, (ry+by)/2; cx < float64(w)*0.6 || cy < float64(h)*0.6 {
				t.Errorf("rotate %d: seal centred at (%.0f,%.0f) of a %dx%d page: not at the bottom right", rot, cx, cy, w, h)
			}
		})
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestAppearancePicture(t *testing.T) {
	decode := func(t *testing.T, b []byte) *image.NRGBA {
		t.Helper()
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return toNRGBA(img)
	}
	// An opaque JPEG: red disc on white. White becomes transparent, red stays.
	src := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
			if (x-32)*(x-32)+(y-32)*(y-32) < 20*20 {
				c = color.RGBA{0xD0, 0x10, 0x10, 0xFF}
			}
			src.Set(x, y, c)
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	out, err := appearancePicture(seal.Picture{Type: "JPG", Data: jb.Bytes()}, 0, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, out)
	if img.NRGBAAt(1, 1).A != 0 || img.NRGBAAt(32, 32).A != 0xFF || !isRed(img.NRGBAAt(32, 32)) {
		t.Errorf("JPEG: corner %v, centre %v", img.NRGBAAt(1, 1), img.NRGBAAt(32, 32))
	}
	// A GIF (declared in lower case) decodes; a picture that is already transparent keeps its
	// white pixels.
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Transparent, color.White, color.RGBA{0xFF, 0, 0, 0xFF}})
	pal.SetColorIndex(1, 1, 1)
	pal.SetColorIndex(2, 2, 2)
	var gb bytes.Buffer
	if err := gif.Encode(&gb, pal, nil); err != nil {
		t.Fatal(err)
	}
	out, err = appearancePicture(seal.Picture{Type: "gif", Data: gb.Bytes()}, 0, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	img = decode(t, out)
	if img.NRGBAAt(0, 0).A != 0 || img.NRGBAAt(1, 1) != (color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}) || !isRed(img.NRGBAAt(2, 2)) {
		t.Errorf("GIF: %v %v %v", img.NRGBAAt(0, 0), img.NRGBAAt(1, 1), img.NRGBAAt(2, 2))
	}
	// A large picture is reduced; a 2:1 rectangle pads a square picture to 2:1.
	big := image.NewNRGBA(image.Rect(0, 0, 3000, 3000))
	for i := range big.Pix {
		big.Pix[i] = 0xC0
	}
	var bb bytes.Buffer
	if err := png.Encode(&bb, big); err != nil {
		t.Fatal(err)
	}
	out, err = appearancePicture(seal.Picture{Type: "PNG", Data: bb.Bytes()}, 0, 200, 100)
	if err != nil {
		t.Fatal(err)
	}
	img = decode(t, out)
	if b := img.Bounds(); b.Dx() != 2*b.Dy() || b.Dy() > maxPictureSide {
		t.Errorf("reduced and padded to %v", b.Size())
	}
	if img.NRGBAAt(0, 0).A != 0 || img.NRGBAAt(img.Bounds().Dx()/2, img.Bounds().Dy()/2).A == 0 {
		t.Error("padding is not transparent around an opaque centre")
	}
	// Rotation: the top-left pixel ends where a counter-clockwise turn puts it.
	mark := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	mark.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 255})
	for rot, want := range map[int]image.Point{0: {0, 0}, 90: {0, 3}, 180: {3, 1}, 270: {1, 0}} {
		r := rotateForPage(mark, rot)
		if r.NRGBAAt(want.X, want.Y) != (color.NRGBA{1, 2, 3, 255}) {
			t.Errorf("rotate %d: marker not at %v", rot, want)
		}
	}
}

// artifactDir is where tests keep what a person should look at (ESEAL_ARTIFACTS; scripts/test
// sets it to artifacts/), or "" to keep nothing.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("ESEAL_ARTIFACTS")
	if dir == "" {
		return ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSealedLicenceArtifact renders, with poppler at 150 dpi, the licence sealed with a seal
// whose generated picture sets the agency's name in the system's CJK font, and keeps the page
// as an artifact; the seal's rectangle holds the red of its ink.
func TestSealedLicenceArtifact(t *testing.T) {
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000009")
	_, res, out := sealFile(t, "testdata/licence.pdf", s, PDFOptions{Now: fixedClock})
	after := render(t, out)
	if red := countIn(after, pixelRect(res.Rect), isRed); red == 0 {
		t.Fatal("no red in the seal's rectangle")
	}
	dir := artifactDir(t)
	if dir == "" {
		return
	}
	prefix := filepath.Join(dir, "sealed-licence-page1")
	if b, err := exec.Command(requireTool(t, "pdftoppm"), "-r", "150", "-png", "-singlefile", "-f", "1", "-l", "1", out, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, b)
	}
	sl, err := seal.ParseSeal(s.Seal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seal-picture.png"), sl.Picture.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("kept %s.png and seal-picture.png in %s", prefix, dir)
}

// TestSealNear: placed with Near, the seal is centred over the authority's name on the Chinese
// sample licence (the repository's testdata/licence.pdf), and poppler draws it there.
func TestSealNear(t *testing.T) {
	in := filepath.Join(t.TempDir(), "licence-zh.pdf")
	if err := os.WriteFile(in, testpdf.DefaultLicence.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000009")
	_, res, out := sealFile(t, in, s, PDFOptions{Now: fixedClock, Near: "杭州市行政审批局"})
	// The name: 8 characters of 14 pt at 370,300, its box 297.2 to 311.2 high: centre 426,304.2.
	if cx, cy := (res.Rect[0]+res.Rect[2])/2, (res.Rect[1]+res.Rect[3])/2; math.Abs(cx-426) > 1 || math.Abs(cy-304.2) > 1 {
		t.Errorf("seal centred at %.1f,%.1f", cx, cy)
	}
	if red := countIn(render(t, out), pixelRect(res.Rect), isRed); red == 0 {
		t.Error("no red where the seal was placed")
	}
	for _, tc := range []struct {
		opts   PDFOptions
		reason Reason
	}{
		{PDFOptions{Near: "上海市"}, TextNotFound},
		{PDFOptions{Near: "杭州市", Rect: &[4]float64{1, 1, 100, 100}}, BadRect},
	} {
		tc.opts.Now = fixedClock
		_, err := SignPDFFile(in, filepath.Join(t.TempDir(), "x.pdf"), s, tc.opts)
		var se *Error
		if !errors.As(err, &se) || se.Reason != tc.reason {
			t.Errorf("%+v: %v", tc.opts, err)
		}
	}
	if dir := artifactDir(t); dir != "" {
		prefix := filepath.Join(dir, "sealed-chinese-licence-page1")
		if b, err := exec.Command(requireTool(t, "pdftoppm"), "-r", "150", "-png", "-singlefile", out, prefix).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, b)
		}
	}
}

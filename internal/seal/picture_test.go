package seal

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func TestGeneratePicture(t *testing.T) {
	p, err := GeneratePicture("北京市海淀区测试审批专用章", "11010500000001", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != "PNG" || p.WidthMM != DefaultPictureSizeMM || p.HeightMM != DefaultPictureSizeMM {
		t.Errorf("picture %q %d×%d mm", p.Type, p.WidthMM, p.HeightMM)
	}
	if err := ValidatePicture(p); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatal(err)
	}
	const px = 472 // 40 mm at 300 dpi
	if b := img.Bounds(); b.Dx() != px || b.Dy() != px {
		t.Fatalf("%v, want %d×%d", b, px, px)
	}
	red := func(x, y int) bool {
		c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
		return c == SealRed
	}
	clear := func(x, y int) bool {
		_, _, _, a := img.At(x, y).RGBA()
		return a == 0
	}
	c := px / 2
	checks := []struct {
		what string
		ok   bool
	}{
		{"corner transparent", clear(0, 0) && clear(px-1, px-1)},
		{"star centre red", red(c, c)},
		{"star top point red", red(c, c-px*17/100)},
		{"between star points transparent", clear(c+px*12/100, c-px*12/100)},
		{"ring red at top", red(c, px/100+10)},
		{"ring red at left", red(px/100+10, c)},
		{"between the star and the kind transparent", clear(c, c+px*13/100)},
		{"outside the ring transparent", clear(2, c)},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Error(ch.what)
		}
	}
	// The name is also stored as PNG text.
	if !bytes.Contains(p.Data, []byte("iTXtTitle\x00\x00\x00\x00\x00北京市海淀区测试审批专用章 11010500000001")) {
		t.Error("no iTXt Title chunk with the name and esID")
	}

	// The digits are drawn in the bottom part only: another esID changes only the lower half.
	q, err := GeneratePicture("北京市海淀区测试审批专用章", "11010588888888", 0)
	if err != nil {
		t.Fatal(err)
	}
	img2, err := png.Decode(bytes.NewReader(q.Data))
	if err != nil {
		t.Fatal(err)
	}
	diffTop, diffBottom := 0, 0
	for y := 0; y < px; y++ {
		for x := 0; x < px; x++ {
			if img.At(x, y) != img2.At(x, y) {
				if y < c {
					diffTop++
				} else {
					diffBottom++
				}
			}
		}
	}
	if diffTop != 0 || diffBottom < 100 {
		t.Errorf("esID change altered %d pixels in the top half and %d in the bottom", diffTop, diffBottom)
	}
}

func TestGeneratePictureSizes(t *testing.T) {
	for _, tt := range []struct{ mm, px int }{{10, 118}, {42, 496}, {100, 1181}} {
		p, err := GeneratePicture("章", "11010500000001", tt.mm)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != tt.px || cfg.Height != tt.px || p.WidthMM != tt.mm {
			t.Errorf("%d mm: %d×%d px, %d mm", tt.mm, cfg.Width, cfg.Height, p.WidthMM)
		}
	}
	for _, tt := range []struct {
		name, esID string
		mm         int
		detail     string
	}{
		{"章", "11010500000001", 9, "outside 10..100"},
		{"章", "11010500000001", 101, "outside 10..100"},
		{"", "11010500000001", 40, "name"},
		{"\xff", "11010500000001", 40, "name"},
		{"章", "1101050000000", 40, "14 digits"},
	} {
		_, err := GeneratePicture(tt.name, tt.esID, tt.mm)
		wantReason(t, err, InvalidOptions)
		if !strings.Contains(err.Error(), tt.detail) {
			t.Errorf("%v; want %q", err, tt.detail)
		}
	}
}

func TestValidatePicture(t *testing.T) {
	small := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	small.Set(1, 1, SealRed)
	encode := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pngData := encode(func(b *bytes.Buffer) error { return png.Encode(b, small) })
	jpgData := encode(func(b *bytes.Buffer) error { return jpeg.Encode(b, small, nil) })
	gifData := encode(func(b *bytes.Buffer) error { return gif.Encode(b, small, nil) })
	wide := encode(func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray(image.Rect(0, 0, 6000, 1))) })
	tests := []struct {
		name   string
		p      Picture
		detail string // "" means valid
	}{
		{"PNG", Picture{Type: "PNG", Data: pngData, WidthMM: 40, HeightMM: 40}, ""},
		{"png lower case", Picture{Type: "png", Data: pngData, WidthMM: 40, HeightMM: 40}, ""},
		{"JPG", Picture{Type: "JPG", Data: jpgData, WidthMM: 40, HeightMM: 30}, ""},
		{"JPEG", Picture{Type: "jpeg", Data: jpgData, WidthMM: 1, HeightMM: 1000}, ""},
		{"GIF", Picture{Type: "GIF", Data: gifData, WidthMM: 42, HeightMM: 42}, ""},
		{"no data", Picture{Type: "PNG", WidthMM: 40, HeightMM: 40}, "no image data"},
		{"BMP", Picture{Type: "BMP", Data: append([]byte("BM"), make([]byte, 60)...), WidthMM: 40, HeightMM: 40}, `picture type "BMP": use PNG, JPEG or GIF`},
		{"SVG", Picture{Type: "SVG", Data: []byte("<svg/>"), WidthMM: 40, HeightMM: 40}, "use PNG, JPEG or GIF"},
		{"PNG that is a GIF", Picture{Type: "PNG", Data: gifData, WidthMM: 40, HeightMM: 40}, "declared PNG but the data is GIF"},
		{"JPG that is a PNG", Picture{Type: "JPG", Data: pngData, WidthMM: 40, HeightMM: 40}, "declared JPG but the data is PNG"},
		{"garbage PNG", Picture{Type: "PNG", Data: []byte("hello"), WidthMM: 40, HeightMM: 40}, "data is not a PNG image"},
		{"truncated PNG", Picture{Type: "PNG", Data: pngData[:len(pngData)-20], WidthMM: 40, HeightMM: 40}, "does not decode completely"},
		{"truncated GIF", Picture{Type: "GIF", Data: gifData[:len(gifData)-8], WidthMM: 40, HeightMM: 40}, "does not decode completely"},
		{"too wide", Picture{Type: "PNG", Data: wide, WidthMM: 40, HeightMM: 40}, "6000×1 pixels"},
		{"zero size", Picture{Type: "PNG", Data: pngData, WidthMM: 0, HeightMM: 40}, "printed size 0×40 mm"},
		{"huge size", Picture{Type: "PNG", Data: pngData, WidthMM: 40, HeightMM: 1001}, "printed size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePicture(tt.p)
			if tt.detail == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantReason(t, err, BadPicture)
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("%v; want %q", err, tt.detail)
			}
		})
	}
}

// The pictures of real seals decode as what they claim, except where the seal says otherwise
// (ofd-05 declares "bmp" for a GIF: ValidatePicture rejects it, as it would a user's file).
func TestValidateRealPictures(t *testing.T) {
	for file, want := range map[string]string{
		"seals/ofdrw_UserV4.esl":                          "",
		"seals/hebeigede_SESealData_v4.der":               "",
		"ofd/ofd-05.ofd#Doc_0/Signs/Sign_1/SignValue.dat": `picture type "bmp"`,
	} {
		der := readTestObject(t, file)
		s, err := ParseSeal(der)
		if err != nil {
			sig, serr := ParseSignature(der)
			if serr != nil {
				t.Fatal(err, serr)
			}
			s = sig.Seal
		}
		err = ValidatePicture(s.Picture)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", file, err)
			}
			continue
		}
		wantReason(t, err, BadPicture)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestSniffImageType(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	var pngData, jpegData, gifData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpegData, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifData, img, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"png", pngData.Bytes(), "PNG"},
		{"jpeg", jpegData.Bytes(), "JPG"},
		{"gif", gifData.Bytes(), "GIF"},
		{"GIF87a", []byte("GIF87a rest"), "GIF"},
		{"bmp", append([]byte("BM"), make([]byte, 20)...), "BMP"},
		{"bmp header alone", []byte("BM"), ""},
		{"ofd (zip)", []byte("PK\x03\x04rest"), "OFD"},
		{"text", []byte("not an image"), ""},
		{"empty", nil, ""},
	} {
		if got := SniffImageType(tc.data); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

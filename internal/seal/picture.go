package seal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// SealRed is the colour of generated seal pictures: the red of official seal ink (#E60012).
var SealRed = color.NRGBA{R: 0xE6, G: 0x00, B: 0x12, A: 0xFF}

// DefaultPictureSizeMM is the diameter GeneratePicture uses when given 0: the 40 mm of a
// common official round seal.
const DefaultPictureSizeMM = 40

// pictureDPI is the resolution of generated pictures: print quality, 40 mm → 472 px.
const pictureDPI = 300

// Limits for ValidatePicture, so a hostile image cannot make the decoder allocate gigabytes.
const (
	maxPictureSide   = 5000
	maxPicturePixels = 25_000_000
	maxPictureMM     = 1000
)

// GeneratePicture draws a round approval-seal picture (DrawPicture) for a seal named name with
// code esID, in the system's CJK font (SystemCJKFont): the agency along the upper arc and the
// seal's kind below the star (SplitSealName), the esID's digits along the bottom. Without a CJK
// font the name is left out (use DrawPicture to know). sizeMM is the diameter (0:
// DefaultPictureSizeMM; 10 to 100), drawn at 300 dpi.
func GeneratePicture(name, esID string, sizeMM int) (Picture, error) {
	if err := ValidateESID(esID); err != nil {
		return Picture{}, err
	}
	agency, kind := SplitSealName(name)
	f, _ := SystemCJKFont()
	p, _, err := DrawPicture(PictureOptions{Agency: agency, Kind: kind, Code: esID, SizeMM: sizeMM, Font: f})
	return p, err
}

// drawSeal renders the seal into a px×px image, anti-aliased by 4×4 supersampling of a
// geometric "is this point ink?" test.
func drawSeal(px int, digits string) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, px, px))
	size := float64(px)
	c := size / 2
	outer := c - size*0.01
	ring := size * 0.045
	inner := outer - ring
	star := newStar(c, c, size*0.19)

	// Digits along the bottom, upright (tops towards the centre), reading left to right.
	cell := math.Max(1, math.Round(size/160))
	glyphH := 7 * cell
	advance := 6 * cell
	textR := inner - size*0.035 - glyphH/2 // radius of the glyphs' middle
	arc := float64(len(digits))*advance - cell
	startAngle := math.Pi/2 + arc/textR/2 // angle (y down) of the left end of the text

	ink := func(x, y float64) bool {
		dx, dy := x-c, y-c
		d := math.Hypot(dx, dy)
		if d <= outer && d >= inner {
			return true
		}
		if star.contains(x, y) {
			return true
		}
		gy := (d - (textR - glyphH/2)) / cell
		if gy < 0 || gy >= 7 || dy <= 0 {
			return false
		}
		s := (startAngle - math.Atan2(dy, dx)) * textR
		if s < 0 {
			return false
		}
		k := int(s / advance)
		if k >= len(digits) {
			return false
		}
		gx := (s - float64(k)*advance) / cell
		if gx >= 5 {
			return false
		}
		return digitFont[digits[k]-'0'][int(gy)][int(gx)] == '#'
	}

	const ss = 4
	for y := 0; y < px; y++ {
		for x := 0; x < px; x++ {
			if math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c) > outer+1 {
				continue
			}
			n := 0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					if ink(float64(x)+(float64(sx)+0.5)/ss, float64(y)+(float64(sy)+0.5)/ss) {
						n++
					}
				}
			}
			if n > 0 {
				col := SealRed
				col.A = uint8(int(col.A) * n / (ss * ss))
				img.SetNRGBA(x, y, col)
			}
		}
	}
	return img
}

// star is a regular five-pointed star, point up.
type star struct{ xs, ys [10]float64 }

func newStar(cx, cy, r float64) star {
	var s star
	innerR := r * 0.381966 // the inner vertices of a regular pentagram
	for i := 0; i < 10; i++ {
		rr := r
		if i%2 == 1 {
			rr = innerR
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		s.xs[i] = cx + rr*math.Cos(a)
		s.ys[i] = cy + rr*math.Sin(a)
	}
	return s
}

// contains is the even-odd point-in-polygon test.
func (s star) contains(x, y float64) bool {
	in := false
	for i, j := 0, 9; i < 10; j, i = i, i+1 {
		if (s.ys[i] > y) != (s.ys[j] > y) &&
			x < (s.xs[j]-s.xs[i])*(y-s.ys[i])/(s.ys[j]-s.ys[i])+s.xs[i] {
			in = !in
		}
	}
	return in
}

// digitFont is a 5×7 bitmap font for 0-9.
var digitFont = [10][7]string{
	{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	{"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	{"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
}

// addPNGText inserts an iTXt chunk (UTF-8 text) before the PNG's IEND chunk.
func addPNGText(pngData []byte, keyword, text string) ([]byte, error) {
	iend := bytes.LastIndex(pngData, []byte("IEND"))
	if iend < 4 {
		return nil, io.ErrUnexpectedEOF
	}
	iend -= 4 // the chunk starts with its 4-byte length
	var data bytes.Buffer
	data.WriteString(keyword)
	data.Write([]byte{0, 0, 0}) // keyword end, not compressed, compression method
	data.WriteByte(0)           // empty language tag
	data.WriteByte(0)           // empty translated keyword
	data.WriteString(text)
	var chunk bytes.Buffer
	_ = binary.Write(&chunk, binary.BigEndian, uint32(data.Len()))
	body := append([]byte("iTXt"), data.Bytes()...)
	chunk.Write(body)
	_ = binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(body))
	out := make([]byte, 0, len(pngData)+chunk.Len())
	out = append(out, pngData[:iend]...)
	out = append(out, chunk.Bytes()...)
	out = append(out, pngData[iend:]...)
	return out, nil
}

// ValidatePicture checks a picture supplied by a user: its bytes must decode completely as the
// declared type (PNG, JPG/JPEG or GIF, any case), within 5000×5000 pixels, and its printed size
// must be 1 to 1000 mm each way. The error's Reason is BadPicture.
func ValidatePicture(p Picture) error {
	if len(p.Data) == 0 {
		return errorf(BadPicture, "no image data")
	}
	typ := canonicalImageType(p.Type)
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch typ {
	case "PNG":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "JPG":
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	case "GIF":
		decodeConfig, decode = gif.DecodeConfig, gif.Decode
	default:
		return errorf(BadPicture, "picture type %q: use PNG, JPEG or GIF", p.Type)
	}
	if sniffed := SniffImageType(p.Data); sniffed != "" && sniffed != typ {
		return errorf(BadPicture, "declared %s but the data is %s", typ, sniffed)
	}
	cfg, err := decodeConfig(bytes.NewReader(p.Data))
	if err != nil {
		return wrapErr(BadPicture, err, "data is not a %s image", typ)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPictureSide || cfg.Height > maxPictureSide ||
		cfg.Width*cfg.Height > maxPicturePixels {
		return errorf(BadPicture, "image of %d×%d pixels (limit %d per side)", cfg.Width, cfg.Height, maxPictureSide)
	}
	if _, err := decode(bytes.NewReader(p.Data)); err != nil {
		return wrapErr(BadPicture, err, "%s image does not decode completely", typ)
	}
	if p.WidthMM < 1 || p.HeightMM < 1 || p.WidthMM > maxPictureMM || p.HeightMM > maxPictureMM {
		return errorf(BadPicture, "printed size %d×%d mm (each must be 1 to %d)", p.WidthMM, p.HeightMM, maxPictureMM)
	}
	return nil
}

// PictureOptions describes a generated seal picture, as official round seals are engraved
// (GA 241-2000; e-seal pictures copy them).
type PictureOptions struct {
	// Agency is set along the upper arc, clockwise from lower left to lower right; Kind, the
	// seal's purpose (行政审批专用章), horizontally below the star.
	Agency, Kind string
	// Code runs small along the bottom inside the ring (the esID; its digits are drawn).
	Code string
	// SizeMM is the diameter: 0 means DefaultPictureSizeMM; 10 to 100.
	SizeMM int
	// Font draws the Chinese text. nil draws the ring, the star and the code only, and a
	// warning says so.
	Font *Font
}

// DrawPicture draws a round seal picture (PNG, transparent background, 300 dpi): a red ring, a
// five-pointed star, the agency's name along the upper arc and the seal's kind below the star in
// the given font, the code along the bottom. The warnings say what could not be drawn (no font,
// characters the font lacks: those are left out, never drawn as boxes).
func DrawPicture(o PictureOptions) (Picture, []string, error) {
	if o.SizeMM == 0 {
		o.SizeMM = DefaultPictureSizeMM
	}
	if o.SizeMM < 10 || o.SizeMM > 100 {
		return Picture{}, nil, errorf(InvalidOptions, "picture size %d mm outside 10..100", o.SizeMM)
	}
	if o.Agency == "" || !utf8.ValidString(o.Agency) || !utf8.ValidString(o.Kind) {
		return Picture{}, nil, errorf(InvalidOptions, "seal name must be non-empty UTF-8")
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, o.Code)
	px := int(math.Round(float64(o.SizeMM) * pictureDPI / 25.4))
	img := drawSeal(px, digits)
	var warnings []string
	if o.Font == nil {
		warnings = append(warnings, "no CJK font: the seal's name and kind are not drawn (install a Song/Ming font such as fonts-arphic-uming, or give one)")
	} else {
		if miss := o.Font.Missing(o.Agency + o.Kind); len(miss) > 0 {
			warnings = append(warnings, fmt.Sprintf("the font %s has no glyph for %q: left out", o.Font.Path, string(miss)))
		}
		if err := drawText(img, o.Font, o.Agency, o.Kind); err != nil {
			return Picture{}, nil, wrapErr(InvalidOptions, err, "drawing the text")
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return Picture{}, nil, wrapErr(InvalidOptions, err, "encoding PNG")
	}
	data, err := addPNGText(buf.Bytes(), "Title", strings.TrimSpace(o.Agency+o.Kind+" "+o.Code))
	if err != nil {
		return Picture{}, nil, wrapErr(InvalidOptions, err, "PNG text")
	}
	return Picture{Type: "PNG", Data: data, WidthMM: o.SizeMM, HeightMM: o.SizeMM}, warnings, nil
}

// SplitSealName splits a seal's name into the agency set along the arc and the kind set below
// the star: "杭州市行政审批局行政审批专用章" is 杭州市行政审批局 and 行政审批专用章. A name with no
// recognisable agency ending is all agency.
func SplitSealName(name string) (agency, kind string) {
	if !strings.HasSuffix(name, "章") {
		return name, ""
	}
	best := -1
	for _, end := range []string{"局", "厅", "委员会", "政府", "中心", "办公室", "院", "委", "部", "处", "所", "公司"} {
		if i := strings.LastIndex(name, end); i > 0 && i+len(end) < len(name) && i+len(end) > best {
			best = i + len(end)
		}
	}
	if best < 0 {
		return name, ""
	}
	return name[:best], name[best:]
}

// drawText sets the agency along the upper arc and the kind below the star, glyph by glyph.
func drawText(img *image.NRGBA, f *Font, agency, kind string) error {
	size := float64(img.Bounds().Dx())
	c := size / 2
	inner := c - size*0.01 - size*0.045 // the ring's inner edge (drawSeal)
	runes := []rune(agency)
	n := float64(len(runes))
	glyph := size * 0.13
	// Wider names get smaller glyphs; the arc spans at most 250 degrees.
	for glyph > size*0.06 && n*glyph*1.02/(inner-glyph*0.62) > 250*math.Pi/180 {
		glyph *= 0.95
	}
	radius := inner - glyph*0.62
	step := glyph * 1.02 / radius
	face, err := opentype.NewFace(f.f, &opentype.FaceOptions{Size: glyph, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return err
	}
	defer face.Close()
	for i, r := range runes {
		theta := (float64(i) - (n-1)/2) * step // 0 at the top, clockwise
		x, y := c+radius*math.Sin(theta), c-radius*math.Cos(theta)
		drawGlyph(img, f, face, r, x, y, theta)
	}
	kr := []rune(kind)
	if len(kr) == 0 {
		return nil
	}
	kg := size * 0.075
	if w := kg * float64(len(kr)); w > size*0.5 {
		kg = size * 0.5 / float64(len(kr))
	}
	kface, err := opentype.NewFace(f.f, &opentype.FaceOptions{Size: kg, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return err
	}
	defer kface.Close()
	start := c - kg*float64(len(kr))/2 + kg/2
	for i, r := range kr {
		drawGlyph(img, f, kface, r, start+float64(i)*kg, c+size*0.225, 0)
	}
	return nil
}

// drawGlyph draws rune r of face centred at (x, y), turned by theta radians clockwise, in
// SealRed over what is there. A rune the face lacks is left out.
func drawGlyph(img *image.NRGBA, f *Font, face font.Face, r rune, x, y, theta float64) {
	if len(f.Missing(string(r))) > 0 {
		return // the font would draw a box
	}
	m := face.Metrics()
	dr, mask, mp, adv, ok := face.Glyph(fixed.P(0, m.Ascent.Round()), r)
	if !ok || dr.Empty() {
		return
	}
	// The glyph's own box, centred on its advance and its em box.
	cx := float64(adv) / 64 / 2
	cy := float64(m.Ascent.Round()+m.Descent.Round()) / 2
	hw := math.Hypot(float64(dr.Dx()), float64(dr.Dy()))
	sin, cos := math.Sin(theta), math.Cos(theta)
	b := img.Bounds()
	at := func(ix, iy int) float64 {
		if !(image.Point{ix, iy}.In(dr)) {
			return 0
		}
		_, _, _, a := mask.At(mp.X+ix-dr.Min.X, mp.Y+iy-dr.Min.Y).RGBA()
		return float64(a) / 0xffff
	}
	// Bilinear: the glyph's coverage between its pixels' centres.
	alpha := func(gx, gy float64) float64 {
		gx, gy = gx-0.5, gy-0.5
		ix, iy := int(math.Floor(gx)), int(math.Floor(gy))
		fx, fy := gx-float64(ix), gy-float64(iy)
		return (at(ix, iy)*(1-fx)+at(ix+1, iy)*fx)*(1-fy) + (at(ix, iy+1)*(1-fx)+at(ix+1, iy+1)*fx)*fy
	}
	for py := int(y - hw); py <= int(y+hw); py++ {
		for pxx := int(x - hw); pxx <= int(x+hw); pxx++ {
			if !(image.Point{pxx, py}.In(b)) {
				continue
			}
			// Back from the picture to the upright glyph: turn by -theta about the centre.
			dx, dy := float64(pxx)+0.5-x, float64(py)+0.5-y
			gx := cos*dx + sin*dy + cx
			gy := -sin*dx + cos*dy + cy
			a := alpha(gx, gy)
			if a == 0 {
				continue
			}
			old := img.NRGBAAt(pxx, py)
			na := float64(old.A)/255 + a*(1-float64(old.A)/255)
			img.SetNRGBA(pxx, py, color.NRGBA{SealRed.R, SealRed.G, SealRed.B, uint8(math.Round(na * 255))})
		}
	}
}

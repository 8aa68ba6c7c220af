package seal

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"unicode/utf8"
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

// GeneratePicture draws a round approval-seal picture as a PNG with a transparent background:
// a red ring, a five-pointed star in the middle, and esID's digits along the bottom inside the
// ring, in a built-in bitmap digit font. The Chinese name is NOT drawn: Go ships no CJK font and
// the picture is made without one; it is stored instead as the PNG's iTXt "Title" text, so the
// image still says whose seal it is. Use your own picture (ValidatePicture) where the engraved
// name must be visible. sizeMM is the diameter (0: DefaultPictureSizeMM; 10 to 100), drawn at
// 300 dpi.
func GeneratePicture(name, esID string, sizeMM int) (Picture, error) {
	if sizeMM == 0 {
		sizeMM = DefaultPictureSizeMM
	}
	if sizeMM < 10 || sizeMM > 100 {
		return Picture{}, errorf(InvalidOptions, "picture size %d mm outside 10..100", sizeMM)
	}
	if name == "" || !utf8.ValidString(name) {
		return Picture{}, errorf(InvalidOptions, "seal name must be non-empty UTF-8")
	}
	if err := ValidateESID(esID); err != nil {
		return Picture{}, err
	}
	px := int(math.Round(float64(sizeMM) * pictureDPI / 25.4))
	img := drawSeal(px, esID)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return Picture{}, wrapErr(InvalidOptions, err, "encoding PNG")
	}
	data, err := addPNGText(buf.Bytes(), "Title", name+" "+esID)
	if err != nil {
		return Picture{}, wrapErr(InvalidOptions, err, "PNG text")
	}
	return Picture{Type: "PNG", Data: data, WidthMM: sizeMM, HeightMM: sizeMM}, nil
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
	cell := math.Max(1, math.Round(size/120))
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

package sign

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // seal pictures come as PNG, JPG or GIF
	_ "image/jpeg"
	"image/png"
	"strings"
	"sync"

	"github.com/eseal/eseal/internal/seal"
)

const (
	// maxPictureSide bounds the appearance image: pdfsign embeds it as raw RGB (Flate), so a
	// 4000-pixel scan would add tens of megabytes to every sealed copy. 1024 pixels over a
	// 40 mm seal is about 650 dpi.
	maxPictureSide = 1024
	// maxPaddedSide bounds the image after padding it to the rectangle's aspect ratio.
	maxPaddedSide = 2048
	// whiteKnockout: in a picture without any transparency, pixels whose three channels are
	// all at least this light are made transparent, so a JPG seal on a white background
	// does not hide the text under it, as a real stamp would not.
	whiteKnockout = 0xF0
)

// appearancePicture turns the seal picture into the PNG pdfsign draws: decoded whatever its
// declared type (real seals mislabel), with an alpha channel, at most maxPictureSide pixels,
// turned against the page's /Rotate so it reads upright, and padded with transparency to the
// aspect ratio of the rectangle (pdfsign stretches the image to the rectangle).
func appearancePicture(p seal.Picture, rotate int, rectW, rectH float64) ([]byte, error) {
	key := pictureKey{sha256.Sum256(p.Data), strings.ToUpper(p.Type), rotate, fmt.Sprintf("%.4f", rectW/rectH)}
	if b, ok := pictures.get(key); ok {
		return b, nil
	}
	b, err := convertPicture(p, rotate, rectW, rectH)
	if err == nil {
		pictures.put(key, b)
	}
	return b, err
}

// pictureKey identifies a conversion: a service seals many documents with the same seal at
// the same place, and the conversion costs more than the rest of pdfsign's work.
type pictureKey struct {
	data   [32]byte
	typ    string
	rotate int
	aspect string
}

// pictureCache keeps a few recent conversions (about 1 MB each).
type pictureCache struct {
	mu sync.Mutex
	m  map[pictureKey][]byte
}

const pictureCacheSize = 8

var pictures = &pictureCache{m: map[pictureKey][]byte{}}

func (c *pictureCache) get(k pictureKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *pictureCache) put(k pictureKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= pictureCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = b
}

func convertPicture(p seal.Picture, rotate int, rectW, rectH float64) ([]byte, error) {
	if len(p.Data) == 0 {
		return nil, errorf(BadPicture, nil, "the seal has no picture")
	}
	switch strings.ToUpper(p.Type) {
	case "SVG", "OFD":
		return nil, errorf(BadPicture, nil, "picture type %s cannot be drawn in a PDF appearance", p.Type)
	}
	src, format, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		return nil, errorf(BadPicture, err, "picture declared as %q does not decode as PNG, JPEG or GIF", p.Type)
	}
	b := src.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return nil, errorf(BadPicture, nil, "picture is empty (%dx%d)", b.Dx(), b.Dy())
	}
	img := toNRGBA(src)
	if format == "jpeg" || isOpaque(img) {
		knockOutWhite(img)
	}
	if k := (max(img.Rect.Dx(), img.Rect.Dy()) + maxPictureSide - 1) / maxPictureSide; k > 1 {
		img = shrink(img, k)
	}
	img = rotateForPage(img, rotate)
	img = padToAspect(img, rectW/rectH)
	var buf bytes.Buffer
	// pdfsign decodes this PNG at once and recompresses the pixels itself: skip compressing.
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, errorf(BadPicture, err, "re-encoding the picture")
	}
	return buf.Bytes(), nil
}

func toNRGBA(src image.Image) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	return dst
}

func isOpaque(img *image.NRGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xFF {
			return false
		}
	}
	return true
}

func knockOutWhite(img *image.NRGBA) {
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i] >= whiteKnockout && img.Pix[i+1] >= whiteKnockout && img.Pix[i+2] >= whiteKnockout {
			img.Pix[i+3] = 0
		}
	}
}

// shrink reduces img by an integer factor k, averaging each k×k block (weighted by alpha,
// so transparent pixels do not darken the edges).
func shrink(img *image.NRGBA, k int) *image.NRGBA {
	w, h := (img.Rect.Dx()+k-1)/k, (img.Rect.Dy()+k-1)/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, b, a, n int
			for yy := y * k; yy < min((y+1)*k, img.Rect.Dy()); yy++ {
				for xx := x * k; xx < min((x+1)*k, img.Rect.Dx()); xx++ {
					c := img.NRGBAAt(xx, yy)
					al := int(c.A)
					r += int(c.R) * al
					g += int(c.G) * al
					b += int(c.B) * al
					a += al
					n++
				}
			}
			if a > 0 {
				dst.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / n)})
			}
		}
	}
	return dst
}

// rotateForPage turns img counter-clockwise by the page's /Rotate (which viewers apply
// clockwise), so the seal reads upright on screen and paper.
func rotateForPage(img *image.NRGBA, rotate int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var dst *image.NRGBA
	switch rotate {
	case 90:
		dst = image.NewNRGBA(image.Rect(0, 0, h, w))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst.SetNRGBA(y, w-1-x, img.NRGBAAt(x, y))
			}
		}
	case 180:
		dst = image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst.SetNRGBA(w-1-x, h-1-y, img.NRGBAAt(x, y))
			}
		}
	case 270:
		dst = image.NewNRGBA(image.Rect(0, 0, h, w))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst.SetNRGBA(h-1-y, x, img.NRGBAAt(x, y))
			}
		}
	default:
		return img
	}
	return dst
}

// padToAspect centres img on a transparent canvas of the given width/height ratio, so the
// seal keeps its proportions when pdfsign stretches the image over the rectangle.
func padToAspect(img *image.NRGBA, aspect float64) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := w, h
	if float64(w)/float64(h) < aspect {
		cw = int(float64(h)*aspect + 0.5)
	} else {
		ch = int(float64(w)/aspect + 0.5)
	}
	if cw == w && ch == h || cw < 1 || ch < 1 {
		return img
	}
	if k := (max(cw, ch) + maxPaddedSide - 1) / maxPaddedSide; k > 1 {
		small := shrink(img, k)
		if small.Rect.Dx() == w && small.Rect.Dy() == h {
			return img // a 1-pixel picture on an absurd rectangle: stretch it
		}
		return padToAspect(small, aspect)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, cw, ch))
	ox, oy := (cw-w)/2, (ch-h)/2
	for y := 0; y < h; y++ {
		copy(dst.Pix[(oy+y)*dst.Stride+ox*4:], img.Pix[y*img.Stride:y*img.Stride+w*4])
	}
	return dst
}

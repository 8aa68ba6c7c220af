package sign

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // seal pictures come as PNG, JPG or GIF
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strings"
	"sync"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/seal"
)

const (
	// maxPictureSide bounds the appearance image: it is embedded as raw RGB (Flate), so a
	// 4000-pixel scan would add tens of megabytes to every sealed copy. 1024 pixels over a
	// 40 mm seal is about 650 dpi.
	maxPictureSide = 1024
	// maxPaddedSide bounds the image after padding it to the rectangle's aspect ratio.
	maxPaddedSide = 2048
	// whiteKnockout: in a picture without any transparency, pixels whose three channels are
	// all at least this light are made transparent, so a JPG seal on a white background
	// does not hide the text under it, as a real stamp would not.
	whiteKnockout = 0xF0
	// pictureCompression: the conversion is cached, but a one-off signing (the CLI) pays it.
	// On a 496-pixel seal, the fastest level takes 2.2 ms for 21 KB, the default 6.6 ms for
	// 15 KB, the best 100 ms for 12 KB.
	pictureCompression = zlib.BestSpeed
)

// appearanceImage turns the seal picture into the image XObject drawn in the widget's
// appearance: decoded whatever its declared type (real seals mislabel), with an alpha channel,
// at most maxPictureSide pixels, turned against the page's /Rotate so it reads upright, and
// padded with transparency to the aspect ratio of the rectangle (the appearance stretches the
// image over the rectangle). The conversion is done once per seal and placement, and cached.
func appearanceImage(p seal.Picture, rotate int, rectW, rectH float64) (*imageXObject, error) {
	key := pictureKey{sha256.Sum256(p.Data), strings.ToUpper(p.Type), rotate, fmt.Sprintf("%.4f", rectW/rectH)}
	if x, ok := pictures.get(key); ok {
		return x, nil
	}
	img, err := convertPicture(p, rotate, rectW, rectH)
	if err != nil {
		return nil, err
	}
	x, err := newImageXObject(img)
	if err != nil {
		return nil, errorf(BadPicture, err, "compressing the picture")
	}
	pictures.put(key, x)
	return x, nil
}

// imageXObject is a picture in PDF form: 8-bit RGB and, for the /SMask, 8-bit alpha, each
// compressed for /FlateDecode.
type imageXObject struct {
	width, height int
	rgb, alpha    []byte
}

// newImageXObject separates img into RGB and alpha samples. The colours are not
// premultiplied, as an /SMask without /Matte requires (premultiplied colours would darken the
// anti-aliased edges).
func newImageXObject(img *image.NRGBA) (*imageXObject, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	rgb := make([]byte, 0, 3*w*h)
	alpha := make([]byte, 0, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for i := 0; i < len(row); i += 4 {
			rgb = append(rgb, row[i], row[i+1], row[i+2])
			alpha = append(alpha, row[i+3])
		}
	}
	zw, err := zlib.NewWriterLevel(io.Discard, pictureCompression)
	if err != nil {
		return nil, err
	}
	x := &imageXObject{width: w, height: h}
	if x.rgb, err = deflate(zw, rgb); err != nil {
		return nil, err
	}
	if x.alpha, err = deflate(zw, alpha); err != nil {
		return nil, err
	}
	return x, nil
}

// deflate compresses b for /FlateDecode (a zlib stream) with zw, reset for it.
func deflate(zw *zlib.Writer, b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pdfImage is the picture as the PDF writer takes it: RGB with an alpha soft mask.
func (x *imageXObject) pdfImage() *pdf.Image {
	return &pdf.Image{Width: x.width, Height: x.height, ColorSpace: "DeviceRGB", Filter: "FlateDecode", Data: x.rgb,
		SMask: &pdf.Image{Width: x.width, Height: x.height, ColorSpace: "DeviceGray", Filter: "FlateDecode", Data: x.alpha}}
}

// pictureKey identifies a conversion: a service seals many documents with the same seal at
// the same place.
type pictureKey struct {
	data   [32]byte
	typ    string
	rotate int
	aspect string
}

// pictureCache keeps a few recent conversions (tens of kilobytes each).
type pictureCache struct {
	mu sync.Mutex
	m  map[pictureKey]*imageXObject
}

const pictureCacheSize = 8

var pictures = &pictureCache{m: map[pictureKey]*imageXObject{}}

func (c *pictureCache) get(k pictureKey) (*imageXObject, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.m[k]
	return x, ok
}

func (c *pictureCache) put(k pictureKey, x *imageXObject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= pictureCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = x
}

func convertPicture(p seal.Picture, rotate int, rectW, rectH float64) (*image.NRGBA, error) {
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
	return padToAspect(img, rectW/rectH), nil
}

// toNRGBA returns src as an *image.NRGBA with its origin at 0,0: src itself if it is one
// (convertPicture's freshly decoded picture, which it may then change), else a copy.
func toNRGBA(src image.Image) *image.NRGBA {
	if n, ok := src.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
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

package seal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// Font is a parsed font for seal pictures: the first face of a TrueType/OpenType file or
// collection.
type Font struct {
	Path string
	f    *sfnt.Font
}

// maxFontSize bounds a font file read for pictures (CJK collections are 10 to 40 MB).
const maxFontSize = 128 << 20

// LoadFont reads a TrueType or OpenType font, or the first font of a collection (.ttc).
func LoadFont(path string) (*Font, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxFontSize {
		return nil, fmt.Errorf("seal: font %s: not a regular file of at most %d bytes", path, maxFontSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFont(path, data)
}

// ParseFont parses font data (a font or a collection); name is for messages.
func ParseFont(name string, data []byte) (*Font, error) {
	f, err := firstFont(data)
	if err != nil {
		// Common CJK collections (AR PL UMing, WenQuanYi) place tables at offsets that are not
		// multiples of four, which the parser refuses: copy the first font's tables out aligned.
		aligned, aerr := alignFirstFont(data)
		if aerr != nil {
			return nil, fmt.Errorf("seal: font %s: %w", name, err)
		}
		if f, err = firstFont(aligned); err != nil {
			return nil, fmt.Errorf("seal: font %s: %w", name, err)
		}
	}
	return &Font{Path: name, f: f}, nil
}

func firstFont(data []byte) (*sfnt.Font, error) {
	c, err := sfnt.ParseCollection(data)
	if err != nil {
		return nil, err
	}
	return c.Font(0)
}

// FirstFont is the first font of a font file or collection as a single font file, its tables
// on four-byte boundaries and their bytes unchanged (for writers that embed a font).
func FirstFont(data []byte) ([]byte, error) { return alignFirstFont(data) }

// alignFirstFont rewrites the first font of a font file or collection as a single font whose
// tables start on four-byte boundaries, the table bytes unchanged.
func alignFirstFont(data []byte) ([]byte, error) {
	u32 := func(b []byte) uint32 { return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) }
	if len(data) < 12 {
		return nil, errors.New("too short")
	}
	off := uint32(0)
	if string(data[:4]) == "ttcf" {
		if len(data) < 16 {
			return nil, errors.New("too short")
		}
		off = u32(data[12:16])
	}
	if uint64(off)+12 > uint64(len(data)) {
		return nil, errors.New("bad offset")
	}
	n := int(data[off+4])<<8 | int(data[off+5])
	dir := uint64(off) + 12
	if n == 0 || n > 256 || dir+uint64(n)*16 > uint64(len(data)) {
		return nil, errors.New("bad table directory")
	}
	out := make([]byte, 12+16*n, len(data))
	copy(out, data[off:off+12])
	for i := range n {
		rec := data[dir+uint64(i)*16 : dir+uint64(i)*16+16]
		o, l := uint64(u32(rec[8:12])), uint64(u32(rec[12:16]))
		if o+l > uint64(len(data)) {
			return nil, errors.New("table past the end")
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		at := uint32(len(out))
		out = append(out, data[o:o+l]...)
		copy(out[12+16*i:], rec[:8])
		out[12+16*i+8], out[12+16*i+9], out[12+16*i+10], out[12+16*i+11] = byte(at>>24), byte(at>>16), byte(at>>8), byte(at)
		copy(out[12+16*i+12:], rec[12:16])
	}
	return out, nil
}

// Missing lists the characters of s the font has no glyph for (it would draw them as boxes).
func (f *Font) Missing(s string) []rune {
	var b sfnt.Buffer
	var out []rune
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if i, err := f.f.GlyphIndex(&b, r); err != nil || i == 0 {
			out = append(out, r)
		}
	}
	return out
}

// ErrNoCJKFont: no font with Chinese glyphs was found on the system.
var ErrNoCJKFont = errors.New("seal: no CJK font found (install a Song/Ming font such as fonts-arphic-uming, or give one with --font)")

var systemFont = sync.OnceValues(findSystemFont)

// SystemCJKFont finds a font with Chinese glyphs: fontconfig's list, preferring a Song/Ming
// (serif) face, the typeface of official seals; without fontconfig, the usual font directories.
// The answer is looked up once per process.
func SystemCJKFont() (*Font, error) { return systemFont() }

func findSystemFont() (*Font, error) {
	var candidates []string
	if out, err := exec.Command("fc-list", "-f", "%{file}\n", ":lang=zh").Output(); err == nil {
		candidates = strings.Fields(string(out))
	}
	for _, dir := range []string{"/usr/share/fonts", "/usr/local/share/fonts"} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isCJKFontName(p) {
				candidates = append(candidates, p)
			}
			return nil
		})
	}
	// The same fonts give the same choice, whatever order fontconfig lists them in.
	sort.Slice(candidates, func(i, j int) bool {
		ri, rj := fontRank(candidates[i]), fontRank(candidates[j])
		return ri < rj || ri == rj && candidates[i] < candidates[j]
	})
	for _, p := range candidates {
		f, err := LoadFont(p)
		if err == nil && len(f.Missing("行政审批专用章")) == 0 {
			return f, nil
		}
	}
	return nil, ErrNoCJKFont
}

func isCJKFontName(p string) bool {
	l := strings.ToLower(filepath.Base(p))
	for _, k := range []string{"uming", "ukai", "cjk", "wqy", "song", "simsun", "fang", "hei"} {
		if strings.Contains(l, k) {
			return strings.HasSuffix(l, ".ttf") || strings.HasSuffix(l, ".ttc") || strings.HasSuffix(l, ".otf") || strings.HasSuffix(l, ".otc")
		}
	}
	return false
}

// fontRank orders fonts: Song/Ming faces first, then the others.
func fontRank(p string) int {
	l := strings.ToLower(p)
	switch {
	case strings.Contains(l, "uming"), strings.Contains(l, "serifcjk"), strings.Contains(l, "song"), strings.Contains(l, "simsun"):
		return 0
	case strings.Contains(l, "cjk"), strings.Contains(l, "wqy"):
		return 1
	}
	return 2
}

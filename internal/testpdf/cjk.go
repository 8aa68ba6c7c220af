package testpdf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode/utf16"

	"golang.org/x/image/font/sfnt"

	"github.com/eseal/eseal/internal/seal"
)

// cjkFont is a TrueType font cut down to the glyphs a document uses, for embedding in a PDF as
// a CIDFontType2 with Identity-H encoding: character codes are glyph IDs.
type cjkFont struct {
	name       string // PostScript-like base name, with a subset tag
	data       []byte // the subset font file (FontFile2)
	unitsPerEm int
	gids       map[rune]uint16
	advance    map[uint16]int // in font units
	ascent     int
	descent    int
	bbox       [4]int
}

// loadCJKFont finds the system's CJK font (seal.SystemCJKFont) and cuts it down to the
// characters of text.
func loadCJKFont(text string) (*cjkFont, error) {
	f, err := seal.SystemCJKFont()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	one, err := seal.FirstFont(raw)
	if err != nil {
		return nil, err
	}
	return subsetFont(one, text)
}

type table struct{ off, n uint32 }

func subsetFont(data []byte, text string) (*cjkFont, error) {
	be := binary.BigEndian
	if len(data) < 12 {
		return nil, errors.New("font too short")
	}
	tables := map[string]table{}
	n := int(be.Uint16(data[4:]))
	for i := range n {
		rec := data[12+16*i:]
		tables[string(rec[:4])] = table{be.Uint32(rec[8:]), be.Uint32(rec[12:])}
	}
	get := func(tag string) ([]byte, error) {
		t, ok := tables[tag]
		if !ok || uint64(t.off)+uint64(t.n) > uint64(len(data)) {
			return nil, fmt.Errorf("font has no usable %s table", tag)
		}
		return data[t.off : t.off+t.n], nil
	}
	head, err := get("head")
	if err != nil {
		return nil, err
	}
	maxp, err := get("maxp")
	if err != nil {
		return nil, err
	}
	hhea, err := get("hhea")
	if err != nil {
		return nil, err
	}
	hmtx, err := get("hmtx")
	if err != nil {
		return nil, err
	}
	loca, err := get("loca")
	if err != nil {
		return nil, err
	}
	glyf, err := get("glyf")
	if err != nil {
		return nil, err
	}
	numGlyphs := int(be.Uint16(maxp[4:]))
	longLoca := be.Uint16(head[50:]) == 1
	offset := func(g int) uint32 {
		if longLoca {
			return be.Uint32(loca[4*g:])
		}
		return uint32(be.Uint16(loca[2*g:])) * 2
	}
	numHMetrics := int(be.Uint16(hhea[34:]))
	adv := func(g int) int {
		if g >= numHMetrics {
			g = numHMetrics - 1
		}
		return int(be.Uint16(hmtx[4*g:]))
	}
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	c := &cjkFont{unitsPerEm: int(be.Uint16(head[18:])), gids: map[rune]uint16{}, advance: map[uint16]int{},
		ascent: int(int16(be.Uint16(hhea[4:]))), descent: int(int16(be.Uint16(hhea[6:])))}
	for i := range 4 {
		c.bbox[i] = int(int16(be.Uint16(head[36+2*i:])))
	}
	used := map[int]bool{0: true}
	var buf sfnt.Buffer
	for _, r := range text {
		g, err := sf.GlyphIndex(&buf, r)
		if err != nil || g == 0 {
			continue
		}
		c.gids[r] = uint16(g)
		c.advance[uint16(g)] = adv(int(g))
		used[int(g)] = true
	}
	// Composite glyphs need their components.
	var addComponents func(g int)
	addComponents = func(g int) {
		if g+1 > numGlyphs {
			return
		}
		b := glyf[offset(g):offset(g+1)]
		if len(b) < 10 || int16(be.Uint16(b)) >= 0 {
			return
		}
		p := 10
		for p+4 <= len(b) {
			flags, comp := be.Uint16(b[p:]), int(be.Uint16(b[p+2:]))
			if !used[comp] {
				used[comp] = true
				addComponents(comp)
			}
			p += 4
			if flags&0x0001 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x0008 != 0:
				p += 2
			case flags&0x0040 != 0:
				p += 4
			case flags&0x0080 != 0:
				p += 8
			}
			if flags&0x0020 == 0 {
				break
			}
		}
	}
	for g := range used {
		addComponents(g)
	}
	// glyf with only the used glyphs' outlines; every other glyph empty. loca in long form.
	var newGlyf bytes.Buffer
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		be.PutUint32(newLoca[4*g:], uint32(newGlyf.Len()))
		if used[g] {
			newGlyf.Write(glyf[offset(g):offset(g+1)])
			for newGlyf.Len()%4 != 0 {
				newGlyf.WriteByte(0)
			}
		}
	}
	be.PutUint32(newLoca[4*numGlyphs:], uint32(newGlyf.Len()))
	newHead := bytes.Clone(head)
	be.PutUint32(newHead[8:], 0) // checkSumAdjustment: not kept
	be.PutUint16(newHead[50:], 1)
	out := map[string][]byte{"head": newHead, "hhea": hhea, "maxp": maxp, "hmtx": hmtx, "loca": newLoca, "glyf": newGlyf.Bytes()}
	for _, tag := range []string{"cvt ", "fpgm", "prep"} {
		if t, err := get(tag); err == nil {
			out[tag] = t
		}
	}
	c.data = writeFont(out)
	c.name = "ESEALA+" + strings.ReplaceAll(fontName(sf), " ", "")
	return c, nil
}

func fontName(f *sfnt.Font) string {
	var b sfnt.Buffer
	if s, err := f.Name(&b, sfnt.NameIDPostScript); err == nil && s != "" {
		return s
	}
	return "CJK"
}

// writeFont writes a TrueType file of the given tables, in tag order.
func writeFont(tables map[string][]byte) []byte {
	be := binary.BigEndian
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	var out bytes.Buffer
	hdr := make([]byte, 12+16*n)
	be.PutUint32(hdr, 0x00010000)
	be.PutUint16(hdr[4:], uint16(n))
	sr, es := 1, 0
	for sr*2 <= n {
		sr *= 2
		es++
	}
	be.PutUint16(hdr[6:], uint16(sr*16))
	be.PutUint16(hdr[8:], uint16(es))
	be.PutUint16(hdr[10:], uint16(n*16-sr*16))
	off := uint32(len(hdr))
	var body bytes.Buffer
	for i, t := range tags {
		d := tables[t]
		rec := hdr[12+16*i:]
		copy(rec, t)
		be.PutUint32(rec[4:], checksum(d))
		be.PutUint32(rec[8:], off+uint32(body.Len()))
		be.PutUint32(rec[12:], uint32(len(d)))
		body.Write(d)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(hdr)
	out.Write(body.Bytes())
	return out.Bytes()
}

func checksum(d []byte) uint32 {
	var s uint32
	for i := 0; i < len(d); i += 4 {
		var w [4]byte
		copy(w[:], d[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

// hex is the text as Identity-H character codes: the glyph IDs, two bytes each, in hex.
func (c *cjkFont) hex(text string) string {
	var b strings.Builder
	for _, r := range text {
		fmt.Fprintf(&b, "%04X", c.gids[r])
	}
	return "<" + b.String() + ">"
}

// width is the text's advance in PDF text space units per 1000 of the font size.
func (c *cjkFont) width(text string) int {
	w := 0
	for _, r := range text {
		w += c.advance[c.gids[r]] * 1000 / c.unitsPerEm
	}
	return w
}

// objects writes the font's PDF objects from number first on: the Type0 font (first), the
// CIDFont, the descriptor, the font file and the ToUnicode CMap.
func (c *cjkFont) objects(w *Writer, first int) error {
	gids := make([]int, 0, len(c.advance))
	for g := range c.advance {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	var widths strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&widths, "%d [%d] ", g, c.advance[uint16(g)]*1000/c.unitsPerEm)
	}
	scale := func(v int) int { return v * 1000 / c.unitsPerEm }
	w.Obj(first, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", c.name, first+1, first+4))
	w.Obj(first+1, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W [%s] >>",
		c.name, first+2, strings.TrimSpace(widths.String())))
	w.Obj(first+2, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 6 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
		c.name, scale(c.bbox[0]), scale(c.bbox[1]), scale(c.bbox[2]), scale(c.bbox[3]), scale(c.ascent), scale(c.descent), scale(c.ascent), first+3))
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(c.data)
	if err := zw.Close(); err != nil {
		return err
	}
	w.Stream(first+3, fmt.Sprintf("/Filter /FlateDecode /Length1 %d", len(c.data)), z.String())
	var cmap strings.Builder
	cmap.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	runes := make([]rune, 0, len(c.gids))
	for r := range c.gids {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return c.gids[runes[i]] < c.gids[runes[j]] })
	for i := 0; i < len(runes); i += 100 {
		chunk := runes[i:min(i+100, len(runes))]
		fmt.Fprintf(&cmap, "%d beginbfchar\n", len(chunk))
		for _, r := range chunk {
			var u strings.Builder
			for _, v := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&u, "%04X", v)
			}
			fmt.Fprintf(&cmap, "<%04X> <%s>\n", c.gids[r], u.String())
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
	w.Stream(first+4, "", cmap.String())
	return nil
}

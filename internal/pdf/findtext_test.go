package pdf

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/eseal/eseal/internal/testpdf"
)

func near(a, b [4]float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 0.5 {
			return false
		}
	}
	return true
}

// TestFindTextLicence: on the sample licence, the authority's name in the embedded CJK font
// (Identity-H codes read through its ToUnicode map) and an English name in Helvetica are found
// where they are drawn.
func TestFindTextLicence(t *testing.T) {
	data := testpdf.DefaultLicence.Bytes()
	d := openBytes(t, data)
	// 杭州市行政审批局: 8 CJK characters, 14 pt, at 370,300; UMing's advance is one em.
	box, err := d.FindText(1, "杭州市行政审批局")
	if err != nil || !near(box, [4]float64{370, 300 - 0.2*14, 370 + 8*14, 300 + 0.8*14}) {
		t.Errorf("authority: %v %v", box, err)
	}
	// "Hangzhou" after "Holder: " in 11 pt Helvetica without /Widths: half an em a character.
	box, err = d.FindText(1, "Hangzhou Example")
	if err != nil || !near(box, [4]float64{72 + 8*5.5, 536 - 2.2, 72 + 24*5.5, 536 + 8.8}) {
		t.Errorf("holder: %v %v", box, err)
	}
	if _, err := d.FindText(1, "上海市"); !errors.Is(err, ErrTextNotFound) {
		t.Errorf("absent text: %v", err)
	}
	if _, err := d.FindText(2, "杭州"); err == nil {
		t.Error("page 2 of a one-page document: no error")
	}
}

// TestFindTextOperators: the text state and the matrices as content sets them: cm, Tm, TJ with
// kerning, Tz, T*, and a stream split in two; an inline image is skipped.
func TestFindTextOperators(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources << /Font << /F1 6 0 R >> >> /Contents [4 0 R 5 0 R] >>")
	p.stream(4, "", "q 2 0 0 2 10 20 cm BT /F1 10 Tf 1 0 0 1 5 5 Tm [(AB) -1000 (CD)] TJ ET Q BI /W 2 /H 1 /BPC 8 /CS /G ID \x00EI\xff EI")
	p.stream(5, "", "BT /F1 10 Tf 12 TL 50 Tz 100 100 Td (first) Tj T* (second) Tj ET")
	p.obj(6, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 65 /Widths [600 600 600 600] >>")
	p.endRevision()
	d := openBytes(t, p.bytes())
	// "CD": after AB (2 × 0.6 em of 10 pt) and a -1000 kern (one em to the right), from Tm's 5:
	// at 27 in text space, doubled and moved by cm.
	box, err := d.FindText(1, "CD")
	if err != nil || !near(box, [4]float64{10 + 2*27, 20 + 2*(5-2), 10 + 2*(27+12), 20 + 2*(5+8)}) {
		t.Errorf("CD: %v %v", box, err)
	}
	// "second": the next line, 12 below, horizontally scaled by half.
	box, err = d.FindText(1, "second")
	if err != nil || math.Abs(box[0]-100) > 0.5 || math.Abs(box[1]-(88-2)) > 0.5 {
		t.Errorf("second: %v %v", box, err)
	}
	if box[2]-box[0] > 6*5*0.5+0.5 {
		t.Errorf("second is %v wide: Tz 50 halves it", box[2]-box[0])
	}
}

// FuzzFindText: any page content: no panic, bounded work.
func FuzzFindText(f *testing.F) {
	f.Add([]byte("BT /F1 10 Tf 1 0 0 1 5 5 Tm [(AB) -1000 (CD)] TJ ET"))
	f.Add([]byte("q 1 0 0 1 0 0 cm BT T* (x) ' 1 2 (y) \" ET Q BI ID EI"))
	f.Fuzz(func(t *testing.T, content []byte) {
		p := newBuilder(t)
		p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
		p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Contents 4 0 R >>")
		p.stream(4, "", string(content))
		p.endRevision()
		d, err := Open(bytes.NewReader(p.bytes()), int64(len(p.bytes())))
		if err != nil {
			return
		}
		d.FindText(1, "x")
	})
}

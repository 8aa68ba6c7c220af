package sign

import (
	"net/url"

	"github.com/eseal/eseal/internal/pdf"
	qrcode "github.com/piglig/go-qr"
)

// QR codes on licences: the verification link of a signature, stamped next to its seal (the
// regulation's Art. 40 promotes them). The code is drawn in vector form, so it prints sharply at
// any size, and a link annotation over it opens the link on screen.

const (
	// qrSideMM is the printed side of the code with its quiet zone: large enough for a phone
	// at arm's length with a link of about 60 characters (version 4-5, medium correction).
	qrSideMM = 24
	// qrGapMM separates the code from the seal.
	qrGapMM = 3
	// maxQRLink bounds the link: longer ones make codes too dense to scan at this size.
	maxQRLink = 200
)

// qrStamp encodes link and places the code next to the seal at rect on the page: to its left,
// else its right, else below or above it, inside the page's visible area.
func qrStamp(link string, rect [4]float64, geo pdf.PageInfo) (*pdf.QRStamp, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errorf(BadOptions, nil, "the QR code's link %q is not an absolute http or https URL", link)
	}
	if len(link) > maxQRLink {
		return nil, errorf(BadOptions, nil, "the QR code's link is %d characters, more than the %d a printed code can carry legibly", len(link), maxQRLink)
	}
	code, err := qrcode.EncodeText(link, qrcode.Medium)
	if err != nil {
		return nil, errorf(BadOptions, err, "encoding the QR code")
	}
	n := code.Size()
	dark := make([]bool, n*n)
	for y := range n {
		for x := range n {
			dark[y*n+x] = code.Module(x, y)
		}
	}
	side := min(float64(qrSideMM)*pointsPerMM, rect[3]-rect[1]+8*pointsPerMM)
	gap := float64(qrGapMM) * pointsPerMM
	box := geo.CropBox
	inside := func(r [4]float64) bool {
		return r[0] >= box[0] && r[1] >= box[1] && r[2] <= box[2] && r[3] <= box[3]
	}
	bottom, left := rect[1], rect[0]
	for _, r := range [][4]float64{
		{rect[0] - gap - side, bottom, rect[0] - gap, bottom + side}, // left
		{rect[2] + gap, bottom, rect[2] + gap + side, bottom + side}, // right
		{left, rect[1] - gap - side, left + side, rect[1] - gap},     // below
		{left, rect[3] + gap, left + side, rect[3] + gap + side},     // above
	} {
		if inside(r) {
			return &pdf.QRStamp{Rect: r, Size: n, Dark: dark, URI: u.String(), Title: "扫码核验 Scan to verify: " + u.String()}, nil
		}
	}
	return nil, errorf(BadRect, nil, "there is no room for a %.0f mm QR code next to the seal on this page", float64(qrSideMM))
}

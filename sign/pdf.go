package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/revocation"
	pdfsign "github.com/digitorus/pdfsign/sign"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Sealer is what signing needs from the key holder (certstore, or a hardware key): the seal's
// SM2 key, the seal, and the signer's certificate chain.
type Sealer struct {
	// Signer is the SM2 private key of the signer certificate. It signs exactly once per
	// document, over the CMS signed attributes.
	Signer crypto.Signer
	// Seal is the parsed GB/T 38540 seal; its Raw DER is embedded in the signature, and the
	// signer certificate must be in its certificate list.
	Seal *seal.Seal
	// Chain is the signer certificate first, then its issuers up to the root. All of them are
	// embedded in the CMS.
	Chain []*smcrypto.Certificate
}

// PDFOptions controls SignPDF.
type PDFOptions struct {
	// Page is the 1-based page that shows the seal; 0 means 1.
	Page int
	// Rect is x1, y1, x2, y2 in PDF points in the page's default user space (origin at the
	// bottom left of the unrotated page). nil: the bottom right of the page as displayed,
	// 20 mm from the edges, at the seal picture's printed size.
	Rect *[4]float64
	// Convention picks the CMS object identifiers: PKCS#7 (the default, what PDF readers
	// expect) or GM/T 0010.
	Convention smcrypto.CMSConvention
	// Reason, Location and ContactInfo go into the signature dictionary; any Unicode text.
	Reason, Location, ContactInfo string
	// Now gives the signing time; nil means time.Now. It is written with one-second precision.
	Now func() time.Time
}

// Result describes the signature that was added.
type Result struct {
	// FieldName is the new signature field's /T.
	FieldName string
	// Page and Rect are where the seal appears (Rect in default user space).
	Page int
	Rect [4]float64
	// ByteRange is the signed part of the output: [0, a) and [b, b+c).
	ByteRange [4]int64
	// Digest is the SM3 digest of the ByteRange bytes (the CMS messageDigest).
	Digest []byte
	// SigningTime is the CMS signingTime and the signature dictionary's /M.
	SigningTime time.Time
	Convention  smcrypto.CMSConvention
	// CMSSize is the DER length of the SignedData; Reserved the room /Contents has for it.
	CMSSize, Reserved int
	// Size is the length of the output.
	Size int64
}

const (
	// defaultMarginPt places the default rectangle 20 mm from the page edges.
	defaultMarginPt = 20 * pointsPerMM
	pointsPerMM     = 72 / 25.4
	// defaultSealMM is the printed size used when the seal picture states none.
	defaultSealMM = 40
	// cmsOverhead bounds what the SignedData adds to its certificates, seal and issuer name:
	// OIDs, the five signed attributes, the SM2 signature, and ASN.1 headers (measured below
	// 700 bytes; the rest is margin).
	cmsOverhead = 2048
)

// SignPDF seals the PDF read from in and writes the sealed PDF to out: an incremental update
// with an approval signature whose widget shows the seal picture, and whose /Contents is a
// detached CMS SignedData (SM2 with SM3) carrying the seal as a signed attribute.
//
// Nothing is written to out unless the signature is complete; if reading in fails or in
// changes while it is copied to out, an error is returned after out received part of the
// document (SignPDFFile never leaves such output behind).
//
// The document is never held in memory: pdfsign, which writes the PDF structures, only sees
// the update (see pdfsignInput). It is read as a stream twice, to be hashed (alongside the
// parsing if in is an io.ReaderAt), then to be copied to out.
func SignPDF(in io.ReadSeeker, out io.Writer, s Sealer, opts PDFOptions) (*Result, error) {
	return signPDF(in, out, false, s, opts)
}

// signPDF is SignPDF; with early, the document is written to out as it is hashed, before the
// signature is complete (for a caller that discards out on error), and read once.
func signPDF(in io.ReadSeeker, out io.Writer, early bool, s Sealer, opts PDFOptions) (res *Result, err error) {
	// digitorus/pdf reports malformed objects by panicking, wherever they are first touched.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, errorf(NotPDF, nil, "malformed PDF: %v", p)
		}
	}()
	if in == nil || out == nil {
		return nil, errorf(IOFailed, nil, "nil input or output")
	}
	var copyTo io.Writer
	if early {
		copyTo = out
	}
	j, err := prepare(in, s, opts, copyTo)
	if err != nil {
		return nil, err
	}
	if err := j.runPdfsign(); err != nil {
		return nil, err
	}
	if err := j.complete(); err != nil {
		return nil, err
	}
	if err := j.write(out); err != nil {
		return nil, err
	}
	return j.result, nil
}

// job carries one sealing through its steps.
type job struct {
	in     io.ReadSeeker
	ra     io.ReaderAt
	size   int64
	reader *pdf.Reader
	scan   inputScan
	// hash has seen the document; the signed parts of the update follow.
	hash hash.Hash
	// copied: the document went to the output as it was hashed.
	copied bool

	sealer     Sealer
	convention smcrypto.CMSConvention
	now        time.Time
	page       int
	pageObj    pdf.Value
	rect       [4]float64
	image      *imageXObject
	stdCert    *x509.Certificate
	reserve    int
	texts      []textPlaceholder
	fieldNames map[string]bool
	opts       PDFOptions

	// tail is the update: pdfsign's until relocate, then the one written after the document.
	tail []byte
	// The objects of the update that are patched or checked, located in tail.
	sigObj, widgetObj, imageObj, maskObj updateObject
	sig                                  sigLayout // the signature object's parts, set with its final ByteRange
	// prevEntry locates the new trailer's /Prev entry in tail.
	prevEntry [2]int
	result    *Result
}

// prepare checks the sealer, the options and the document, and reads the document once
// (hashing it, and writing it to copyTo if not nil).
func prepare(in io.ReadSeeker, s Sealer, opts PDFOptions, copyTo io.Writer) (*job, error) {
	j := &job{in: in, sealer: s, opts: opts, convention: opts.Convention}
	if err := j.checkSealer(); err != nil {
		return nil, err
	}
	if j.convention != smcrypto.ConventionPKCS7 && j.convention != smcrypto.ConventionGMT0010 {
		return nil, errorf(BadOptions, nil, "unknown CMS convention %d", int(j.convention))
	}
	size, err := in.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, errorf(IOFailed, err, "seeking the input")
	}
	j.size = size
	ra, concurrent := in.(io.ReaderAt)
	if !concurrent {
		ra = &seekReaderAt{rs: in}
	}
	j.ra = ra
	j.hash = smcrypto.NewSM3()
	scan := j.startScan(concurrent, copyTo)
	scanned := false
	defer func() {
		if !scanned {
			scan.cancel() // an error or a panic in the checks below
		}
	}()
	if err := checkHeader(j.ra, size); err != nil {
		return nil, err
	}
	tail := readTail(j.ra, size)
	if err := checkEOF(tail, size); err != nil {
		return nil, err
	}
	if err := checkXrefBounds(j.ra, size, tail); err != nil {
		return nil, err
	}
	if j.reader, err = openPDF(j.ra, size, tail); err != nil {
		return nil, err
	}
	j.page = opts.Page
	if j.page == 0 {
		j.page = 1
	}
	geo, names, err := checkDocument(j.reader, j.page)
	if err != nil {
		return nil, err
	}
	j.fieldNames = names
	j.pageObj = geo.page
	pic := s.Seal.Picture
	if opts.Rect != nil {
		if j.rect, err = checkRect(*opts.Rect, geo); err != nil {
			return nil, err
		}
	} else {
		j.rect = defaultRect(geo, pic.WidthMM, pic.HeightMM)
	}
	if j.image, err = appearanceImage(pic, geo.rotate, j.rect[2]-j.rect[0], j.rect[3]-j.rect[1]); err != nil {
		return nil, err
	}
	j.scan, err = scan.wait()
	scanned = true
	if err != nil {
		return nil, err
	}
	j.copied = copyTo != nil
	if j.scan.size != size {
		return nil, errorf(IOFailed, nil, "the input ended after %d of %d bytes", j.scan.size, size)
	}
	if j.scan.hasByteRangePlaceholder {
		return nil, errorf(UnsupportedPDF, nil, "the document contains pdfsign's ByteRange placeholder text (an unfinished signature?)")
	}
	// Room for our CMS, and more '0's than any run already in the file (see inputScan).
	// The issuer name is written twice: issuerAndSerialNumber and signingCertificateV2.
	estimate := len(s.Seal.Raw) + 2*len(s.Chain[0].RawIssuer) + cmsOverhead
	for _, c := range s.Chain {
		estimate += len(c.Raw)
	}
	j.reserve = max(estimate, int(j.scan.longestZeros/2)+1)
	if j.stdCert, err = smcrypto.ToStdlibCertificate(s.Chain[0]); err != nil {
		return nil, errorf(BadChain, err, "converting the signer certificate for the PDF writer")
	}
	for _, t := range []struct{ key, value string }{
		{"Name", s.Seal.Name}, {"Location", opts.Location}, {"Reason", opts.Reason}, {"ContactInfo", opts.ContactInfo},
	} {
		if t.value == "" {
			continue
		}
		ph, err := newTextPlaceholder(t.key, t.value)
		if err != nil {
			return nil, errorf(IOFailed, err, "random source")
		}
		j.texts = append(j.texts, ph)
	}
	return j, nil
}

// checkSealer validates the key, chain and seal before any document work.
func (j *job) checkSealer() error {
	s := j.sealer
	if s.Signer == nil || !smcrypto.IsSM2PublicKey(s.Signer.Public()) {
		return errorf(NotSM2Signer, nil, "Sealer.Signer must be an SM2 private key, got %T", publicKeyOf(s.Signer))
	}
	if len(s.Chain) == 0 {
		return errorf(BadChain, nil, "no signer certificate")
	}
	for i, c := range s.Chain {
		if c == nil {
			return errorf(BadChain, nil, "certificate %d is nil", i)
		}
	}
	signerCert := s.Chain[0]
	pub, ok := s.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(signerCert.PublicKey) {
		return errorf(BadChain, nil, "the first certificate (%s) is not the signer key's certificate", signerCert.Subject.CommonName)
	}
	for i := 1; i < len(s.Chain); i++ {
		if err := s.Chain[i-1].CheckSignatureFrom(s.Chain[i]); err != nil {
			return errorf(BadChain, err, "certificate %d (%s) is not issued by certificate %d (%s)",
				i-1, s.Chain[i-1].Subject.CommonName, i, s.Chain[i].Subject.CommonName)
		}
	}
	if s.Seal == nil || len(s.Seal.Raw) == 0 {
		return errorf(BadSeal, nil, "no seal")
	}
	// The same rule verify applies: an exact certificate, or a digest of it (certListType 2).
	if ok, err := s.Seal.AllowsSigner(signerCert.Raw); !ok {
		return errorf(BadSeal, err, "the signer certificate (%s, serial %s) is not in the certificate list of seal %s",
			signerCert.Subject.CommonName, smcrypto.SerialHex(signerCert.SerialNumber), s.Seal.ESID)
	}
	j.now = time.Now()
	if j.opts.Now != nil {
		j.now = j.opts.Now()
	}
	j.now = j.now.Truncate(time.Second)
	// The rule verify applies (a seal without dates is valid at no time).
	if err := s.Seal.ValidAt(j.now); err != nil {
		return errorf(NotValidAtSigningTime, err, "seal %s cannot be used now", s.Seal.ESID)
	}
	if err := smcrypto.CheckValidityAt(s.Chain, j.now); err != nil {
		var ce *smcrypto.ChainError
		errors.As(err, &ce)
		return errorf(NotValidAtSigningTime, nil, "certificate %s is valid from %s to %s, signing time %s", ce.Cert.Subject.CommonName,
			ce.Cert.NotBefore.Format(time.RFC3339), ce.Cert.NotAfter.Format(time.RFC3339), j.now.Format(time.RFC3339))
	}
	return nil
}

func publicKeyOf(s crypto.Signer) any {
	if s == nil {
		return nil
	}
	return s.Public()
}

func checkRect(r [4]float64, geo pageGeometry) ([4]float64, error) {
	for _, v := range r {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return r, errorf(BadRect, nil, "rectangle %v has a value that is not a finite number", r)
		}
	}
	if r[2]-r[0] < 1 || r[3]-r[1] < 1 {
		return r, errorf(BadRect, nil, "rectangle %v: x2 must exceed x1 and y2 exceed y1 by at least one point", r)
	}
	const tolerance = 1
	mb := geo.mediaBox
	if r[0] < mb[0]-tolerance || r[1] < mb[1]-tolerance || r[2] > mb[2]+tolerance || r[3] > mb[3]+tolerance {
		return r, errorf(BadRect, nil, "rectangle %v is not inside the page's MediaBox %v", r, mb)
	}
	return r, nil
}

// defaultRect puts the seal at the bottom right of the page as displayed (after /Rotate),
// at its printed size, shrunk if the page is smaller.
func defaultRect(geo pageGeometry, widthMM, heightMM int) [4]float64 {
	if widthMM <= 0 || heightMM <= 0 {
		widthMM, heightMM = defaultSealMM, defaultSealMM
	}
	w, h := float64(widthMM)*pointsPerMM, float64(heightMM)*pointsPerMM
	v := geo.visible
	bw, bh := v[2]-v[0], v[3]-v[1]
	dw, dh := bw, bh // displayed width and height
	if geo.rotate == 90 || geo.rotate == 270 {
		dw, dh = bh, bw
	}
	if scale := min(1, 0.8*dw/w, 0.8*dh/h); scale < 1 {
		w, h = w*scale, h*scale
	}
	margin := min(defaultMarginPt, (dw-w)/2, (dh-h)/2)
	// Displayed coordinates, origin at the displayed bottom left.
	dx1, dy1 := dw-margin-w, margin
	dx2, dy2 := dx1+w, dy1+h
	toUser := func(dx, dy float64) (float64, float64) {
		switch geo.rotate {
		case 90:
			return v[2] - dy, v[1] + dx
		case 180:
			return v[2] - dx, v[3] - dy
		case 270:
			return v[0] + dy, v[3] - dx
		default:
			return v[0] + dx, v[1] + dy
		}
	}
	ax, ay := toUser(dx1, dy1)
	bx, by := toUser(dx2, dy2)
	return [4]float64{round2(min(ax, bx)), round2(min(ay, by)), round2(max(ax, bx)), round2(max(ay, by))}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// standInKey signs pdfsign's throw-away CMS. pdfsign (through digitorus/pkcs7) cannot make an
// SM2 CMS; its CMS is replaced by ours before anything is hashed, so the real key signs once.
var standInKey = sync.OnceValues(func() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
})

// runPdfsign lets pdfsign write the incremental update (signature dictionary, widget with a
// placeholder picture, page and catalog updates, cross-reference section), as if the
// document were empty (see pdfsignInput).
func (j *job) runPdfsign() (err error) {
	sd, err := j.pdfsignData()
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = errorf(UnsupportedPDF, nil, "the PDF writer failed on this document: %v", p)
		}
	}()
	var out bytes.Buffer
	if err := pdfsign.Sign(&pdfsignInput{ra: j.ra, size: j.size}, &out, j.reader, j.size, sd); err != nil {
		return errorf(UnsupportedPDF, err, "the PDF writer failed on this document")
	}
	j.tail = out.Bytes()
	return nil
}

// pdfsignData is what pdfsign is asked to write.
func (j *job) pdfsignData() (pdfsign.SignData, error) {
	key, err := standInKey()
	if err != nil {
		return pdfsign.SignData{}, errorf(Internal, err, "stand-in key")
	}
	info := pdfsign.SignDataSignatureInfo{Date: j.now}
	for _, t := range j.texts {
		switch t.key {
		case "Name":
			info.Name = t.token
		case "Location":
			info.Location = t.token
		case "Reason":
			info.Reason = t.token
		case "ContactInfo":
			info.ContactInfo = t.token
		}
	}
	sd := pdfsign.SignData{
		Signature: pdfsign.SignDataSignature{
			CertType:   pdfsign.ApprovalSignature,
			DocMDPPerm: pdfsign.AllowFillingExistingFormFieldsAndSignaturesPerms,
			Info:       info,
		},
		Signer:          key,
		DigestAlgorithm: crypto.SHA256,
		Certificate:     j.stdCert,
		// The reserved room: pdfsign sizes /Contents for its own CMS, which embeds this
		// zero-filled "CRL"; ours, without it, then fits in the same room.
		RevocationData: revocation.InfoArchival{CRL: revocation.CRL{{FullBytes: make([]byte, j.reserve)}}},
		Appearance: pdfsign.Appearance{
			Visible: true, Page: uint32(j.page),
			LowerLeftX: j.rect[0], LowerLeftY: j.rect[1], UpperRightX: j.rect[2], UpperRightY: j.rect[3],
			Image: placeholderPicture,
		},
	}
	return sd, nil
}

// sigLayout locates, in the tail, the parts of the new signature dictionary that get patched.
type sigLayout struct {
	objStart, objEnd int // the signature object
	lt, gt           int // the '<' and '>' around /Contents
	brText           int // "/ByteRange [...]", padded to len(byteRangePlaceholder)
	byteRange        [4]int64
}

// findSignature finds, in the signature object, the ByteRange (padded as pdfsign pads it) and
// the /Contents hex string.
func (j *job) findSignature() (sigLayout, error) {
	l := sigLayout{objStart: j.sigObj.start, objEnd: j.sigObj.end}
	t := j.tail
	bad := func(what string) (sigLayout, error) { return l, badOutput(what) }
	obj := t[l.objStart:l.objEnd]
	i := bytes.Index(obj, []byte("/ByteRange ["))
	if i < 0 {
		return bad("no ByteRange")
	}
	k := bytes.IndexByte(obj[i:], ']')
	if k < 0 {
		return bad("unterminated ByteRange")
	}
	br, err := parseInts(string(obj[i+len("/ByteRange [") : i+k]))
	if err != nil || len(br) != 4 {
		return bad("unreadable ByteRange")
	}
	copy(l.byteRange[:], br)
	l.brText = l.objStart + i
	if k+1 > len(byteRangePlaceholder) || string(obj[i+k+1:i+len(byteRangePlaceholder)]) != strings.Repeat(" ", len(byteRangePlaceholder)-k-1) {
		return bad("ByteRange not padded as expected")
	}
	i = bytes.Index(obj, []byte("/Contents<"))
	if i < 0 {
		return bad("no /Contents")
	}
	l.lt = l.objStart + i + len("/Contents")
	k = bytes.IndexByte(t[l.lt:l.objEnd], '>')
	if k < 0 {
		return bad("unterminated /Contents")
	}
	l.gt = l.lt + k
	for _, c := range t[l.lt+1 : l.gt] {
		if !isHexDigit(c) {
			return bad("/Contents is not a hex string")
		}
	}
	return l, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// complete patches the update (texts, digest method name, field name), hashes the
// ByteRange with SM3, builds the CMS and writes it into /Contents.
func (j *job) complete() error {
	if err := j.relocate(j.image); err != nil {
		return err
	}
	l := j.sig
	obj := j.tail[l.objStart:l.objEnd]
	for _, t := range j.texts {
		if err := replaceOnce(obj, "("+t.token+")", t.final); err != nil {
			return errorf(Internal, nil, "/%s: %v", t.key, err)
		}
	}
	// pdfsign knows no SM3 and names SHA256 in the transform parameters.
	if bytes.Contains(obj, []byte("/DigestMethod /SHA256\n")) {
		if err := replaceOnce(obj, "/DigestMethod /SHA256\n", "/DigestMethod /SM3   \n"); err != nil {
			return errorf(Internal, nil, "/DigestMethod: %v", err)
		}
	}
	// The signature is eseal's, not pdfsign's (which only wrote the PDF structures).
	const app, ours = "/App << /Name /Digitorus#20PDFSign >>", "/App << /Name /eseal >>"
	if bytes.Contains(obj, []byte(app)) {
		if err := replaceOnce(obj, app, ours+strings.Repeat(" ", len(app)-len(ours))); err != nil {
			return errorf(Internal, nil, "/Prop_Build: %v", err)
		}
	}
	field, err := j.fixFieldName()
	if err != nil {
		return err
	}

	h := j.hash
	h.Write(j.tail[:l.lt])
	h.Write(j.tail[l.gt+1:])
	digest := h.Sum(nil)

	der, err := smcrypto.BuildDetachedSignedData(digest, j.sealer.Signer, j.sealer.Chain, smcrypto.SignedDataOptions{
		Convention:  j.convention,
		SigningTime: j.now,
		ESeal:       j.sealer.Seal.Raw,
	})
	if err != nil {
		return errorf(SignerFailed, err, "building the SM2 SignedData")
	}
	room := l.gt - l.lt - 1
	if hex.EncodedLen(len(der)) > room {
		return errorf(CMSTooLarge, nil, "the SignedData is %d bytes, the reserved room %d", len(der), room/2)
	}
	// A signer (a hardware key, a remote service) may sign with another key than the
	// certificate's, or return garbage: never write a signature that does not verify.
	if err := verifyOwnSignedData(der, j.sealer.Chain[0]); err != nil {
		return errorf(SignerFailed, err, "the signer's signature does not verify with the signer certificate")
	}
	contents := j.tail[l.lt+1 : l.gt]
	n := hex.Encode(contents, der)
	for i := n; i < len(contents); i++ {
		contents[i] = '0'
	}
	if err := j.selfCheck(); err != nil {
		return err
	}
	j.result = &Result{
		FieldName:   field,
		Page:        j.page,
		Rect:        j.rect,
		ByteRange:   l.byteRange,
		Digest:      digest,
		SigningTime: j.now,
		Convention:  j.convention,
		CMSSize:     len(der),
		Reserved:    room / 2,
		Size:        j.size + int64(len(j.tail)),
	}
	return nil
}

// fixFieldName reads the new field's /T, which pdfsign numbers "Signature N" without looking
// at existing names, and renames it (same length) if that name is taken.
func (j *job) fixFieldName() (string, error) {
	const marker = "\n  /FT /Sig\n  /T ("
	w := j.tail[j.widgetObj.start:j.widgetObj.end]
	i := bytes.Index(w, []byte(marker))
	if i < 0 {
		return "", errorf(Internal, nil, "unexpected PDF writer output: no field name")
	}
	start := j.widgetObj.start + i + len(marker)
	k := bytes.Index(j.tail[start:j.widgetObj.end], []byte(")\n"))
	if k < 0 {
		return "", errorf(Internal, nil, "unexpected PDF writer output: unterminated field name")
	}
	name := string(j.tail[start : start+k])
	if !j.fieldNames[name] {
		return name, nil
	}
	for n := 1; n < 1_000_000; n++ {
		alt := fmt.Sprintf("Seal%0*d", max(1, len(name)-4), n)
		if len(alt) == len(name) && !j.fieldNames[alt] {
			copy(j.tail[start:], alt)
			return alt, nil
		}
	}
	return "", errorf(UnsupportedPDF, nil, "no free field name of %d characters", len(name))
}

// selfCheck re-reads the update with digitorus/pdf: the new trailer must reach the new
// catalog, whose form lists the new field, whose value is the new signature, the page must
// carry the widget, and the widget's appearance must draw the seal picture with its mask.
// digitorus/pdf reads the output with the new trailer's /Prev blanked: it then reads the new
// cross-reference section alone, not again the old ones (which it read into j.reader, and
// which /Prev points at), and resolves new objects only (old ones may be malformed in ways
// the original file already was).
func (j *job) selfCheck() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errorf(Internal, nil, "the sealed document does not read back: %v", p)
		}
	}()
	sigID, widget := j.sigObj.id, j.widgetObj.id
	total := j.size + int64(len(j.tail))
	r, err := pdf.NewReader(&concatReaderAt{a: j.ra, aLen: j.size, b: j.tail, blank: j.prevEntry}, total)
	if err != nil {
		return errorf(Internal, err, "the sealed document does not read back")
	}
	found := false
	fields := r.Trailer().Key("Root").Key("AcroForm").Key("Fields")
	var field pdf.Value
	for i := 0; i < fields.Len(); i++ {
		if f := fields.Index(i); ptrID(f) == widget {
			field = f
			found = ptrID(f.Key("V")) == sigID
		}
	}
	if !found {
		return errorf(Internal, nil, "the new signature field is not in the document's form")
	}
	im := field.Key("AP").Key("N").Key("Resources").Key("XObject").Key("Im1")
	mask := im.Key("SMask")
	x := j.image
	if ptrID(im) != j.imageObj.id || ptrID(mask) != j.maskObj.id ||
		im.Key("Width").Int64() != int64(x.width) || im.Key("Height").Int64() != int64(x.height) || im.Key("Length").Int64() != int64(len(x.rgb)) ||
		mask.Key("Width").Int64() != int64(x.width) || mask.Key("Height").Int64() != int64(x.height) || mask.Key("Length").Int64() != int64(len(x.alpha)) {
		return errorf(Internal, nil, "the new signature's appearance does not draw the seal picture")
	}
	ref := j.pageObj.GetPtr()
	page := r.Resolve(ref, ref)
	if page.Key("Type").Name() != "Page" {
		return errorf(Internal, nil, "page %d (object %d) is not in the update", j.page, ref.GetID())
	}
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		if ptrID(annots.Index(i)) == widget {
			return nil
		}
	}
	return errorf(Internal, nil, "the new signature widget is not on page %d", j.page)
}

func verifyOwnSignedData(der []byte, signer *smcrypto.Certificate) error {
	sd, err := smcrypto.ParseSignedData(der)
	if err != nil {
		return err
	}
	if len(sd.Signers) != 1 {
		return fmt.Errorf("%d signers", len(sd.Signers))
	}
	_, err = sd.Signers[0].VerifySignature(signer)
	return err
}

func replaceOnce(b []byte, old, repl string) error {
	if len(old) != len(repl) {
		return fmt.Errorf("replacement length %d differs from %d", len(repl), len(old))
	}
	i := bytes.Index(b, []byte(old))
	if i < 0 {
		return fmt.Errorf("%q not found", old)
	}
	if bytes.Contains(b[i+1:], []byte(old)) {
		return fmt.Errorf("%q found twice", old)
	}
	copy(b[i:], repl)
	return nil
}

// write copies the original document to out (unless it went there as it was hashed),
// checking it is still what was hashed, then the completed update.
func (j *job) write(out io.Writer) error {
	if j.copied {
		if _, err := out.Write(j.tail); err != nil {
			return errorf(IOFailed, err, "writing the signature")
		}
		return nil
	}
	if _, err := j.in.Seek(0, io.SeekStart); err != nil {
		return errorf(IOFailed, err, "seeking the input")
	}
	crc := crc32.New(castagnoli)
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	n, err := io.CopyBuffer(io.MultiWriter(out, crc), io.LimitReader(j.in, j.size), *bp)
	if err != nil {
		return errorf(IOFailed, err, "copying the document")
	}
	if n != j.size || crc.Sum32() != j.scan.crc {
		return errorf(IOFailed, nil, "the input changed while it was being sealed")
	}
	if _, err := out.Write(j.tail); err != nil {
		return errorf(IOFailed, err, "writing the signature")
	}
	return nil
}

// seekReaderAt gives digitorus/pdf the io.ReaderAt it needs over a plain io.ReadSeeker.
type seekReaderAt struct {
	mu sync.Mutex
	rs io.ReadSeeker
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

// concatReaderAt reads the original document followed by the update, without joining them,
// with the bytes at blank (a range of b) read as spaces.
type concatReaderAt struct {
	a     io.ReaderAt
	aLen  int64
	b     []byte
	blank [2]int
}

func (c *concatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < c.aLen {
		k := int(min(int64(len(p)), c.aLen-off))
		m, err := c.a.ReadAt(p[:k], off)
		n += m
		if m < k {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		p, off = p[k:], off+int64(k)
	}
	if len(p) == 0 {
		return n, nil
	}
	bo := off - c.aLen
	if bo >= int64(len(c.b)) {
		return n, io.EOF
	}
	m := copy(p, c.b[bo:])
	for i := max(c.blank[0], int(bo)); i < min(c.blank[1], int(bo)+m); i++ {
		p[i-int(bo)] = ' '
	}
	n += m
	if m < len(p) {
		return n, io.EOF
	}
	return n, nil
}

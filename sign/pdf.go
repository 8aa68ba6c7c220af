package sign

import (
	"crypto"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Sealer is what signing needs from the key holder (certstore, or a hardware key), in public
// types only: the seal's SM2 key, the seal, and the signer's certificate chain.
type Sealer struct {
	// Signer is the SM2 private key of the signer certificate. It signs exactly once per
	// document, over the CMS signed attributes.
	Signer crypto.Signer
	// Seal is the GB/T 38540 seal (SESeal) in DER; it is embedded in the signature, and the
	// signer certificate must be in its certificate list.
	Seal []byte
	// Chain is the signer certificate first, then its issuers up to the root, in DER. All of
	// them are embedded in the CMS.
	Chain [][]byte
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
	// Near, when set, centres the seal over the first occurrence of this text on the page (the
	// issuing authority's name, the date), as Chinese practice places seals; Rect and Near
	// exclude each other.
	Near string
	// Reason, Location and ContactInfo go into the signature dictionary; any Unicode text.
	Reason, Location, ContactInfo string
	// Now gives the signing time; nil means time.Now. It is written with one-second precision.
	Now func() time.Time
	// TimeStamp, when set, is given the signature value and returns an RFC 3161 token over it
	// (a trusted time: certstore.Store.TimestampSignature), carried as the CMS signer's unsigned
	// timeStampToken.
	TimeStamp func(signatureValue []byte) ([]byte, error)
	// QR, when set, is a verification link (absolute http or https URL) stamped as a QR code
	// next to the seal, in the same update, so the signature covers it.
	QR string
	// Code, when set, is the signature's verification code, written into the signature
	// dictionary (/ESealCode): inside the signed bytes, so that the same document signed twice
	// in one second still binds two digests. At most 64 printable ASCII characters.
	Code string
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
	// QRRect is where the QR code was stamped (zero without one).
	QRRect [4]float64
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
	// timestampRoom is kept in /Contents for a signature timestamp token a later step may
	// add as an unsigned attribute (an RFC 3161 token with its TSA's chain).
	timestampRoom = 8192
)

// SignPDF seals the PDF read from in and writes the sealed PDF to out: the document as it
// is, then an incremental update with an approval signature whose widget shows the seal
// picture, and whose /Contents is a detached CMS SignedData (SM2 with SM3) carrying the seal
// as a signed attribute.
//
// Nothing is written to out unless the signature is complete. The document is never held in
// memory: it is read as a stream twice, to be hashed, then to be copied to out, and must not
// change in between (SignPDFFile reads it once).
func SignPDF(in io.ReadSeeker, out io.Writer, s Sealer, opts PDFOptions) (*Result, error) {
	return signPDF(in, out, false, s, opts)
}

// signPDF is SignPDF; with early, the document is written to out as it is hashed, before the
// signature is complete (for a caller that discards out on error), and read once.
func signPDF(in io.ReadSeeker, out io.Writer, early bool, s Sealer, opts PDFOptions) (res *Result, err error) {
	defer func() {
		// internal/pdf contains its own panics; anything else is a bug, never a verdict.
		if p := recover(); p != nil {
			res, err = nil, errorf(Internal, nil, "sealing failed: %v", p)
		}
	}()
	if in == nil || out == nil {
		return nil, errorf(IOFailed, nil, "nil input or output")
	}
	j, err := prepare(in, s, opts)
	if err != nil {
		return nil, err
	}
	if err := j.sign(out, early); err != nil {
		return nil, err
	}
	return j.result, nil
}

// job carries one sealing through its steps.
type job struct {
	in   io.ReadSeeker
	ra   io.ReaderAt
	size int64
	doc  *pdf.Document
	upd  *pdf.SignatureUpdate
	checkedSealer

	convention smcrypto.CMSConvention
	page       int
	rect       [4]float64
	qrRect     [4]float64
	opts       PDFOptions
	result     *Result
}

// prepare checks the sealer, the options and the document, and writes the update with room
// for the signature.
func prepare(in io.ReadSeeker, s Sealer, opts PDFOptions) (*job, error) {
	j := &job{in: in, opts: opts, convention: opts.Convention}
	cs, err := checkSealer(s, opts.Now)
	if err != nil {
		return nil, err
	}
	j.checkedSealer = *cs
	if j.convention != smcrypto.ConventionPKCS7 && j.convention != smcrypto.ConventionGMT0010 {
		return nil, errorf(BadOptions, nil, "unknown CMS convention %d", int(j.convention))
	}
	if len(opts.Code) > 64 || strings.IndexFunc(opts.Code, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return nil, errorf(BadOptions, nil, "the verification code %q is not up to 64 printable ASCII characters", opts.Code)
	}
	size, err := in.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, errorf(IOFailed, err, "seeking the input")
	}
	j.size = size
	if ra, ok := in.(io.ReaderAt); ok {
		j.ra = ra
	} else {
		j.ra = &seekReaderAt{rs: in}
	}
	if j.doc, err = pdf.Open(j.ra, size); err != nil {
		return nil, openError(err)
	}
	// The update follows the last revision: what lies between would end up inside the new
	// revision, neither a revision of its own nor signed as one.
	if last := j.doc.Revisions[len(j.doc.Revisions)-1]; last.EOFOffset < 0 {
		return nil, errorf(NotPDF, nil, "the document does not end with %%%%EOF: it may be cut short")
	}
	if j.doc.TrailingBytes > 0 && !j.doc.TrailingIsWhiteSpace() {
		return nil, errorf(UnsupportedPDF, nil, "%d bytes after the last %%%%EOF are not part of the document (junk, or a damaged update): repair the file first", j.doc.TrailingBytes)
	}
	j.page = opts.Page
	if j.page == 0 {
		j.page = 1
	}
	geo, err := j.doc.Page(j.page)
	if err != nil {
		return nil, updateError(err)
	}
	pic := j.seal.Picture
	switch {
	case opts.Rect != nil && opts.Near != "":
		return nil, errorf(BadRect, nil, "give the seal's rectangle (Rect) or a text to put it over (Near), not both")
	case opts.Rect != nil:
		if j.rect, err = checkRect(*opts.Rect, geo); err != nil {
			return nil, err
		}
	case opts.Near != "":
		box, err := j.doc.FindText(j.page, opts.Near)
		switch {
		case errors.Is(err, pdf.ErrTextNotFound):
			return nil, errorf(TextNotFound, nil, "%q is not on page %d", opts.Near, j.page)
		case err != nil:
			return nil, errorf(UnsupportedPDF, err, "the text of page %d cannot be read", j.page)
		}
		d := defaultRect(geo, pic.WidthMM, pic.HeightMM)
		w, h := d[2]-d[0], d[3]-d[1]
		cx, cy := (box[0]+box[2])/2, (box[1]+box[3])/2
		r := [4]float64{round2(cx - w/2), round2(cy - h/2), round2(cx + w/2), round2(cy + h/2)}
		if j.rect, err = checkRect(r, geo); err != nil {
			return nil, err
		}
	default:
		j.rect = defaultRect(geo, pic.WidthMM, pic.HeightMM)
	}
	img, err := appearanceImage(pic, geo.Rotate, j.rect[2]-j.rect[0], j.rect[3]-j.rect[1])
	if err != nil {
		return nil, err
	}
	var qr *pdf.QRStamp
	if opts.QR != "" {
		if qr, err = qrStamp(opts.QR, j.rect, geo); err != nil {
			return nil, err
		}
		j.qrRect = qr.Rect
	}
	// Room for the CMS: the certificates, the seal, the issuer name twice (issuerAndSerial
	// and signingCertificateV2), the rest, and a later signature timestamp.
	reserve := len(s.Seal) + 2*len(j.chain[0].RawIssuer) + cmsOverhead + timestampRoom
	for _, c := range j.chain {
		reserve += len(c.Raw)
	}
	j.upd, err = j.doc.AppendApprovalSignature(pdf.ApprovalSignature{
		Page: j.page, Rect: j.rect, Picture: img.pdfImage(),
		SubFilter: "adbe.pkcs7.detached",
		Name:      j.seal.Name, Reason: opts.Reason, Location: opts.Location, ContactInfo: opts.ContactInfo,
		SigningTime:  j.now,
		ContentsSize: reserve,
		Application:  "eseal",
		QR:           qr,
		Code:         opts.Code,
	})
	if err != nil {
		return nil, updateError(err)
	}
	return j, nil
}

// openError maps the PDF reader's refusal.
func openError(err error) *Error {
	var fe *pdf.FormatError
	if errors.As(err, &fe) {
		switch fe.Reason {
		case pdf.Encrypted:
			return errorf(Encrypted, err, "the document is encrypted: an incremental update would have to encrypt its strings and streams")
		case pdf.TooComplex:
			return errorf(UnsupportedPDF, err, "the document is over a limit of the PDF reader")
		}
		return errorf(NotPDF, err, "the document cannot be read as a PDF")
	}
	return errorf(IOFailed, err, "reading the input")
}

// updateError maps the PDF writer's refusal.
func updateError(err error) *Error {
	var ue *pdf.UpdateError
	if errors.As(err, &ue) {
		switch ue.Reason {
		case pdf.UpdateCertified:
			return errorf(Certified, nil, "%s", ue.Detail)
		case pdf.UpdatePageOutOfRange:
			return errorf(PageOutOfRange, nil, "%s", ue.Detail)
		}
		return errorf(UnsupportedPDF, nil, "%s", ue.Detail)
	}
	return errorf(Internal, err, "writing the update")
}

// checkSealer validates the key, chain and seal before any document work.
// checkedSealer is a Sealer whose key, chain and seal were checked for one signing time.
type checkedSealer struct {
	sealer Sealer
	chain  []*smcrypto.Certificate // signer first
	seal   *seal.Seal
	now    time.Time // the signing time, whole seconds
}

// checkSealer checks that s can sign now (now() if set, else the clock): an SM2 key, its
// certificate first in a chain in issuing order, a seal that allows it, all valid now.
func checkSealer(s Sealer, now func() time.Time) (*checkedSealer, error) {
	j := &checkedSealer{sealer: s}
	if s.Signer == nil || !smcrypto.IsSM2PublicKey(s.Signer.Public()) {
		return nil, errorf(NotSM2Signer, nil, "Sealer.Signer must be an SM2 private key, got %T", publicKeyOf(s.Signer))
	}
	if len(s.Chain) == 0 {
		return nil, errorf(BadChain, nil, "no signer certificate")
	}
	for i, der := range s.Chain {
		c, err := smcrypto.ParseCertificate(der)
		if err != nil {
			return nil, errorf(BadChain, err, "certificate %d cannot be read", i)
		}
		j.chain = append(j.chain, c)
	}
	signerCert := j.chain[0]
	pub, ok := s.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(signerCert.PublicKey) {
		return nil, errorf(BadChain, nil, "the first certificate (%s) is not the signer key's certificate", signerCert.Subject.CommonName)
	}
	for i := 1; i < len(j.chain); i++ {
		if err := j.chain[i-1].CheckSignatureFrom(j.chain[i]); err != nil {
			return nil, errorf(BadChain, err, "certificate %d (%s) is not issued by certificate %d (%s)",
				i-1, j.chain[i-1].Subject.CommonName, i, j.chain[i].Subject.CommonName)
		}
	}
	if len(s.Seal) == 0 {
		return nil, errorf(BadSeal, nil, "no seal")
	}
	sl, err := seal.ParseSeal(s.Seal)
	if err != nil {
		return nil, errorf(BadSeal, err, "the seal cannot be read")
	}
	j.now = time.Now()
	if now != nil {
		j.now = now()
	}
	j.now = j.now.Truncate(time.Second)
	if err := j.checkSeal(sl); err != nil {
		return nil, err
	}
	return j, nil
}

// checkSeal checks that the seal may be used by the signer at the signing time, with the
// rules verify applies, and keeps it.
func (j *checkedSealer) checkSeal(sl *seal.Seal) error {
	signerCert := j.chain[0]
	// An exact certificate, or a digest of it (certListType 2).
	if ok, err := sl.AllowsSigner(signerCert.Raw); !ok {
		return errorf(BadSeal, err, "the signer certificate (%s, serial %s) is not in the certificate list of seal %s",
			signerCert.Subject.CommonName, smcrypto.SerialHex(signerCert.SerialNumber), sl.ESID)
	}
	// A seal without dates is valid at no time.
	if err := sl.ValidAt(j.now); err != nil {
		return errorf(NotValidAtSigningTime, err, "seal %s cannot be used now", sl.ESID)
	}
	if err := smcrypto.CheckValidityAt(j.chain, j.now); err != nil {
		var ce *smcrypto.ChainError
		errors.As(err, &ce)
		return errorf(NotValidAtSigningTime, nil, "certificate %s is valid from %s to %s, signing time %s", ce.Cert.Subject.CommonName,
			ce.Cert.NotBefore.Format(time.RFC3339), ce.Cert.NotAfter.Format(time.RFC3339), j.now.Format(time.RFC3339))
	}
	j.seal = sl
	return nil
}

func publicKeyOf(s crypto.Signer) any {
	if s == nil {
		return nil
	}
	return s.Public()
}

func checkRect(r [4]float64, geo pdf.PageInfo) ([4]float64, error) {
	for _, v := range r {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return r, errorf(BadRect, nil, "rectangle %v has a value that is not a finite number", r)
		}
	}
	if r[2]-r[0] < 1 || r[3]-r[1] < 1 {
		return r, errorf(BadRect, nil, "rectangle %v: x2 must exceed x1 and y2 exceed y1 by at least one point", r)
	}
	const tolerance = 1
	mb := geo.MediaBox
	if r[0] < mb[0]-tolerance || r[1] < mb[1]-tolerance || r[2] > mb[2]+tolerance || r[3] > mb[3]+tolerance {
		return r, errorf(BadRect, nil, "rectangle %v is not inside the page's MediaBox %v", r, mb)
	}
	return r, nil
}

// defaultRect puts the seal at the bottom right of the page as displayed (after /Rotate),
// at its printed size, shrunk if the page is smaller.
func defaultRect(geo pdf.PageInfo, widthMM, heightMM int) [4]float64 {
	if widthMM <= 0 || heightMM <= 0 {
		widthMM, heightMM = defaultSealMM, defaultSealMM
	}
	w, h := float64(widthMM)*pointsPerMM, float64(heightMM)*pointsPerMM
	v := geo.CropBox
	bw, bh := v[2]-v[0], v[3]-v[1]
	dw, dh := bw, bh // displayed width and height
	if geo.Rotate == 90 || geo.Rotate == 270 {
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
		switch geo.Rotate {
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

// sign hashes the document and the update, makes the CMS, fills /Contents and writes the
// result: with early, the document goes to out as it is hashed.
func (j *job) sign(out io.Writer, early bool) error {
	u := j.upd
	h := smcrypto.NewSM3()
	var copyTo io.Writer
	if early {
		copyTo = out
	}
	sum, err := j.stream(h, copyTo)
	if err != nil {
		return err
	}
	lt, gt := u.ContentsAt[0]-1, u.ContentsAt[1] // the '<' and '>'
	h.Write(u.Bytes[:lt])
	h.Write(u.Bytes[gt+1:])
	digest := h.Sum(nil)

	der, err := smcrypto.BuildDetachedSignedData(digest, j.sealer.Signer, j.chain, smcrypto.SignedDataOptions{
		Convention:  j.convention,
		SigningTime: j.now,
		ESeal:       j.sealer.Seal,
		TimeStamp:   j.opts.TimeStamp,
	})
	if err != nil {
		return errorf(SignerFailed, err, "building the SM2 SignedData")
	}
	room := (u.ContentsAt[1] - u.ContentsAt[0]) / 2
	if len(der) > room {
		return errorf(CMSTooLarge, nil, "the SignedData is %d bytes, the reserved room %d", len(der), room)
	}
	// A signer (a hardware key, a remote service) may sign with another key than the
	// certificate's, or return garbage: never write a signature that does not verify.
	if err := verifyOwnSignedData(der, j.chain[0]); err != nil {
		return errorf(SignerFailed, err, "the signer's signature does not verify with the signer certificate")
	}
	hex.Encode(u.Bytes[u.ContentsAt[0]:], der)
	if err := j.selfCheck(); err != nil {
		return err
	}
	if !early {
		// Copy the document again, checking it is what was hashed.
		if _, err := j.in.Seek(0, io.SeekStart); err != nil {
			return errorf(IOFailed, err, "seeking the input")
		}
		check := smcrypto.NewSM3()
		n, err := io.CopyBuffer(io.MultiWriter(out, check), io.LimitReader(j.in, j.size), make([]byte, copyBufferSize))
		if err != nil {
			return errorf(IOFailed, err, "copying the document")
		}
		if n != j.size || string(check.Sum(nil)) != string(sum) {
			return errorf(IOFailed, nil, "the input changed while it was being sealed")
		}
	}
	if _, err := out.Write(u.Bytes); err != nil {
		return errorf(IOFailed, err, "writing the signature")
	}
	j.result = &Result{
		FieldName:   u.FieldName,
		Page:        j.page,
		Rect:        j.rect,
		QRRect:      j.qrRect,
		ByteRange:   u.ByteRange,
		Digest:      digest,
		SigningTime: j.now,
		Convention:  j.convention,
		CMSSize:     len(der),
		Reserved:    room,
		Size:        j.size + int64(len(u.Bytes)),
	}
	return nil
}

// copyBufferSize: 256 KiB reads are as fast as larger ones.
const copyBufferSize = 256 << 10

// stream reads the document once from its start into h (and copyTo, if not nil), and
// returns the SM3 of the document alone (to check a second copy against): a copy of h's state
// at the end of the document, not a second hash.
func (j *job) stream(h hash.Hash, copyTo io.Writer) ([]byte, error) {
	if _, err := j.in.Seek(0, io.SeekStart); err != nil {
		return nil, errorf(IOFailed, err, "seeking the input")
	}
	w := io.Writer(h)
	if copyTo != nil {
		w = io.MultiWriter(h, copyTo)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(j.in, j.size), make([]byte, copyBufferSize))
	if err != nil {
		return nil, errorf(IOFailed, err, "reading the input")
	}
	if n != j.size {
		return nil, errorf(IOFailed, nil, "the input ended after %d of %d bytes", n, j.size)
	}
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, errorf(Internal, err, "copying the SM3 state")
	}
	doc := smcrypto.NewSM3()
	if err := doc.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, errorf(Internal, err, "copying the SM3 state")
	}
	return doc.Sum(nil), nil
}

// selfCheck reads the sealed document back with the PDF reader: the new signature must be
// a field of the form, its ByteRange the whole file minus exactly its /Contents, and what
// it adds after the earlier revisions a signature and nothing else.
func (j *job) selfCheck() error {
	u := j.upd
	total := j.size + int64(len(u.Bytes))
	d, err := pdf.Open(&concatReaderAt{a: j.ra, aLen: j.size, b: u.Bytes}, total)
	if err != nil {
		return errorf(Internal, err, "the sealed document does not read back")
	}
	var ours *pdf.Signature
	for _, s := range d.Signatures {
		if s.FieldName == u.FieldName {
			ours = s
		}
	}
	if ours == nil {
		return errorf(Internal, nil, "the new signature field %q is not in the sealed document's form", u.FieldName)
	}
	if c := d.CheckByteRange(ours); !c.OK() || c.Coverage != pdf.CoverageEntireFile {
		return errorf(Internal, nil, "the new signature's ByteRange does not cover the sealed document: %v", c.Problems)
	}
	for _, s := range d.Signatures {
		if s == ours || s.Revision >= ours.Revision || !d.CheckByteRange(s).OK() {
			continue
		}
		changes, err := d.ChangesAfter(s)
		if err != nil {
			return errorf(Internal, err, "the sealed document's changes cannot be analysed")
		}
		if len(changes) == 0 {
			continue
		}
		if c := changes[len(changes)-1]; c.Kind != pdf.ChangeSignature {
			return errorf(Internal, nil, "the update changes more than a signature may (%s: %s)", c.Kind, c.Detail)
		}
	}
	return nil
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

// seekReaderAt gives the PDF reader the io.ReaderAt it needs over a plain io.ReadSeeker.
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

// concatReaderAt reads the original document followed by the update, without joining them.
type concatReaderAt struct {
	a    io.ReaderAt
	aLen int64
	b    []byte
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
	n += m
	if m < len(p) {
		return n, io.EOF
	}
	return n, nil
}

package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
)

func runSign(e *env, args []string) error {
	fs := newFlags(e, "sign")
	data := dataFlag(e, fs)
	esID := fs.String("seal", "", "esID of the seal to sign with (required)")
	in := fs.String("in", "", "PDF or OFD to sign, or a folder: every PDF and OFD in it (required; never modified)")
	out := fs.String("out", "", "signed document to write, or the folder for a folder's (required)")
	jobs := fs.Int("jobs", 0, "with a folder as --in: documents signed at once (default: four per core, as the disk syncs bound signing)")
	page := fs.Int("page", 1, "page that shows the seal (1-based)")
	rect := fs.String("rect", "", "seal position x1,y1,x2,y2 in PDF points (default: bottom right)")
	cmsOIDs := fs.String("cms-oids", "pkcs7", "CMS object identifiers: pkcs7 or gmt0010")
	reason := fs.String("reason", "", "reason recorded in the signature, e.g. 行政许可决定")
	location := fs.String("location", "", "location recorded in the signature")
	at := fs.String("at", "", "OFD: the stamp's top-left corner X,Y in millimetres from the page's top-left (default: bottom right)")
	riding := fs.Bool("riding", false, "OFD: a riding seal (骑缝章) across every page's right edge (--at X,Y sets its height with Y)")
	near := fs.String("near", "", "centre the seal over the first occurrence of this text on the page (the authority's name, the date)")
	var li licenceInfo
	fs.StringVar(&li.id, "licence-id", "", "the licence this signature issues (GB/T 36904 form, or a local identifier): recorded, with its lifecycle, for verifiers")
	fs.StringVar(&li.holder, "holder", "", "the licence's holder")
	fs.StringVar(&li.typ, "licence-type", "", "the licence's type, e.g. 食品经营许可证")
	noTimestamp := fs.Bool("no-timestamp", false, "do not add the region TSA's trusted timestamp to the signature (without one, a later revocation makes it undecidable)")
	detached := fs.Bool("detached", false, "sign any file with a detached signature written to --out, instead of sealing a PDF")
	format := fs.String("format", "", "detached signature format: ses (GB/T 38540 SES_Signature, the default) or cms (SM2 CMS, the default for a .p7s --out)")
	qr := fs.Bool("qr", false, "PDF: stamp the signature's verification link (PUBLIC_URL/v/CODE) as a QR code next to the seal; in a folder, OFD documents are sealed without one")
	publicURL := fs.String("public-url", "", "the service's public base URL for verification links (default: the one the region recorded, e.g. by trust export --public-url)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *publicURL != "" {
		if err := checkPublicURL(*publicURL); err != nil {
			return usagef("--public-url: %v", err)
		}
		*publicURL = strings.TrimRight(*publicURL, "/")
	}
	li.publicURL = *publicURL
	if *esID == "" || *in == "" || *out == "" {
		return usagef("--seal, --in and --out are required")
	}
	if li.id != "" {
		if err := certstore.ValidateLicenceID(li.id); err != nil {
			return usagef("--licence-id: %v", err)
		}
	} else if li.holder != "" || li.typ != "" {
		return usagef("--holder and --licence-type describe a licence: give --licence-id")
	}
	if fi, err := os.Stat(e.path(*in)); err == nil && fi.IsDir() {
		return runSignFolder(e, *data, *esID, *in, *out, *page, *rect, *cmsOIDs, *reason, *location, *at, *near, *riding, !*noTimestamp, *jobs, *detached, *qr, li)
	}
	if *jobs != 0 {
		return usagef("--jobs applies to a folder as --in")
	}
	if *qr && (*detached || isOFDFile(e.path(*in))) {
		return usagef("--qr stamps a QR code on a PDF's page; a detached signature or an OFD document gets its verification link printed instead")
	}
	if *detached {
		return signDetached(e, *data, *esID, *in, *out, *format, *cmsOIDs, !*noTimestamp, li)
	}
	if *format != "" {
		return usagef("--format applies to --detached signatures only")
	}
	if isOFDFile(e.path(*in)) {
		if *rect != "" {
			return usagef("--rect is for PDFs; place an OFD stamp with --at X,Y (millimetres)")
		}
		return signOFD(e, *data, *esID, *in, *out, *page, *at, *near, *riding, !*noTimestamp, li)
	}
	if *at != "" {
		return usagef("--at is for OFD documents; place a PDF seal with --rect")
	}
	if *riding {
		return usagef("--riding is for OFD documents")
	}
	opts := sign.PDFOptions{Page: *page, Reason: *reason, Location: *location, Near: *near}
	switch strings.ToLower(*cmsOIDs) {
	case "pkcs7":
		opts.Convention = smcrypto.ConventionPKCS7
	case "gmt0010":
		opts.Convention = smcrypto.ConventionGMT0010
	default:
		return usagef("--cms-oids must be pkcs7 or gmt0010, not %q", *cmsOIDs)
	}
	if *page < 1 {
		return usagef("--page must be 1 or more")
	}
	if *rect != "" {
		r, err := parseRect(*rect)
		if err != nil {
			return usagef("--rect: %v", err)
		}
		opts.Rect = &r
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	sealer, sl, chain, err := sealerFor(s, *esID)
	if err != nil {
		return err
	}
	if !*noTimestamp {
		opts.TimeStamp = s.TimestampSignature
	}
	if err := li.prepareCode(s); err != nil {
		return err
	}
	opts.Code = li.code
	if *qr {
		if li.link == "" {
			return usagef("--qr needs the service's public URL: give --public-url URL (or record it once with eseal trust export --public-url)")
		}
		opts.QR = li.link
	}
	res, err := sign.SignPDFFile(e.path(*in), e.path(*out), sealer, opts)
	var se *sign.Error
	if errors.As(err, &se) {
		switch se.Reason {
		case sign.NotPDF, sign.Encrypted, sign.UnsupportedPDF, sign.Certified, sign.PageOutOfRange, sign.BadRect, sign.SameFile, sign.TextNotFound:
			return &exitError{code: exitUsage, err: err} // the document (or the placement) cannot be sealed
		}
	}
	if err != nil {
		return err
	}
	e.say("已用印章 %[2]s（%[3]s）于 %[4]s 签章 %[1]s → %[5]s", "Signed %s with seal %s (%s) at %s → %s", *in, sl.Name, sl.ESID,
		res.SigningTime.In(chinaTime).Format(time.DateTime), *out)
	return recordIssuance(e, s, "PDF", *out, res.Digest, sl.ESID, chain[0], res.SigningTime, li)
}

// licenceInfo is what --licence-id, --holder and --licence-type say of the licence a signature
// issues, and the signature's verification code and link (--public-url, else the region's).
type licenceInfo struct {
	id, holder, typ string
	publicURL       string
	code, link      string
}

// prepareCode gives the signature its verification code, and its link when a public URL is
// known, before it is signed (a QR code carries the link).
func (li *licenceInfo) prepareCode(s *certstore.Store) error {
	if li.code != "" {
		return nil
	}
	code, err := certstore.NewVerificationCode()
	if err != nil {
		return err
	}
	base := li.publicURL
	if base == "" {
		if base, err = s.PublicURL(); err != nil {
			return err
		}
	}
	li.code = code
	if base != "" {
		li.link = strings.TrimRight(base, "/") + "/v/" + code
	}
	return nil
}

// checkPublicURL accepts an absolute http or https URL.
func checkPublicURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	return nil
}

// recordIssuance records a signature in the store's issuance registry (and its licence).
func recordIssuance(e *env, s *certstore.Store, format, doc string, digest []byte, esID string, signer *smcrypto.Certificate, at time.Time, li licenceInfo) error {
	if err := li.prepareCode(s); err != nil {
		return err
	}
	err := s.RecordIssuance(certstore.IssuanceRecord{ID: hex.EncodeToString(digest), Format: format, Document: filepath.Base(doc), ESID: esID,
		SignerSerial: smcrypto.SerialHex(signer.SerialNumber), SignedAt: at, LicenceID: li.id, Holder: li.holder, LicenceType: li.typ, Code: li.code})
	if err != nil {
		return fmt.Errorf("signed, but the issuance could not be recorded: %w", err)
	}
	if li.id != "" {
		e.say("许可证 %s 已登记为有效", "Licence %s recorded as in force", li.id)
	}
	if li.link != "" {
		e.say("核验链接：%s", "Verification link: %s", li.link)
	} else {
		e.say("核验码：%s（地区登记对外地址后，链接为 PUBLIC_URL/v/%s）", "Verification code: %s (the link is PUBLIC_URL/v/%s once the region records its public URL)", li.code, li.code)
	}
	return nil
}

func parseRect(s string) ([4]float64, error) {
	var r [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return r, fmt.Errorf("%q: want four numbers x1,y1,x2,y2", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return r, fmt.Errorf("%q: %q is not a number", s, p)
		}
		r[i] = v
	}
	if r[2] <= r[0] || r[3] <= r[1] {
		return r, fmt.Errorf("%q: x2 must be greater than x1 and y2 greater than y1", s)
	}
	return r, nil
}

// signDetached writes a detached signature of any file: an SES_Signature or an SM2 CMS.
func signDetached(e *env, data, esID, in, out, format, cmsOIDs string, timestamp bool, li licenceInfo) error {
	opts := sign.DetachedOptions{Name: filepath.Base(in)}
	if format == "" && (strings.HasSuffix(strings.ToLower(out), ".p7s") || strings.HasSuffix(strings.ToLower(out), ".p7m")) {
		format = "cms"
	}
	switch strings.ToLower(format) {
	case "", "ses":
		opts.Format = sign.DetachedSES
	case "cms":
		opts.Format = sign.DetachedCMS
	default:
		return usagef("--format must be ses or cms, not %q", format)
	}
	switch strings.ToLower(cmsOIDs) {
	case "pkcs7":
		opts.Convention = smcrypto.ConventionPKCS7
	case "gmt0010":
		opts.Convention = smcrypto.ConventionGMT0010
	default:
		return usagef("--cms-oids must be pkcs7 or gmt0010, not %q", cmsOIDs)
	}
	if same, err := sameFile(e.path(in), e.path(out)); err == nil && same {
		return &exitError{code: exitUsage, err: fmt.Errorf("--out %s names the file to sign", out)}
	}
	f, err := openRegular(e.path(in))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer f.Close()
	s, err := openInitializedStore(e, data)
	if err != nil {
		return err
	}
	defer e.release(s)
	sealer, sl, chain, err := sealerFor(s, esID)
	if err != nil {
		return err
	}
	if timestamp {
		opts.TimeStamp = s.TimestampSignature
	}
	res, err := sign.SignDetached(f, sealer, opts)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(e.path(out), res.Signature, 0o644); err != nil {
		return err
	}
	e.say("已用印章 %[4]s（%[5]s）于 %[6]s 签署 %[1]s（%[2]d 字节，SM3 %[3]X）→ %[7]s（%[8]s）", "Signed %s (%d bytes, SM3 %X) with seal %s (%s) at %s → %s (%s)", in, res.Size, res.Digest, sl.Name, sl.ESID,
		res.SigningTime.In(chinaTime).Format(time.DateTime), out, res.Format)
	return recordIssuance(e, s, "detached", in, res.Digest, sl.ESID, chain[0], res.SigningTime, li)
}

// sameFile tells whether two paths name one existing file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// isOFDFile tells an OFD input (a zip) by its first bytes.
func isOFDFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return isZip(f)
}

// signOFD seals an OFD document.
func signOFD(e *env, data, esID, in, out string, page int, at, near string, riding, timestamp bool, li licenceInfo) error {
	opts := sign.OFDOptions{Page: page, Near: near, Riding: riding}
	if page < 1 {
		return usagef("--page must be 1 or more")
	}
	if at != "" {
		xy, err := parseAt(at)
		if err != nil {
			return err
		}
		opts.At = xy
	}
	s, err := openInitializedStore(e, data)
	if err != nil {
		return err
	}
	defer e.release(s)
	sealer, sl, chain, err := sealerFor(s, esID)
	if err != nil {
		return err
	}
	if timestamp {
		opts.TimeStamp = s.TimestampSignature
	}
	res, err := sign.SignOFDFile(e.path(in), e.path(out), sealer, opts)
	var se *sign.Error
	if errors.As(err, &se) {
		switch se.Reason {
		case sign.NotOFD, sign.UnsupportedPDF, sign.Certified, sign.PageOutOfRange, sign.BadRect, sign.SameFile, sign.TextNotFound:
			return &exitError{code: exitUsage, err: err}
		}
	}
	if err != nil {
		return err
	}
	where := fmt.Sprintf("page %d at %.1f,%.1f mm", res.Page, res.Boundary[0], res.Boundary[1])
	if res.Stamps > 1 {
		where = fmt.Sprintf("a riding seal across %d pages", res.Stamps)
	}
	e.say("已用印章 %[2]s（%[3]s）于 %[4]s 签章 %[1]s，%[5]s，保护 %[6]d 个文件 → %[7]s", "Signed %s with seal %s (%s) at %s, %s, %d files protected → %s", in, sl.Name, sl.ESID,
		res.SigningTime.In(chinaTime).Format(time.DateTime), where, res.References, out)
	return recordIssuance(e, s, "OFD", out, res.DataHash, sl.ESID, chain[0], res.SigningTime, li)
}

// parseAt reads --at X,Y (millimetres).
func parseAt(at string) (*[2]float64, error) {
	parts := strings.Split(at, ",")
	if len(parts) != 2 {
		return nil, usagef("--at %q: want X,Y in millimetres", at)
	}
	var xy [2]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usagef("--at %q: %q is not a number", at, p)
		}
		xy[i] = v
	}
	return &xy, nil
}

// runSignFolder checks the flags of a folder's signing: those of a licence or a detached
// signature describe one document and are refused; the placement flags apply to every PDF
// (--rect, --cms-oids, --reason, --location) or OFD (--at, --riding), or both (--page, --near).
func runSignFolder(e *env, data, esID, in, out string, page int, rect, cmsOIDs, reason, location, at, near string, riding, timestamp bool, jobs int, detached, qr bool, li licenceInfo) error {
	switch {
	case detached:
		return usagef("--detached signs one file; --in %s is a directory (without --detached, its PDFs and OFDs are sealed)", in)
	case li.id != "":
		return usagef("--licence-id names one licence; --in %s is a folder of documents", in)
	case page < 1:
		return usagef("--page must be 1 or more")
	case jobs < 0:
		return usagef("--jobs must be 1 or more")
	}
	o := batchOptions{data: data, esID: esID, in: in, out: out, timestamp: timestamp, workers: jobs, qr: qr, publicURL: li.publicURL,
		pdf: sign.PDFOptions{Page: page, Reason: reason, Location: location, Near: near},
		ofd: sign.OFDOptions{Page: page, Near: near, Riding: riding}}
	switch strings.ToLower(cmsOIDs) {
	case "pkcs7":
		o.pdf.Convention = smcrypto.ConventionPKCS7
	case "gmt0010":
		o.pdf.Convention = smcrypto.ConventionGMT0010
	default:
		return usagef("--cms-oids must be pkcs7 or gmt0010, not %q", cmsOIDs)
	}
	if rect != "" {
		r, err := parseRect(rect)
		if err != nil {
			return usagef("--rect: %v", err)
		}
		o.pdf.Rect = &r
	}
	if at != "" {
		xy, err := parseAt(at)
		if err != nil {
			return err
		}
		o.ofd.At = xy
	}
	return signBatch(e, o)
}

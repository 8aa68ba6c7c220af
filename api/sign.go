package api

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
)

// signFields are the text fields POST /v1/sign takes besides "file" and "seal", named as the
// CLI's flags.
var signFields = map[string]bool{
	"seal": true, "licence-id": true, "holder": true, "licence-type": true, "reason": true, "location": true,
	"page": true, "near": true, "detached": true, "cms-oids": true, "timestamp": true, "qr": true,
}

// signed is a signature the service made, ready to answer.
type signed struct {
	body        io.Reader
	size        int64
	contentType string
	filename    string
	format      string // PDF, OFD or detached: as the issuance registry records it
	digest      []byte
	at          time.Time
	code, link  string // the verification code, and its link when the public URL is known
}

// handleSign answers POST /v1/sign (role issuer): multipart fields "file" (the document) and
// "seal" (the esID), optional "licence-id", "holder", "licence-type", "reason", "location",
// "page", "near", "cms-oids" (pkcs7|gmt0010), "timestamp" (false leaves the trusted timestamp
// out) and "detached" (ses|cms: a detached signature of any file instead of a sealed PDF or
// OFD). The answer is the signed document (or the detached signature), recorded in the issuance
// registry under the caller's name.
func (s *server) handleSign(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartAllowance)
	f, err := readForm(r, s.cfg.TempDir, s.cfg.MaxUploadBytes, formOptions{})
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	defer f.Close()
	res, err := s.signForm(r, f)
	if err != nil {
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status >= 500 || apiErr.Status == http.StatusUnprocessableEntity || apiErr.Status == http.StatusConflict {
			s.ops.metrics.ObserveSign(formatOf(f), false)
		}
		writeProblem(w, r, s.log, err)
		return
	}
	s.ops.metrics.ObserveSign(res.format, true)
	if c, ok := res.body.(io.Closer); ok {
		defer c.Close()
	}
	w.Header().Set("Content-Type", res.contentType)
	w.Header().Set("Content-Length", strconv.FormatInt(res.size, 10))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": res.filename}))
	w.Header().Set("Eseal-Issuance", hex.EncodeToString(res.digest))
	w.Header().Set("Eseal-Signing-Time", res.at.UTC().Format(time.RFC3339))
	w.Header().Set("Eseal-Verification-Code", res.code)
	if res.link != "" {
		w.Header().Set("Eseal-Verification-Link", res.link)
	}
	w.WriteHeader(http.StatusOK)
	io.Copy(w, res.body)
}

func (s *server) signForm(r *http.Request, f *form) (*signed, error) {
	if len(f.skipped) > 0 {
		return nil, errBadRequest("unknown file field %q (the document is the field \"file\")", f.skipped[0])
	}
	for name := range f.fields {
		if !signFields[name] {
			return nil, errBadRequest("unknown field %q (the form takes file, seal, licence-id, holder, licence-type, reason, location, page, near, detached, cms-oids, timestamp, qr)", name)
		}
	}
	o, err := parseSignOptions(f.fields)
	if err != nil {
		return nil, err
	}
	esID, convention, page, qr, timestamp := o.esID, o.convention, o.page, o.qr, o.timestamp
	licenceID, holder, licenceType := f.fields["licence-id"], f.fields["holder"], f.fields["licence-type"]
	if licenceID != "" {
		if err := certstore.ValidateLicenceID(licenceID); err != nil {
			return nil, errBadRequest("licence-id: %s", trimPrefix(err))
		}
	} else if holder != "" || licenceType != "" {
		return nil, errBadRequest("holder and licence-type describe a licence: give licence-id")
	}
	st := s.storeFor(r)
	code, err := certstore.NewVerificationCode()
	if err != nil {
		return nil, err
	}
	link := ""
	if base, err := st.PublicURL(); err != nil {
		return nil, err
	} else if base != "" {
		link = base + "/v/" + code
	}
	if qr && link == "" {
		return nil, errConflict("qr: the region's public URL is not set (eseal trust export --public-url URL, or serve --public-url), so there is no link to encode")
	}
	sealer, sl, chain, err := sealerFor(st, esID)
	if err != nil {
		return nil, storeError(err)
	}
	var stamp func([]byte) ([]byte, error)
	if timestamp {
		stamp = st.TimestampSignature
	}
	name := filepath.Base(f.name)
	if name == "." || name == "/" || name == "" {
		name = "document"
	}

	var res *signed
	if detached := strings.ToLower(f.fields["detached"]); detached != "" {
		if qr {
			return nil, errBadRequest("qr: a detached signature has no page to print a QR code on")
		}
		opts := sign.DetachedOptions{Name: name, Convention: convention, TimeStamp: stamp}
		ext := ".ses"
		switch detached {
		case "ses":
			opts.Format = sign.DetachedSES
		case "cms":
			opts.Format, ext = sign.DetachedCMS, ".p7s"
		default:
			return nil, errBadRequest("detached must be ses or cms")
		}
		if _, err := f.file.Seek(0, io.SeekStart); err != nil {
			return nil, errInternal(err)
		}
		dr, err := sign.SignDetached(f.file, sealer, opts)
		if err != nil {
			return nil, signError(err)
		}
		res = &signed{body: bytes.NewReader(dr.Signature), size: int64(len(dr.Signature)), contentType: "application/octet-stream",
			filename: name + ext, format: "detached", digest: dr.Digest, at: dr.SigningTime}
	} else {
		out, err := os.CreateTemp(s.cfg.TempDir, UploadFilePrefix+"signed-*")
		if err != nil {
			return nil, errInternal(err)
		}
		// The signed file is removed as soon as it is answered (or on failure); the open
		// descriptor keeps it readable until then.
		os.Remove(out.Name())
		fail := func(err error) (*signed, error) { out.Close(); return nil, err }
		if isOFD(f.file) {
			if qr {
				return fail(errBadRequest("qr: QR codes are stamped on PDF licences; this is an OFD document"))
			}
			or, err := sign.SignOFD(f.file, f.size, out, sealer, sign.OFDOptions{Page: page, Near: f.fields["near"], TimeStamp: stamp})
			if err != nil {
				return fail(signError(err))
			}
			res = &signed{contentType: "application/ofd", filename: name, format: "OFD", digest: or.DataHash, at: or.SigningTime}
		} else {
			opts := sign.PDFOptions{Page: page, Reason: f.fields["reason"], Location: f.fields["location"], Near: f.fields["near"], Convention: convention, TimeStamp: stamp, Code: code}
			if qr {
				opts.QR = link
			}
			if _, err := f.file.Seek(0, io.SeekStart); err != nil {
				return fail(errInternal(err))
			}
			pr, err := sign.SignPDF(f.file, out, sealer, opts)
			if err != nil {
				return fail(signError(err))
			}
			res = &signed{contentType: "application/pdf", filename: name, format: "PDF", digest: pr.Digest, at: pr.SigningTime}
		}
		size, err := out.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = out.Seek(0, io.SeekStart)
		}
		if err != nil {
			return fail(errInternal(err))
		}
		res.body, res.size = out, size
	}
	err = st.RecordIssuance(certstore.IssuanceRecord{ID: hex.EncodeToString(res.digest), Format: res.format, Document: name, ESID: sl.ESID,
		SignerSerial: smcrypto.SerialHex(chain[0].SerialNumber), SignedAt: res.at, LicenceID: licenceID, Holder: holder, LicenceType: licenceType, Code: code})
	if err != nil {
		if c, ok := res.body.(io.Closer); ok {
			c.Close()
		}
		// Not answered: a signature the registry does not know must not be handed out.
		return nil, fmt.Errorf("signed, but the issuance could not be recorded: %w", storeError(err))
	}
	res.code, res.link = code, link
	return res, nil
}

// signError maps the signer's typed errors: what is wrong with the document or the placement is
// 422, a seal that cannot sign 409.
func signError(err error) error {
	var se *sign.Error
	if errors.As(err, &se) {
		switch se.Reason {
		case sign.NotPDF, sign.NotOFD, sign.Encrypted, sign.UnsupportedPDF, sign.Certified, sign.PageOutOfRange, sign.BadRect, sign.TextNotFound:
			return errUnprocessable("%v", err)
		case sign.NotValidAtSigningTime:
			return errConflict("%v", err)
		case sign.BadOptions:
			return errBadRequest("%v", err)
		}
	}
	return err
}

// formatOf names a refused signing's format for the metrics.
func formatOf(f *form) string {
	if f.fields["detached"] != "" {
		return "detached"
	}
	if isOFD(f.file) {
		return "OFD"
	}
	return "PDF"
}

// sealerFor is what the sign library needs to seal with esID, from the store, with the parsed
// seal and chain for the issuance record.
func sealerFor(st *certstore.Store, esID string) (sign.Sealer, *seal.Seal, []*smcrypto.Certificate, error) {
	key, sl, chain, err := st.SealSigner(esID)
	if err != nil {
		return sign.Sealer{}, nil, nil, err
	}
	ders := make([][]byte, len(chain))
	for i, c := range chain {
		ders[i] = c.Raw
	}
	return sign.Sealer{Signer: key, Seal: sl.Raw, Chain: ders}, sl, chain, nil
}

// isOFD tells an OFD package (a zip) from its first bytes, as uploadKind does.
func isOFD(f io.ReaderAt) bool {
	head := make([]byte, 4)
	n, _ := f.ReadAt(head, 0)
	return uploadKind(head[:n]) == "ofd"
}

// signOptions are the fields of a signing form that apply alike to one document (POST /v1/sign)
// and to every document of a batch (POST /v1/sign/batch).
type signOptions struct {
	esID          string
	page          int
	convention    smcrypto.CMSConvention
	timestamp, qr bool
}

func parseSignOptions(fields map[string]string) (signOptions, error) {
	o := signOptions{esID: fields["seal"], page: 1, convention: smcrypto.ConventionPKCS7, timestamp: true}
	if o.esID == "" {
		return o, errBadRequest("the form needs a \"seal\" field: the esID of the seal to sign with")
	}
	switch strings.ToLower(fields["cms-oids"]) {
	case "", "pkcs7":
	case "gmt0010":
		o.convention = smcrypto.ConventionGMT0010
	default:
		return o, errBadRequest("cms-oids must be pkcs7 or gmt0010")
	}
	if p := fields["page"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return o, errBadRequest("page must be a page number, 1 or more")
		}
		o.page = n
	}
	for name, v := range map[string]*bool{"qr": &o.qr, "timestamp": &o.timestamp} {
		switch fields[name] {
		case "":
		case "true":
			*v = true
		case "false":
			*v = false
		default:
			return o, errBadRequest("%s must be true or false", name)
		}
	}
	return o, nil
}

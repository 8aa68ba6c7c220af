package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/eseal/eseal/internal/reporttext"
	"github.com/eseal/eseal/verify"
)

// multipartAllowance is how much multipart framing (boundaries, part headers, other small
// fields) a request may carry beyond the document.
const multipartAllowance = 64 << 10

// handleVerify answers POST /v1/verify with the same report as `eseal verify --json`, for a
// PDF or an OFD document.
func (s *server) handleVerify(w http.ResponseWriter, r *http.Request) {
	signed := false
	switch r.URL.Query().Get("signed") {
	case "", "0", "false":
	case "1", "true":
		if s.cfg.ReportSigner == nil {
			writeProblem(w, r, s.log, errNotFound("this service has no region key to sign reports with"))
			return
		}
		signed = true
	default:
		writeProblem(w, r, s.log, errBadRequest("signed must be 1 or 0"))
		return
	}
	var policy verify.RevocationPolicy
	switch r.URL.Query().Get("revocation") {
	case "", "required":
	case "soft-fail":
		policy = verify.RevocationSoftFail
	default:
		writeProblem(w, r, s.log, errBadRequest("revocation must be \"required\" (the default) or \"soft-fail\""))
		return
	}
	// The body may carry multipart framing (and a detached signature) besides the document:
	// allow for it here, and hold the document itself to MaxUploadBytes.
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartAllowance+verify.MaxDetachedSignatureSize)
	var up *upload
	var detached []byte
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == "multipart/form-data" {
		f, err := readForm(r, s.cfg.TempDir, s.cfg.MaxUploadBytes, map[string]int64{"signature": verify.MaxDetachedSignatureSize})
		if err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		defer f.Close()
		// Other text fields (a form's comment, a button) are ignored, as they always were.
		up, detached = f.upload, f.binary["signature"]
		if sig, ok := f.binary["signature"]; ok && len(sig) == 0 {
			writeProblem(w, r, s.log, errBadRequest("the \"signature\" field is empty"))
			return
		}
	} else {
		var err error
		if up, err = readUpload(r, s.cfg.TempDir, s.cfg.MaxUploadBytes); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		defer up.Close()
	}
	opts := verify.Options{Anchors: s.cfg.Anchors, Revocation: s.cfg.Revocation, RevocationPolicy: policy, Name: up.name, Cache: s.cache}
	if s.cfg.Now != nil {
		opts.CurrentTime = s.cfg.Now()
	}
	verifyFile := verify.VerifyPDF
	var magic [4]byte
	switch {
	case detached != nil:
		verifyFile = func(ctx context.Context, r io.ReaderAt, size int64, opts verify.Options) (*verify.Report, error) {
			return verify.VerifyDetached(ctx, r, size, detached, opts)
		}
	case func() bool { n, _ := up.file.ReadAt(magic[:], 0); return n == 4 && string(magic[:]) == "PK\x03\x04" }():
		verifyFile = verify.VerifyOFD // an OFD package is a zip
	}
	rep, err := verifyFile(r.Context(), up.file, up.size, opts)
	if err != nil {
		var ie *verify.InputError
		if errors.As(err, &ie) {
			writeProblem(w, r, s.log, errUnprocessable("%v", err))
			return
		}
		writeProblem(w, r, s.log, err)
		return
	}
	if !signed {
		writeJSON(w, http.StatusOK, reporttext.JSON(rep, time.UTC))
		return
	}
	// The exact bytes answered are the bytes signed: the signature travels in headers, detached.
	body, err := json.MarshalIndent(reporttext.JSON(rep, time.UTC), "", "  ")
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	body = append(body, '\n')
	sig, root, err := s.cfg.ReportSigner.SignReport(body)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Eseal-Report-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("Eseal-Report-Signer", base64.StdEncoding.EncodeToString(root.Raw))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

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

	"github.com/go-chi/chi/v5/middleware"

	"github.com/eseal/eseal/internal/reporttext"
	"github.com/eseal/eseal/verify"
)

// multipartAllowance is how much multipart framing (boundaries, part headers, other small
// fields) a request may carry beyond the document.
const multipartAllowance = 64 << 10

// handleVerify answers POST /v1/verify with the same report as `eseal verify --json`, for a
// PDF or an OFD document, or for any file with its detached signature (multipart "signature").
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
	var lang reporttext.Lang
	if l := r.URL.Query().Get("lang"); l != "" {
		var err error
		if lang, err = reporttext.ParseLang(l); err != nil {
			writeProblem(w, r, s.log, errBadRequest("lang must be zh or en"))
			return
		}
	}
	pictures := false
	switch r.URL.Query().Get("pictures") {
	case "", "0", "false":
	case "1", "true":
		pictures = true
	default:
		writeProblem(w, r, s.log, errBadRequest("pictures must be 1 or 0"))
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
	up, detached, err := s.readVerifyRequest(w, r)
	if err != nil {
		// What is left of the body is not read: the connection cannot carry another request.
		w.Header().Set("Connection", "close")
		writeProblem(w, r, s.log, err)
		return
	}
	defer up.Close()
	release, err := s.ops.gate.enter(r.Context(), up.size+int64(len(detached)))
	if err != nil {
		s.verifyAborted(w, r, err)
		return
	}
	defer release()
	s.ops.metrics.inFlight.Inc()
	defer s.ops.metrics.inFlight.Dec()
	opts := verify.Options{Anchors: s.cfg.Anchors, Revocation: s.cfg.Revocation, RevocationPolicy: policy, Name: up.name, Cache: s.cache, IncludePictures: pictures}
	if s.cfg.Now != nil {
		opts.CurrentTime = s.cfg.Now()
	}
	verifyFile, format := verify.VerifyPDF, "pdf"
	switch {
	case detached != nil:
		verifyFile = func(ctx context.Context, r io.ReaderAt, size int64, opts verify.Options) (*verify.Report, error) {
			return verify.VerifyDetached(ctx, r, size, detached, opts)
		}
		format = "detached"
	case isOFD(up.file):
		verifyFile, format = verify.VerifyOFD, "ofd" // an OFD package is a zip
	}
	rep, err := verifyFile(r.Context(), up.file, up.size, opts)
	if err != nil {
		var ie *verify.InputError
		if errors.As(err, &ie) {
			s.ops.metrics.observeAborted("unusable")
			writeProblem(w, r, s.log, errUnprocessable("%v", err))
			return
		}
		s.verifyAborted(w, r, err)
		return
	}
	s.ops.metrics.observeVerification(format, rep.Indication)
	if !signed {
		writeJSON(w, http.StatusOK, reporttext.JSONLang(rep, time.UTC, lang))
		return
	}
	// The exact bytes answered are the bytes signed: the signature travels in headers, detached.
	body, err := json.MarshalIndent(reporttext.JSONLang(rep, time.UTC, lang), "", "  ")
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

// readVerifyRequest spools the document to disk and returns it with the detached signature, if
// any. Uploads are refused as early as possible: a declared Content-Length over the limit before
// reading, a document that is no PDF or OFD on its first bytes, unless a "signature" field came
// before it (a detached signature covers any file).
func (s *server) readVerifyRequest(w http.ResponseWriter, r *http.Request) (*upload, []byte, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
		up, err := readUpload(r, s.cfg.TempDir, s.cfg.MaxUploadBytes)
		return up, nil, err
	}
	// The document and its detached signature share the upload limit.
	limit := s.cfg.MaxUploadBytes + multipartAllowance
	if r.ContentLength > limit {
		return nil, nil, errTooLarge(s.cfg.MaxUploadBytes)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	f, err := readForm(r, s.cfg.TempDir, s.cfg.MaxUploadBytes, formOptions{
		binary:         map[string]int64{"signature": min(verify.MaxDetachedSignatureSize, s.cfg.MaxUploadBytes)},
		documentUnless: "signature",
	})
	if err != nil {
		return nil, nil, err
	}
	// Other text fields (a form's comment, a button) are ignored, as they always were.
	sig, hasSig := f.binary["signature"]
	if hasSig && len(sig) == 0 {
		f.Close()
		return nil, nil, errBadRequest("the \"signature\" field is empty")
	}
	return f.upload, sig, nil
}

// verifyAborted answers a verification that gave no report: nothing when its client went away
// (the request's context ended), 503 with Retry-After when there was no room in time.
func (s *server) verifyAborted(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		s.ops.metrics.observeAborted("cancelled")
		s.log.Info("verification cancelled: the client went away", "request_id", middleware.GetReqID(r.Context()), "err", err)
		return
	}
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
		s.ops.metrics.observeAborted("busy")
	}
	retryAfter(w, err)
	writeProblem(w, r, s.log, err)
}

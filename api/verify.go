package api

import (
	"errors"
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
// PDF or an OFD document.
func (s *server) handleVerify(w http.ResponseWriter, r *http.Request) {
	var policy verify.RevocationPolicy
	switch r.URL.Query().Get("revocation") {
	case "", "required":
	case "soft-fail":
		policy = verify.RevocationSoftFail
	default:
		writeError(w, s.log, errBadRequest("revocation must be \"required\" (the default) or \"soft-fail\""))
		return
	}
	// The body may carry multipart framing besides the document: allow for it here, and let
	// readUpload hold the document itself to MaxUploadBytes.
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartAllowance)
	up, err := readUpload(r, s.cfg.TempDir, s.cfg.MaxUploadBytes)
	if err != nil {
		// What is left of the body is not read: the connection cannot carry another request.
		w.Header().Set("Connection", "close")
		writeError(w, s.log, err)
		return
	}
	defer up.Close()
	release, err := s.ops.gate.enter(r.Context(), up.size)
	if err != nil {
		s.verifyAborted(w, r, err)
		return
	}
	defer release()
	s.ops.metrics.inFlight.Inc()
	defer s.ops.metrics.inFlight.Dec()
	opts := verify.Options{Anchors: s.cfg.Anchors, Revocation: s.cfg.Revocation, RevocationPolicy: policy, Name: up.name, Cache: s.cache}
	if s.cfg.Now != nil {
		opts.CurrentTime = s.cfg.Now()
	}
	verifyFile, format := verify.VerifyPDF, "pdf"
	var magic [4]byte
	if n, _ := up.file.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == "PK\x03\x04" {
		verifyFile, format = verify.VerifyOFD, "ofd" // an OFD package is a zip
	}
	rep, err := verifyFile(r.Context(), up.file, up.size, opts)
	if err != nil {
		var ie *verify.InputError
		if errors.As(err, &ie) {
			s.ops.metrics.observeAborted("unusable")
			writeError(w, s.log, errUnprocessable("%v", err))
			return
		}
		s.verifyAborted(w, r, err)
		return
	}
	s.ops.metrics.observeVerification(format, rep.Indication)
	writeJSON(w, http.StatusOK, reporttext.JSON(rep, time.UTC))
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
	writeError(w, s.log, err)
}

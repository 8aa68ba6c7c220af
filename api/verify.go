package api

import (
	"errors"
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
	var policy verify.RevocationPolicy
	switch r.URL.Query().Get("revocation") {
	case "", "required":
	case "soft-fail":
		policy = verify.RevocationSoftFail
	default:
		writeProblem(w, r, s.log, errBadRequest("revocation must be \"required\" (the default) or \"soft-fail\""))
		return
	}
	// The body may carry multipart framing besides the document: allow for it here, and let
	// readUpload hold the document itself to MaxUploadBytes.
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes+multipartAllowance)
	up, err := readUpload(r, s.cfg.TempDir, s.cfg.MaxUploadBytes)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	defer up.Close()
	opts := verify.Options{Anchors: s.cfg.Anchors, Revocation: s.cfg.Revocation, RevocationPolicy: policy, Name: up.name, Cache: s.cache}
	if s.cfg.Now != nil {
		opts.CurrentTime = s.cfg.Now()
	}
	verifyFile := verify.VerifyPDF
	var magic [4]byte
	if n, _ := up.file.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == "PK\x03\x04" {
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
	writeJSON(w, http.StatusOK, reporttext.JSON(rep, time.UTC))
}

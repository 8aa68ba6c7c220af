package api

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"
)

// OCSPSource answers OCSP requests about the region's certificates; certstore.Store is one.
type OCSPSource interface {
	OCSPResponse(req *smcrypto.OCSPRequest) (der []byte, thisUpdate, nextUpdate time.Time, err error)
}

// handleOCSPPost answers POST /v1/ocsp, an RFC 6960 request in the body.
func (s *server) handleOCSPPost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, smcrypto.MaxOCSPRequestSize+1))
	if err != nil {
		writeOCSPError(w, http.StatusBadRequest, smcrypto.OCSPMalformedRequest)
		return
	}
	s.answerOCSP(w, r, body, false)
}

// handleOCSPGet answers GET /v1/ocsp/{base64 of the request}, which caches can keep.
func (s *server) handleOCSPGet(w http.ResponseWriter, r *http.Request) {
	enc, err := url.PathUnescape(chi.URLParam(r, "*"))
	if err != nil {
		writeOCSPError(w, http.StatusBadRequest, smcrypto.OCSPMalformedRequest)
		return
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		der, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	}
	if err != nil {
		writeOCSPError(w, http.StatusBadRequest, smcrypto.OCSPMalformedRequest)
		return
	}
	s.answerOCSP(w, r, der, true)
}

func (s *server) answerOCSP(w http.ResponseWriter, r *http.Request, der []byte, cacheable bool) {
	if s.cfg.OCSP == nil {
		writeProblem(w, r, s.log, errNotFound("this service runs no OCSP responder"))
		return
	}
	req, err := smcrypto.ParseOCSPRequest(der)
	if err != nil {
		writeOCSPError(w, http.StatusBadRequest, smcrypto.OCSPMalformedRequest)
		return
	}
	resp, thisUpdate, nextUpdate, err := s.cfg.OCSP.OCSPResponse(req)
	switch {
	case errors.Is(err, certstore.ErrNotOurIssuer):
		writeOCSPError(w, http.StatusOK, smcrypto.OCSPUnauthorized)
		return
	case err != nil:
		s.log.Error("OCSP", "err", err)
		writeOCSPError(w, http.StatusInternalServerError, smcrypto.OCSPInternalError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/ocsp-response")
	if cacheable {
		maxAge := int(time.Until(nextUpdate).Seconds())
		if s.cfg.Now != nil {
			maxAge = int(nextUpdate.Sub(s.cfg.Now()).Seconds())
		}
		maxAge = max(maxAge, 0)
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d, no-transform, must-revalidate", maxAge))
		h.Set("Last-Modified", thisUpdate.UTC().Format(http.TimeFormat))
		h.Set("Expires", nextUpdate.UTC().Format(http.TimeFormat))
		sum := sha256.Sum256(resp)
		h.Set("ETag", fmt.Sprintf(`"%x"`, sum[:16]))
		if r.Header.Get("If-None-Match") == h.Get("ETag") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else {
		h.Set("Cache-Control", "no-store")
	}
	w.Write(resp)
}

// writeOCSPError answers with an unsigned OCSP error response, which OCSP clients read.
func writeOCSPError(w http.ResponseWriter, httpStatus, ocspStatus int) {
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(httpStatus)
	w.Write(smcrypto.OCSPErrorResponse(ocspStatus))
}

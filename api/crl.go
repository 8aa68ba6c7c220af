package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/eseal/eseal/certstore"
)

// CRLSource gives an issuer's latest CRL; certstore.Store is one.
type CRLSource interface {
	LatestCRL(issuerKeyID string) (*certstore.CRLRecord, error)
}

var hexKeyID = regexp.MustCompile(`^[0-9a-fA-F]{8,128}$`)

// handleCRL answers GET /v1/crl/{issuer} (the issuer's key identifier in hex) with its latest
// CRL in DER, cacheable until the CRL's nextUpdate.
func (s *server) handleCRL(w http.ResponseWriter, r *http.Request) {
	issuer := chi.URLParam(r, "issuer")
	if !hexKeyID.MatchString(issuer) {
		writeProblem(w, r, s.log, errBadRequest("the issuer is its key identifier in hex"))
		return
	}
	if s.cfg.CRLs == nil {
		writeProblem(w, r, s.log, errNotFound("this service publishes no CRL"))
		return
	}
	rec, err := s.cfg.CRLs.LatestCRL(issuer)
	if errors.Is(err, certstore.ErrNotFound) {
		writeProblem(w, r, s.log, errNotFound("no CRL of issuer %s", issuer))
		return
	}
	if err != nil {
		writeProblem(w, r, s.log, errInternal(err))
		return
	}
	now := time.Now()
	if s.cfg.Now != nil {
		now = s.cfg.Now()
	}
	maxAge := int(rec.NextUpdate.Sub(now).Seconds())
	if maxAge < 0 {
		maxAge = 0
	}
	h := w.Header()
	h.Set("Content-Type", "application/pkix-crl")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
	h.Set("Last-Modified", rec.ThisUpdate.UTC().Format(http.TimeFormat))
	h.Set("Expires", rec.NextUpdate.UTC().Format(http.TimeFormat))
	h.Set("ETag", fmt.Sprintf(`"crl-%s-%d"`, rec.IssuerKeyID, rec.Number))
	if r.Header.Get("If-None-Match") == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(rec.DER)
}

package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/eseal/eseal/certstore"
)

// StatusSource gives the region's signed status of a certificate, seal or licence;
// certstore.Store is one.
type StatusSource interface {
	SignedStatus(kind, id string) ([]byte, error)
}

// handleStatus answers GET /v1/status/cert/{issuer}/{serial}, /v1/status/seal/{esID} and
// /v1/status/licence/{id} with the signed status (internal/status), which a relying party checks
// against the region's root.
func (s *server) handleStatus(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Status == nil {
			writeProblem(w, r, s.log, errNotFound("this service publishes no status"))
			return
		}
		id := chi.URLParam(r, "id")
		if kind == certstore.StatusCertificate {
			id = chi.URLParam(r, "issuer") + "/" + chi.URLParam(r, "serial")
		}
		body, err := s.cfg.Status.SignedStatus(kind, id)
		if errors.Is(err, certstore.ErrInvalidArgument) {
			writeProblem(w, r, s.log, errBadRequest("%v", err))
			return
		}
		if err != nil {
			writeProblem(w, r, s.log, errInternal(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body)
	}
}

package api

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/trustbundle"
)

// handleTrustBundle answers GET /v1/trust/bundle (public): the region's latest trust bundle,
// which another region imports after checking its root's fingerprint out of band.
func (s *server) handleTrustBundle(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Store == nil {
		writeProblem(w, r, s.log, errNotFound("this service publishes no trust bundle"))
		return
	}
	raw, err := s.cfg.Store.LatestTrustBundle()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="trust-bundle.json"`)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(raw)
}

// handleExportTrustBundle answers POST /v1/trust/bundle (role admin): a new bundle, with the
// next sequence number, published from then on at GET /v1/trust/bundle; ?validity=720h.
func (s *server) handleExportTrustBundle(w http.ResponseWriter, r *http.Request) {
	var validity time.Duration
	if v := r.URL.Query().Get("validity"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			writeProblem(w, r, s.log, errBadRequest("validity: %v (e.g. 720h)", err))
			return
		}
		validity = d
	}
	raw, b, err := s.storeFor(r).ExportTrustBundle(validity)
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Eseal-Root-Fingerprint", certstore.Fingerprint(b.Root.Raw))
	w.WriteHeader(http.StatusCreated)
	w.Write(raw)
}

// importResult is the answer to POST /v1/trust/import.
type importResult struct {
	Region         string   `json:"region"`
	Name           string   `json:"name"`
	Sequence       uint64   `json:"sequence"`
	Previous       uint64   `json:"previous"`
	StatusURL      string   `json:"statusURL"`
	Added          []string `json:"added"`
	AlreadyTrusted []string `json:"alreadyTrusted"`
}

// handleImportTrustBundle answers POST /v1/trust/import?fingerprint=SHA256 (role admin): the
// body is another region's bundle, verified against its root's fingerprint given out of band.
func (s *server) handleImportTrustBundle(w http.ResponseWriter, r *http.Request) {
	fp, err := trustbundle.ParseFingerprint(r.URL.Query().Get("fingerprint"))
	if err != nil {
		writeProblem(w, r, s.log, errBadRequest("fingerprint: the SHA-256 of the region's root, given out of band: %v", err))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, trustbundle.MaxSize))
	if err != nil {
		writeProblem(w, r, s.log, bodyError(err, trustbundle.MaxSize, "reading the bundle: %v"))
		return
	}
	res, err := s.storeFor(r).ImportTrustBundle(raw, fp, r.URL.Query().Get("note"))
	var te *trustbundle.Error
	switch {
	case errors.As(err, &te):
		writeProblem(w, r, s.log, &Error{Status: http.StatusUnprocessableEntity, Code: "bundle_refused", Message: strings.TrimPrefix(err.Error(), "certstore: ")})
		return
	case errors.Is(err, certstore.ErrStaleBundle):
		writeProblem(w, r, s.log, errConflict("%s", trimPrefix(err)))
		return
	case err != nil:
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	out := importResult{Region: res.Bundle.RegionCode, Name: res.Bundle.RegionName, Sequence: res.Bundle.Sequence, Previous: res.Previous,
		StatusURL: res.Bundle.StatusURL, Added: []string{}, AlreadyTrusted: []string{}}
	for _, a := range res.Added {
		out.Added = append(out.Added, a.Subject)
	}
	for _, a := range res.AlreadyTrusted {
		out.AlreadyTrusted = append(out.AlreadyTrusted, a.Subject)
	}
	writeJSON(w, http.StatusOK, out)
}

// trustView is what GET /v1/trust shows: whom this verifier trusts, so that relying parties
// can see on what its answers rest.
type trustView struct {
	Anchors []anchorView                  `json:"anchors"`
	Bundles []certstore.TrustBundleRecord `json:"bundles"`
}

type anchorView struct {
	Subject     string    `json:"subject"`
	Fingerprint string    `json:"sha256"`
	NotAfter    time.Time `json:"notAfter"`
}

// handleTrust answers GET /v1/trust (public): the trust anchors (this region's root among
// them) and the trust bundles imported from other regions.
func (s *server) handleTrust(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Store == nil {
		writeProblem(w, r, s.log, errNotFound("this service has no store"))
		return
	}
	anchors, err := s.cfg.Store.TrustAnchors()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	bundles, err := s.cfg.Store.TrustBundles()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	out := trustView{Anchors: []anchorView{}, Bundles: []certstore.TrustBundleRecord{}}
	for _, a := range anchors {
		out.Anchors = append(out.Anchors, anchorView{Subject: a.Subject.String(), Fingerprint: certstore.Fingerprint(a.Raw), NotAfter: a.NotAfter.UTC()})
	}
	for _, b := range bundles {
		b.Raw = nil // the bundle itself is its region's to publish
		out.Bundles = append(out.Bundles, b)
	}
	writeJSON(w, http.StatusOK, out)
}

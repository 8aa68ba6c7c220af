package api

import (
	"net/http"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/go-chi/chi/v5"
)

// sealView is a seal as the API shows it: no key material, the seal itself (DER) included.
type sealView struct {
	ESID         string    `json:"esID"`
	Name         string    `json:"name"`
	Type         int       `json:"type"`
	ValidStart   time.Time `json:"validStart"`
	ValidEnd     time.Time `json:"validEnd"`
	Created      time.Time `json:"created"`
	SignerSerial string    `json:"signerSerial"`
	Seal         []byte    `json:"seal,omitempty"`       // DER SESeal
	SignerCert   []byte    `json:"signerCert,omitempty"` // DER
	Revoked      bool      `json:"revoked"`
	Warnings     []string  `json:"warnings,omitempty"`
}

func viewSeal(rec *certstore.SealRecord, full bool, revoked bool) sealView {
	v := sealView{ESID: rec.ESID, Name: rec.Name, Type: rec.Type, ValidStart: rec.ValidStart.UTC(), ValidEnd: rec.ValidEnd.UTC(),
		Created: rec.Created.UTC(), SignerSerial: rec.SignerSerial, Revoked: revoked, Warnings: rec.PictureWarnings}
	if full {
		v.Seal, v.SignerCert = rec.ESL, rec.SignerCert
	}
	return v
}

func (s *server) revokedSeals() (map[string]bool, error) {
	revs, err := s.cfg.Store.SealRevocations()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range revs {
		out[r.ESID] = true
	}
	return out, nil
}

// handleSeals answers GET /v1/seals (role issuer): the region's seals.
func (s *server) handleSeals(w http.ResponseWriter, r *http.Request) {
	recs, err := s.cfg.Store.Seals()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	revoked, err := s.revokedSeals()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]sealView, 0, len(recs))
	for i := range recs {
		out = append(out, viewSeal(&recs[i], false, revoked[recs[i].ESID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"seals": out})
}

// handleSeal answers GET /v1/seals/{id} (role issuer): one seal, with its DER and signer
// certificate.
func (s *server) handleSeal(w http.ResponseWriter, r *http.Request) {
	rec, err := s.cfg.Store.Seal(chi.URLParam(r, "id"))
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	revoked, err := s.revokedSeals()
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSeal(rec, true, revoked[rec.ESID]))
}

// newSealRequest is the body of POST /v1/seals.
type newSealRequest struct {
	Name       string    `json:"name"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
}

// handleNewSeal answers POST /v1/seals (role issuer): a new seal with a generated picture.
func (s *server) handleNewSeal(w http.ResponseWriter, r *http.Request) {
	var req newSealRequest
	if err := readJSON(w, r, &req); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rec, err := s.storeFor(r).NewSeal(certstore.SealRequest{Name: req.Name, ValidUntil: req.ValidUntil})
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	w.Header().Set("Location", "/v1/seals/"+rec.ESID)
	writeJSON(w, http.StatusCreated, viewSeal(rec, true, false))
}

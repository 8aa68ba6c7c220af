package api

import (
	"net/http"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/verify"
	"github.com/go-chi/chi/v5"
)

// handleRevocations answers GET /v1/revocations (role revoker): revoked certificates and seals.
func (s *server) handleRevocations(w http.ResponseWriter, r *http.Request) {
	certs, err := s.cfg.Store.Revocations()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	seals, err := s.cfg.Store.SealRevocations()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	if certs == nil {
		certs = []certstore.Revocation{}
	}
	if seals == nil {
		seals = []certstore.SealRevocation{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"certificates": certs, "seals": seals})
}

// revokeRequest is the body of POST /v1/revocations/cert and /v1/revocations/seal.
type revokeRequest struct {
	Serial         string    `json:"serial,omitempty"` // cert: hex
	Issuer         string    `json:"issuer,omitempty"` // cert: issuer key ID hex, when several issued the serial
	ESID           string    `json:"esID,omitempty"`   // seal
	Reason         string    `json:"reason"`
	InvalidityDate time.Time `json:"invalidityDate,omitzero"`
}

func (s *server) readRevoke(w http.ResponseWriter, r *http.Request) (*revokeRequest, verify.RevocationReason, error) {
	var req revokeRequest
	if err := readJSON(w, r, &req); err != nil {
		return nil, 0, err
	}
	reason, err := parseReason(req.Reason)
	if err != nil {
		return nil, 0, err
	}
	return &req, reason, nil
}

// handleRevokeCert answers POST /v1/revocations/cert (role revoker): revoke a certificate the
// region issued. The CRL, OCSP responses and event log change in the same transaction.
func (s *server) handleRevokeCert(w http.ResponseWriter, r *http.Request) {
	req, reason, err := s.readRevoke(w, r)
	if err == nil && (req.Serial == "" || req.ESID != "") {
		err = errBadRequest("a certificate is named by \"serial\" (hex), with \"issuer\" when several issuers used it")
	}
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rev, err := s.storeFor(r).RevokeCertificate(certstore.RevokeRequest{Serial: req.Serial, IssuerKeyID: req.Issuer, Reason: reason, InvalidityDate: req.InvalidityDate})
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, rev)
}

// handleRevokeSeal answers POST /v1/revocations/seal (role revoker): revoke a seal by esID.
func (s *server) handleRevokeSeal(w http.ResponseWriter, r *http.Request) {
	req, reason, err := s.readRevoke(w, r)
	if err == nil && (req.ESID == "" || req.Serial != "" || req.Issuer != "") {
		err = errBadRequest("a seal is named by \"esID\"")
	}
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	rev, err := s.storeFor(r).RevokeSeal(certstore.SealRevokeRequest{ESID: req.ESID, Reason: reason, InvalidityDate: req.InvalidityDate})
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, rev)
}

// handleLicence answers GET /v1/licences/{id} (role revoker): a licence, its state and history.
func (s *server) handleLicence(w http.ResponseWriter, r *http.Request) {
	lic, err := s.cfg.Store.Licence(chi.URLParam(r, "id"))
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, lic)
}

// licenceActionRequest is the body of POST /v1/licences/{id}/{action}.
type licenceActionRequest struct {
	Reason      string `json:"reason"`
	Basis       string `json:"basis"`
	Replacement string `json:"replacement,omitempty"` // change: the licence that replaces it
}

// licenceActions maps the route's action to the state it leads to.
var licenceActions = map[string]string{
	"change": certstore.LicenceChanged, "withdraw": certstore.LicenceWithdrawn,
	"revoke": certstore.LicenceRevoked, "cancel": certstore.LicenceCancelled,
}

// handleLicenceAction answers POST /v1/licences/{id}/{action} (role revoker): change (变更),
// withdraw (撤回), revoke (撤销) or cancel (注销) a licence, with a reason and a legal basis;
// the caller is recorded as who did it.
func (s *server) handleLicenceAction(w http.ResponseWriter, r *http.Request) {
	state, ok := licenceActions[chi.URLParam(r, "action")]
	if !ok {
		writeProblem(w, r, s.log, errNotFound("no licence action %q (change, withdraw, revoke, cancel)", chi.URLParam(r, "action")))
		return
	}
	var req licenceActionRequest
	if err := readJSON(w, r, &req); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	st := s.storeFor(r)
	lic, err := st.ChangeLicenceState(certstore.LicenceAction{ID: chi.URLParam(r, "id"), State: state, Reason: req.Reason, Basis: req.Basis,
		By: st.Actor(), Replacement: req.Replacement})
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	writeJSON(w, http.StatusOK, lic)
}

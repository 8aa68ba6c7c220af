package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// handleTokens answers GET /v1/tokens (role admin): every token, without secrets.
func (s *server) handleTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.Tokens()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	if list == nil {
		list = []certstore.Token{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// newTokenRequest is the body of POST /v1/tokens.
type newTokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// handleNewToken answers POST /v1/tokens (role admin): a new token, its secret shown this once.
func (s *server) handleNewToken(w http.ResponseWriter, r *http.Request) {
	var req newTokenRequest
	if err := readJSON(w, r, &req); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if req.Name == "" {
		req.Name = req.Role
	}
	tok, plain, err := s.storeFor(r).CreateToken(req.Name, req.Role)
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, struct {
		*certstore.Token
		Secret string `json:"token"`
	}{tok, plain})
}

// handleRevokeToken answers DELETE /v1/tokens/{id} (role admin).
func (s *server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	tok, err := s.storeFor(r).RevokeToken(chi.URLParam(r, "id"))
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	tok.Hash = ""
	writeJSON(w, http.StatusOK, tok)
}

// handleWebhooks answers GET /v1/webhooks (role admin).
func (s *server) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Store.Webhooks()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	if list == nil {
		list = []certstore.Webhook{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": list})
}

// handleNewWebhook answers POST /v1/webhooks (role admin): {"url", "note"}.
func (s *server) handleNewWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL  string `json:"url"`
		Note string `json:"note,omitempty"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	wh, err := s.storeFor(r).AddWebhook(req.URL, req.Note)
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	writeJSON(w, http.StatusCreated, wh)
}

// handleRemoveWebhook answers DELETE /v1/webhooks/{id} (role admin).
func (s *server) handleRemoveWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.storeFor(r).RemoveWebhook(chi.URLParam(r, "id")); err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAudit answers GET /v1/audit (role auditor): the audit log and whether its chain holds.
// A broken chain is still answered (200, "intact": false, with the reason): an auditor needs to
// see the records to find what was done to them.
func (s *server) handleAudit(w http.ResponseWriter, r *http.Request) {
	recs, err := s.cfg.Store.AuditLog()
	if err != nil {
		writeProblem(w, r, s.log, storeError(err))
		return
	}
	out := map[string]any{"records": recs, "intact": true}
	if err := s.cfg.Store.VerifyAudit(); err != nil {
		out["intact"], out["problem"] = false, trimPrefix(err)
	}
	if head, err := s.cfg.Store.AuditHead(); err == nil && head != "" {
		out["head"] = head
	}
	writeJSON(w, http.StatusOK, out)
}

// handleBackup answers GET /v1/backup (role admin): a consistent copy of the store file, taken
// while the service runs (bbolt hot backup). Its private keys stay encrypted under the store's
// passphrase, which is not in it.
func (s *server) handleBackup(w http.ResponseWriter, r *http.Request) {
	name := fmt.Sprintf("eseal-backup-%s.db", time.Now().UTC().Format("20060102T150405Z"))
	started := false
	_, err := s.storeFor(r).Backup(w, func(size int64) {
		started = true
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.Header().Set("Cache-Control", "no-store")
	})
	switch {
	case err == nil:
	case !started:
		writeProblem(w, r, s.log, storeError(err))
	default:
		// The answer has begun: the client sees a body shorter than its Content-Length.
		s.log.Error("backup failed", "err", err, "requestId", middleware.GetReqID(r.Context()))
	}
}

package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers err as {"error": {...}} with its status; errors that are not *Error are 500s.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		apiErr = errInternal(err)
	}
	if apiErr.Status >= 500 {
		log.Error("request failed", "err", err)
	}
	writeJSON(w, apiErr.Status, map[string]*Error{"error": apiErr})
}

package api

import (
	_ "embed"
	"net/http"
)

// indexHTML is the verification page: upload a PDF, see the report. It uses only POST /v1/verify.
//
//go:embed web/index.html
var indexHTML []byte

func (s *server) handleIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(indexHTML)
}

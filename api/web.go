package api

import (
	_ "embed"
	"net/http"
)

// indexHTML is the verification page: upload a document (and its detached signature), see the
// report in Chinese or English, with the seal's picture and place; at /v/{code}, a signature's
// standing from the registry. It uses POST /v1/verify and GET /v1/issuances/{code}, nothing from
// elsewhere.
//
//go:embed web/index.html
var indexHTML []byte

func (s *server) handleIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(indexHTML)
}

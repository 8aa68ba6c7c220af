package api

import (
	_ "embed"
	"net/http"
)

// openAPI documents every route; TestOpenAPIMatchesRouter keeps it and the router in step.
//
//go:embed openapi.yaml
var openAPI []byte

// handleOpenAPI answers GET /v1/openapi.yaml.
func (s *server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openAPI)
}

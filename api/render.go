package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// writeJSON answers v with status, compact: the answers are for programs (indenting a
// verification report cost half of its encoding), and `jq` shows them to people.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err as an RFC 9457 problem with its status; errors that are not *Error
// are 500s, whose detail is not shown to the client (it is logged with the request ID).
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	writeProblem(w, nil, log, err)
}

// writeProblem is writeError with the request, for the problem's instance and request ID.
func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		apiErr = errInternal(err)
	}
	p := problem{Type: ProblemTypePrefix + apiErr.Code, Title: http.StatusText(apiErr.Status), Status: apiErr.Status,
		Detail: apiErr.Message, Code: apiErr.Code, Error: apiErr}
	if r != nil {
		p.Instance = r.URL.Path
		p.RequestID = middleware.GetReqID(r.Context())
	}
	if apiErr.Status >= 500 {
		cause := err
		if apiErr.cause != nil {
			cause = apiErr.cause
		}
		log.Error("request failed", "err", cause, "requestId", p.RequestID)
	}
	for k, vs := range apiErr.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(apiErr.Status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(p)
}

// jsonDecoder reads a request's JSON strictly: a misspelt field is an error, not ignored.
func jsonDecoder(r io.Reader) *json.Decoder {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec
}

package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/verify"
)

type ctxKey int

const callerKey ctxKey = iota

// caller is who made a privileged request: the token, and the client certificate's subject
// when the service requires mutual TLS.
type caller struct {
	token      *certstore.Token
	clientCert string
}

// actor is how the audit log names the caller.
func (c *caller) actor() string {
	if c.clientCert != "" {
		return c.token.Actor() + " mTLS " + c.clientCert
	}
	return c.token.Actor()
}

// require admits requests whose bearer token is live and whose role covers role (admin covers
// every role); with Config.RequireClientCert, only over TLS with a verified client certificate.
// Missing or invalid credentials are 401 with WWW-Authenticate; a wrong role is 403.
func (s *server) require(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.cfg.Store == nil {
				writeProblem(w, r, s.log, errNotFound("this service has no store to administer"))
				return
			}
			c := &caller{}
			if s.cfg.RequireClientCert {
				if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
					writeProblem(w, r, s.log, errUnauthenticated("this route needs a client certificate that the service's client CA issued (mutual TLS)"))
					return
				}
				c.clientCert = r.TLS.VerifiedChains[0][0].Subject.String()
			}
			auth := r.Header.Get("Authorization")
			scheme, token, ok := strings.Cut(auth, " ")
			if auth == "" {
				writeProblem(w, r, s.log, errUnauthenticated("this route needs an API token: Authorization: Bearer TOKEN (eseal token create --role %s)", role))
				return
			}
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				writeProblem(w, r, s.log, errUnauthenticated("the Authorization header must be \"Bearer TOKEN\""))
				return
			}
			tok, err := s.cfg.Store.Authenticate(strings.TrimSpace(token))
			if errors.Is(err, certstore.ErrUnauthenticated) {
				writeProblem(w, r, s.log, errUnauthenticated("the API token is not valid: unknown, revoked or mistyped"))
				return
			} else if err != nil {
				writeProblem(w, r, s.log, err)
				return
			}
			if !tok.Allows(role) {
				writeProblem(w, r, s.log, errForbidden("token %s has role %s; this route needs %s (or admin)", tok.ID, tok.Role, role))
				return
			}
			c.token = tok
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey, c)))
		})
	}
}

// storeFor is the store as the request's caller: its changes are audited under the caller.
func (s *server) storeFor(r *http.Request) *certstore.Store {
	c, _ := r.Context().Value(callerKey).(*caller)
	if c == nil {
		return s.cfg.Store.As("api (unauthenticated)")
	}
	return s.cfg.Store.As(c.actor())
}

// storeError maps the store's typed errors to their HTTP answers.
func storeError(err error) error {
	var apiErr *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr):
		return err
	case errors.Is(err, certstore.ErrNotFound):
		return errNotFound("%s", trimPrefix(err))
	case errors.Is(err, certstore.ErrInvalidArgument), errors.Is(err, certstore.ErrAmbiguousSerial):
		return errBadRequest("%s", trimPrefix(err))
	case errors.Is(err, certstore.ErrAlreadyRevoked), errors.Is(err, certstore.ErrSealRevoked):
		return errConflict("%s", trimPrefix(err))
	case errors.Is(err, certstore.ErrNotInitialized):
		return &Error{Status: http.StatusServiceUnavailable, Code: "not_initialized", Message: trimPrefix(err)}
	}
	return err
}

func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "certstore: ") }

// parseReason reads an RFC 5280 reason name for a JSON field.
func parseReason(s string) (verify.RevocationReason, error) {
	if s == "" {
		return 0, errBadRequest("reason is required (one of %s)", verify.RevocationReasonNames())
	}
	r, err := verify.ParseRevocationReason(s)
	if err != nil {
		return 0, errBadRequest("reason: %v", err)
	}
	return r, nil
}

// readJSON decodes a small JSON request body into v, refusing unknown fields, trailing data and
// bodies over 1 MiB.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errUnsupportedMedia("send JSON (Content-Type: application/json), not %s", ct)
	}
	body := http.MaxBytesReader(w, r.Body, 1<<20)
	dec := jsonDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge(mbe.Limit)
		}
		return errBadRequest("the body is not the JSON this route takes: %v", err)
	}
	if dec.More() {
		return errBadRequest("the body has data after its JSON object")
	}
	return nil
}

package api

import (
	"fmt"
	"net/http"
)

// Error is an API error: it carries the HTTP status it is answered with and a stable code. It is
// answered as an RFC 9457 problem (application/problem+json): type "urn:eseal:problem:CODE",
// title (the status's text), status, detail (Message) and instance (the request path), with the
// extension members code and requestId, and, for clients written before problems, the same
// error as {"error": {status, code, message}}.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Header is added to the answer (WWW-Authenticate on a 401, Retry-After on a 429 or 503).
	Header http.Header `json:"-"`
	cause  error       // an internal error's cause: logged, not shown
}

// problem is the body of an error answer.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"requestId,omitempty"`
	Error     *Error `json:"error"`
}

// ProblemTypePrefix begins every problem type; the rest is the error's code.
const ProblemTypePrefix = "urn:eseal:problem:"

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errBadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

func errTooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("the upload is larger than the limit of %d bytes", limit)}
}

func errUnprocessable(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "unusable_document", Message: fmt.Sprintf(format, args...)}
}

func errInternal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal",
		Message: "the service failed to answer; its log has the cause under this request's ID", cause: err}
}

func errNotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

func errUnauthenticated(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: fmt.Sprintf(format, args...),
		Header: http.Header{"Www-Authenticate": {`Bearer realm="eseal"`}}}
}

func errForbidden(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}

func errConflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

func errUnsupportedMedia(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: fmt.Sprintf(format, args...)}
}

package api

import (
	"fmt"
	"net/http"
)

// Error is an API error: it carries the HTTP status it is answered with and a stable code.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

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
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
}

func errNotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

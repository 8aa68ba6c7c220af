package pdf

import (
	"errors"
	"fmt"
)

// FormatReason says why a file cannot be read as a PDF.
type FormatReason int

const (
	// NotPDF: no "%PDF-" header in the first 1024 bytes.
	NotPDF FormatReason = iota + 1
	// NoXref: no startxref, or it does not point at a cross-reference section.
	NoXref
	// BadXref: a cross-reference section or trailer is malformed, or the /Prev chain loops.
	BadXref
	// Encrypted: the trailer has /Encrypt; encrypted documents are not supported.
	Encrypted
	// TooComplex: the file exceeds a safety limit (sections, objects, nesting).
	TooComplex
	// Damaged: the file ends inside an incremental update (an object, a cross-reference
	// section or a trailer without its %%EOF): it was cut short or damaged, and what it
	// held (often a signature) is lost.
	Damaged
)

func (r FormatReason) String() string {
	switch r {
	case NotPDF:
		return "not a PDF"
	case NoXref:
		return "no cross-reference table"
	case BadXref:
		return "malformed cross-reference data"
	case Encrypted:
		return "encrypted PDF (not supported)"
	case TooComplex:
		return "PDF too complex"
	case Damaged:
		return "damaged PDF"
	}
	return "unknown format problem"
}

// FormatError reports a file that cannot be used as a PDF: Open returns it for
// input that is not a PDF, has no usable cross-reference data, or is encrypted.
type FormatError struct {
	Reason FormatReason
	Offset int64 // byte offset the problem was found at, -1 if not applicable
	Detail string
}

func (e *FormatError) Error() string {
	s := "pdf: " + e.Reason.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(" (at byte %d)", e.Offset)
	}
	return s
}

func formatErr(reason FormatReason, off int64, format string, args ...any) *FormatError {
	return &FormatError{Reason: reason, Offset: off, Detail: fmt.Sprintf(format, args...)}
}

// errInternal marks a recovered panic: it must never happen, and the fuzz test
// fails when it sees one.
var errInternal = errors.New("pdf: internal error")

// syntaxError is a malformed object; it is wrapped into FormatError or into a
// per-object problem by the callers.
type syntaxError struct {
	off int64
	msg string
	// limit: the object may be well formed, but it is over one of the reader's limits.
	limit bool
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("pdf syntax error at byte %d: %s", e.off, e.msg)
}

func synErr(off int64, format string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
}

// limitErr is a syntaxError for an object over one of the reader's limits.
func limitErr(off int64, format string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...), limit: true}
}

// containPanic turns a panic into an error wrapping errInternal.
func containPanic(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", errInternal, r)
	}
}

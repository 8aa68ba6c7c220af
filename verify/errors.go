package verify

import "fmt"

// InputErrorReason says why a document could not be verified at all.
type InputErrorReason int

const (
	// InputInvalidArgument: VerifyPDF was called with no reader or a negative size.
	InputInvalidArgument InputErrorReason = iota + 1
	// InputNotPDF: the bytes are not a PDF (no %PDF- header).
	InputNotPDF
	// InputMalformed: the PDF structure (cross-reference data, trailer) cannot be read.
	InputMalformed
	// InputEncrypted: the PDF is encrypted; its signatures cannot be checked without decrypting it.
	InputEncrypted
	// InputTooComplex: the PDF exceeds a safety limit of the reader (revisions, objects, nesting).
	InputTooComplex
	// InputReadError: reading the input failed (an I/O error of the underlying reader).
	InputReadError
	// InputDamaged: the PDF was cut short or damaged: it ends inside an incremental update,
	// whose content (often a signature) is lost. It is not reported as unsigned.
	InputDamaged
	// InputNotSeal: VerifySeal was given bytes that are not an electronic seal (SESeal), or more
	// than a seal can be.
	InputNotSeal
	// InputNotSignature: VerifyDetached was given a signature file that is neither a CMS
	// SignedData nor an SES_Signature, or more than a signature can be.
	InputNotSignature
	// InputNotOFD: VerifyOFD was given a file that is not an OFD package (not a zip, no OFD.xml).
	InputNotOFD
)

func (r InputErrorReason) String() string {
	switch r {
	case InputInvalidArgument:
		return "invalid argument"
	case InputNotPDF:
		return "not a PDF"
	case InputMalformed:
		return "unreadable PDF structure"
	case InputEncrypted:
		return "encrypted PDF"
	case InputTooComplex:
		return "PDF too complex"
	case InputReadError:
		return "read error"
	case InputDamaged:
		return "damaged PDF"
	case InputNotOFD:
		return "not an OFD document"
	case InputNotSignature:
		return "not a detached signature (CMS SignedData or SES_Signature)"
	case InputNotSeal:
		return "not an electronic seal (GB/T 38540 / GM/T 0031 SESeal)"
	}
	return fmt.Sprintf("InputErrorReason(%d)", int(r))
}

// InputError is the verifiers' only error (besides the context's): the input cannot be
// verified at all. Everything that
// can be said about a readable PDF, including "it has no signature", is in the Report instead.
type InputError struct {
	Reason InputErrorReason
	Detail string
	Err    error // the underlying error, if any
}

func (e *InputError) Error() string {
	s := "verify: " + e.Reason.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *InputError) Unwrap() error { return e.Err }

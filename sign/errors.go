package sign

import "fmt"

// Reason says why SignPDF refused to seal a document.
type Reason int

const (
	// NotPDF: the input is not a PDF, or not one this package can read (no header, no
	// %%EOF/startxref, broken cross-reference data, truncated).
	NotPDF Reason = iota + 1
	// Encrypted: the PDF is encrypted. An incremental update would have to encrypt its new
	// strings and streams, which the PDF writer used here cannot do.
	Encrypted
	// UnsupportedPDF: a readable PDF with a structure the update cannot change faithfully
	// (an /Annots or /Fields that is not an array, a page without a usable /MediaBox), or
	// over a limit of the PDF reader.
	UnsupportedPDF
	// PageOutOfRange: PDFOptions.Page is not a page of the document.
	PageOutOfRange
	// BadRect: PDFOptions.Rect is empty, inverted, not finite, or not on the page.
	BadRect
	// BadPicture: the seal's picture cannot be decoded or converted for the PDF appearance.
	BadPicture
	// NotSM2Signer: Sealer.Signer is missing or its key is not an SM2 key.
	NotSM2Signer
	// BadChain: Sealer.Chain is empty, does not start with the signer key's certificate, or is
	// not in issuing order.
	BadChain
	// BadSeal: Sealer.Seal is missing, has no DER, or the signer certificate is not in the
	// seal's list of allowed signers.
	BadSeal
	// NotValidAtSigningTime: the seal or the signer certificate is not valid at the signing time.
	NotValidAtSigningTime
	// CMSTooLarge: the signature did not fit in the room reserved for it in the PDF.
	CMSTooLarge
	// SignerFailed: the signer (for example a hardware key) returned an error.
	SignerFailed
	// BadOptions: a PDFOptions value out of range (an unknown Convention).
	BadOptions
	// SameFile: the output path names the input file.
	SameFile
	// IOFailed: reading the input or writing the output failed.
	IOFailed
	// Internal: the sealed document did not read back as it must; nothing was written. This
	// is a bug to report with the input file.
	Internal
	// Certified: the document is certified with DocMDP permissions P=1 (or a signed field
	// locks it with /P 1), or an OFD signature protects the list of signatures: no change is
	// allowed, so another signature would break the earlier one. Nothing was written.
	Certified
	// NotOFD: the input is not an OFD package this package can read.
	NotOFD
	// TextNotFound: the text the seal is to be placed over (Near) is not on the page.
	TextNotFound
)

var reasonText = map[Reason]string{
	NotOFD:                "not a readable OFD",
	TextNotFound:          "text not found on the page",
	NotPDF:                "not a readable PDF",
	Encrypted:             "encrypted PDF",
	UnsupportedPDF:        "PDF structure not supported for sealing",
	PageOutOfRange:        "page out of range",
	BadRect:               "bad seal rectangle",
	BadPicture:            "unusable seal picture",
	NotSM2Signer:          "signer is not an SM2 key",
	BadChain:              "bad signer certificate chain",
	BadSeal:               "seal unusable with this signer",
	NotValidAtSigningTime: "not valid at the signing time",
	CMSTooLarge:           "signature too large for the reserved room",
	SignerFailed:          "signer failed",
	BadOptions:            "bad options",
	SameFile:              "output would overwrite the input",
	IOFailed:              "input/output error",
	Internal:              "internal error",
	Certified:             "certified document allows no changes",
}

func (r Reason) String() string {
	if s, ok := reasonText[r]; ok {
		return s
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Error is the error type of this package, in the manner of crypto/x509's typed errors:
// callers switch on Reason and show Error().
type Error struct {
	Reason Reason
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	msg := "sign: " + e.Reason.String()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(reason Reason, err error, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...), Err: err}
}

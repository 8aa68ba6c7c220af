package seal

import "fmt"

// ErrorReason says why a seal or signature was rejected.
type ErrorReason int

const (
	// Malformed: the bytes are not the ASN.1 structure the standards define, even read leniently.
	Malformed ErrorReason = iota + 1
	// UnsupportedVersion: the structure announces a version this package does not know (not 1, 4 or 5).
	UnsupportedVersion
	// UnsupportedAlgorithm: a signature algorithm or certificate digest type other than the ones
	// the standards name (SM2-with-SM3; sha1, sha256, sm3 digests).
	UnsupportedAlgorithm
	// BadCertificate: a certificate inside the seal or signature is unreadable, not even its public
	// key, or its key is not an SM2 key.
	BadCertificate
	// BadMakerSignature: the seal maker's signature does not verify over what the maker signed.
	BadMakerSignature
	// BadSignature: the signer's signature value does not verify over TBS_Sign.
	BadSignature
	// SignatureCoversDataHashOnly: the signature value does not verify over TBS_Sign, but it is a
	// valid SM2 signature whose message digest is the dataHash itself (a vendor variant seen in
	// real GM/T 0031-2014 files). It binds the protected data to the signer's key, but not the
	// seal, the signing time or propertyInfo.
	SignatureCoversDataHashOnly
	// NotValidAtTime: the time is outside the seal's validStart..validEnd.
	NotValidAtTime
	// SignerNotInCertList: the signer's certificate is not among the seal's allowed signers.
	SignerNotInCertList
	// InvalidOptions: BuildSeal, NewESID or GeneratePicture was given unusable input.
	InvalidOptions
	// BadPicture: picture bytes do not decode as the declared image type.
	BadPicture
)

var reasonNames = map[ErrorReason]string{
	Malformed:                   "malformed",
	UnsupportedVersion:          "unsupported version",
	UnsupportedAlgorithm:        "unsupported algorithm",
	BadCertificate:              "bad certificate",
	BadMakerSignature:           "seal maker's signature does not verify",
	BadSignature:                "signature value does not verify",
	SignatureCoversDataHashOnly: "signature covers the data hash only, not TBS_Sign",
	NotValidAtTime:              "seal not valid at the given time",
	SignerNotInCertList:         "signer certificate not allowed by the seal",
	InvalidOptions:              "invalid options",
	BadPicture:                  "bad picture",
}

func (r ErrorReason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("ErrorReason(%d)", int(r))
}

// Error is the error type of this package, in the manner of crypto/x509's typed errors: callers
// switch on Reason and show Detail.
type Error struct {
	Reason ErrorReason
	Detail string
	// Err is the underlying error, if any (for example smcrypto.ErrSignatureMismatch).
	Err error
}

func (e *Error) Error() string {
	msg := "seal: " + e.Reason.String()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(reason ErrorReason, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(reason ErrorReason, err error, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...), Err: err}
}

package verify

import (
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// TrustAnchors supplies the certificates a signer's chain must end in.
type TrustAnchors interface {
	TrustAnchors() ([]*smcrypto.Certificate, error)
}

// RevocationChecker says what is known about a certificate's revocation.
type RevocationChecker interface {
	// CertificateStatus reports the status of cert, issued by issuer. An error means the source
	// could not answer (the verifier then says INDETERMINATE / TRY_LATER, never "valid").
	CertificateStatus(cert, issuer *smcrypto.Certificate) (RevocationStatus, error)
}

// RevocationStatus is a revocation source's answer about one certificate.
type RevocationStatus struct {
	// Known is false when the source has no authority over this certificate (it did not issue it).
	Known          bool
	Revoked        bool
	RevokedAt      time.Time
	Reason         int // RFC 5280 CRLReason
	InvalidityDate time.Time
	Source         string // e.g. "eseal store", "CRL"
	// ProducedAt is when this answer was known to be current (now, for a local store).
	ProducedAt time.Time
}

// Options configures a verification.
type Options struct {
	// Anchors and ExtraAnchors together are the trusted roots.
	Anchors      TrustAnchors
	ExtraAnchors []*smcrypto.Certificate
	// Revocation may be nil: revocation is then not checked and the report says so.
	Revocation RevocationChecker
	// CurrentTime is the validation time; zero means time.Now().
	CurrentTime time.Time
	// Name is the document's name for the report.
	Name string
}

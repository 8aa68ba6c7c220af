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

// SealRevocationChecker is what a RevocationChecker may also answer: whether a seal itself
// (by its esID, and its exact bytes) was revoked. A source that implements it is asked for every
// seal; one that does not leaves seals unchecked, as before.
type SealRevocationChecker interface {
	SealStatus(esID string, sealDER []byte) (RevocationStatus, error)
}

// LicenceStatus is what an issuance registry knows of the licence a signature issued.
type LicenceStatus struct {
	ID          string    `json:"id"`
	State       string    `json:"state"` // in_force, changed, withdrawn, revoked, cancelled
	Reason      string    `json:"reason,omitempty"`
	Basis       string    `json:"basis,omitempty"` // the legal basis of the change
	Replacement string    `json:"replacement,omitempty"`
	At          time.Time `json:"at,omitzero"` // when it left force
	Source      string    `json:"source,omitempty"`
}

// LicenceChecker is what a RevocationChecker may also answer: the licence a signature issued,
// found by the digest the signature binds (the CMS messageDigest, the SES_Signature dataHash);
// nil when the registry knows none.
type LicenceChecker interface {
	LicenceStatus(digest []byte) (*LicenceStatus, error)
}

// SignerLicenceChecker is a LicenceChecker that is also told the signer's certificate, so that a
// source answering for several regions asks the region that issued it. Verification prefers it.
type SignerLicenceChecker interface {
	LicenceStatusForSigner(digest []byte, signer *smcrypto.Certificate) (*LicenceStatus, error)
}

// RevocationStatus is a revocation source's answer about one certificate.
type RevocationStatus struct {
	// Known is false when the source has no authority over this certificate (it did not issue it).
	Known          bool
	Revoked        bool
	RevokedAt      time.Time
	Reason         RevocationReason
	InvalidityDate time.Time
	// Source names what answered by what it is ("the issuing region's eseal store", "a CRL
	// of …"), never by a file path: it is shown in reports, which reach anonymous clients.
	Source string
	// ProducedAt is when this answer was known to be current (now, for a local store).
	ProducedAt time.Time
}

// Options configures a verification.
type Options struct {
	// IncludePictures puts each seal's picture in the report (SealInfo.Picture.Data), for a
	// page that shows it; off, the report only describes it.
	IncludePictures bool
	// Anchors and ExtraAnchors together are the trusted roots.
	Anchors      TrustAnchors
	ExtraAnchors []*smcrypto.Certificate
	// Revocation answers whether certificates were revoked. It may be nil; what then happens, and
	// what happens when it does not know a certificate, RevocationPolicy says.
	Revocation RevocationChecker
	// RevocationPolicy decides what missing revocation information means. The zero value fails
	// closed.
	RevocationPolicy RevocationPolicy
	// CurrentTime is the validation time; zero means time.Now().
	CurrentTime time.Time
	// Name is the document's name for the report.
	Name string
	// TimeZone is the zone the times in check details are written in (a text report shows
	// every time in one zone); nil means UTC. The report's time fields are UTC whatever it is.
	TimeZone *time.Location
	// Certificates are signer certificates for signatures that carry none (an OFD bare SM2
	// signature, eseal verify --cert): the first is taken as the signer's.
	Certificates []*smcrypto.Certificate
	// Cache, when set, is shared by verifications so that certificates and seals seen before
	// are not verified again (see Cache). Nil verifies everything.
	Cache *Cache
}

// RevocationPolicy decides what a signature's verdict is when nobody can say whether a certificate
// in its chain was revoked.
type RevocationPolicy int

const (
	// RevocationRequired (the default) fails closed: a certificate whose status no source knows
	// (no RevocationChecker, or one that does not know it) makes the signature
	// INDETERMINATE/TRY_LATER, never valid.
	RevocationRequired RevocationPolicy = iota
	// RevocationSoftFail accepts missing revocation information with a warning, as Adobe Reader
	// and pyHanko's soft-fail mode do. A source that reports a revocation, or fails to answer,
	// still counts.
	RevocationSoftFail
)

func (p RevocationPolicy) String() string {
	if p == RevocationSoftFail {
		return "soft-fail"
	}
	return "required"
}

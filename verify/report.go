package verify

import "time"

// Indication is the overall result of a validation, in ETSI EN 319 102-1 terms.
type Indication string

const (
	TotalPassed      Indication = "TOTAL_PASSED"
	TotalFailed      Indication = "TOTAL_FAILED"
	Indeterminate    Indication = "INDETERMINATE"
	NoSignatureFound Indication = "NO_SIGNATURE_FOUND"
)

// SubIndication says why a signature is not TOTAL_PASSED (ETSI EN 319 102-1 §5.1.3).
type SubIndication string

const (
	FormatFailure                 SubIndication = "FORMAT_FAILURE"
	HashFailure                   SubIndication = "HASH_FAILURE"
	SigCryptoFailure              SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked                       SubIndication = "REVOKED"
	SigConstraintsFailure         SubIndication = "SIG_CONSTRAINTS_FAILURE"
	ChainConstraintsFailure       SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
	CertificateChainGeneral       SubIndication = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
	CryptoConstraintsFailure      SubIndication = "CRYPTO_CONSTRAINTS_FAILURE"
	ExpiredSub                    SubIndication = "EXPIRED"
	NotYetValid                   SubIndication = "NOT_YET_VALID"
	SignedDataNotFound            SubIndication = "SIGNED_DATA_NOT_FOUND"
	NoSigningCertificateFound     SubIndication = "NO_SIGNING_CERTIFICATE_FOUND"
	NoCertificateChainFound       SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	RevokedNoPOE                  SubIndication = "REVOKED_NO_POE"
	RevokedCANoPOE                SubIndication = "REVOKED_CA_NO_POE"
	OutOfBoundsNoPOE              SubIndication = "OUT_OF_BOUNDS_NO_POE"
	OutOfBoundsNotRevoked         SubIndication = "OUT_OF_BOUNDS_NOT_REVOKED"
	CryptoConstraintsFailureNoPOE SubIndication = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
	TryLater                      SubIndication = "TRY_LATER"
)

// CheckStatus is the outcome of one check in a signature's report.
type CheckStatus string

const (
	CheckPassed        CheckStatus = "passed"
	CheckFailed        CheckStatus = "failed"
	CheckIndeterminate CheckStatus = "indeterminate"
	CheckWarning       CheckStatus = "warning"
	CheckSkipped       CheckStatus = "skipped" // not applicable, or not reached because an earlier check failed
)

// CheckName names a check. The names below, and the order in which a signature's checks are
// listed, are stable: scripts and other programs may rely on them.
type CheckName string

// The checks, in the order they are made for each signature (see the package doc).
const (
	FormatCheck            CheckName = "format"             // the container (CMS, PKCS#1, timestamp token) can be read
	ByteRangeCheck         CheckName = "byte range"         // PDF: the signed bytes are the document
	IntegrityCheck         CheckName = "integrity"          // the digest of the signed bytes is the signed one
	SignatureValueCheck    CheckName = "signature value"    // the signature verifies with the signer's key
	SignerCertificateCheck CheckName = "signer certificate" // the signer's certificate is present and bound
	SealCheck              CheckName = "seal"               // the GB/T 38540 seal: maker, allowed signers, validity
	ChainCheck             CheckName = "certificate chain"  // a chain to a trust anchor
	ValidityCheck          CheckName = "certificate validity"
	RevocationCheck        CheckName = "revocation"
	AlgorithmsCheck        CheckName = "algorithms"
	LaterChangesCheck      CheckName = "later changes"  // PDF: the revisions added after signing
	TimestampCheck         CheckName = "timestamp"      // the signature timestamp, when there is one
	LicenceCheck           CheckName = "licence status" // the licence the signature issued is in force, when a registry knows it
)

// Check is one step of the validation of a signature, in the order it was made.
type Check struct {
	Name   CheckName   `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail,omitempty"`
	// SubIndication is what a failed or indeterminate check means in ETSI terms; the signature's
	// sub-indication is that of its first failed (else first indeterminate) check.
	SubIndication SubIndication `json:"subIndication,omitempty"`
}

// Party names a certificate holder.
type Party struct {
	Subject    string    `json:"subject"`
	CommonName string    `json:"commonName,omitempty"` // the subject's CN
	Issuer     string    `json:"issuer"`
	Serial     string    `json:"serial"` // lower-case hex
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	// Revocation is what is known of this certificate's revocation (in a signature's Chain:
	// every certificate but the trust anchor, which is trusted by configuration).
	Revocation *RevocationInfo `json:"revocation,omitempty"`
}

// RevocationState is what a revocation source said of a certificate.
type RevocationState string

const (
	RevocationGood    RevocationState = "good"    // not revoked, according to Source
	RevocationRevoked RevocationState = "revoked" // revoked, with the reason and time
	RevocationUnknown RevocationState = "unknown" // nobody here can say (see UnknownBecause)
)

// Why a certificate's revocation status is unknown.
const (
	UnknownNoSource     = "no_source"     // no revocation source is configured
	UnknownSourceFailed = "source_failed" // the source could not answer
	UnknownNotKnown     = "not_known"     // the source has no authority over this certificate
)

// RevocationInfo is a certificate's revocation status as data; the revocation check's detail
// says the same in words, and what it means for the signature.
type RevocationInfo struct {
	Status         RevocationState `json:"status"`
	Reason         string          `json:"reason,omitempty"` // the RFC 5280 name, e.g. keyCompromise
	RevokedAt      time.Time       `json:"revokedAt,omitzero"`
	InvalidityDate time.Time       `json:"invalidityDate,omitzero"` // the key was unsafe since
	Source         string          `json:"source,omitempty"`        // what answered, by what it is
	AsOf           time.Time       `json:"asOf,omitzero"`           // when the answer was current
	UnknownBecause string          `json:"unknownBecause,omitempty"`
}

// Validity is the judgement of the certificates' validity periods, as data.
type Validity struct {
	// Status is "valid" when every certificate of the chain (the signer's alone when there is
	// no chain) was valid At, else "expired" or "not_yet_valid".
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	// AtSource is what At is: "claimed_signing_time" (a certificate outside its validity then
	// makes the signature contradict itself), "proof_of_existence" or "validation_time".
	AtSource string `json:"atSource"`
	// Certificate is the first certificate not valid At, with its bounds; nil when valid.
	Certificate *Party `json:"certificate,omitempty"`
}

// The values of Validity.Status and Validity.AtSource.
const (
	ValidityValid       = "valid"
	ValidityExpired     = "expired"
	ValidityNotYetValid = "not_yet_valid"

	AtClaimedSigningTime = "claimed_signing_time"
	AtProofOfExistence   = "proof_of_existence"
	AtValidationTime     = "validation_time"
)

// TimeProof is a trusted proof that a signature existed at a time: a signature timestamp, or
// a document timestamp written after it.
type TimeProof struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
}

// SealInfo describes the GB/T 38540 electronic seal a signature carries.
type SealInfo struct {
	Name       string    `json:"name,omitempty"`
	ESID       string    `json:"esID,omitempty"`
	Type       int       `json:"type,omitempty"`
	Version    int       `json:"version,omitempty"`
	ValidStart time.Time `json:"validStart,omitzero"`
	ValidEnd   time.Time `json:"validEnd,omitzero"`
	Created    time.Time `json:"created,omitzero"` // the creation date its maker signed
	Maker      string    `json:"maker,omitempty"`  // subject of the seal maker's certificate
	// Picture describes the seal's picture (its bytes are in the seal: eseal seal show
	// --export-image): the image type and its printed size in millimetres.
	Picture *PictureInfo `json:"picture,omitempty"`
	// Revocation is the seal's own revocation status, when the revocation source knows the
	// seal (SealRevocationChecker).
	Revocation *RevocationInfo `json:"revocation,omitempty"`
	// MakerRevocation is the revocation status of the seal maker's certificate, when a chain to
	// a trust anchor was found for it.
	MakerRevocation *RevocationInfo `json:"makerRevocation,omitempty"`
}

// PictureInfo describes a seal's picture.
type PictureInfo struct {
	Type     string `json:"type"` // PNG, JPG, GIF, BMP, SVG or OFD, as the seal says
	WidthMM  int    `json:"widthMM"`
	HeightMM int    `json:"heightMM"`
	Size     int    `json:"size"` // bytes
	// Data is the picture itself, only with Options.IncludePictures (a page that shows it).
	Data []byte `json:"data,omitempty"`
}

// Change is a revision of the document written after a signature.
type Change struct {
	// Revision counts from 1 (the original document); 0 stands for bytes after the last %%EOF
	// that belong to no revision.
	Revision int    `json:"revision"`
	Kind     string `json:"kind"`
	Detail   string `json:"detail,omitempty"`
	Allowed  bool   `json:"allowed"`
}

// The values of SignatureReport.Type.
const (
	TypeSignature         = "signature"          // a signature by a person or a bureau's seal
	TypeDocumentTimestamp = "document_timestamp" // a timestamp authority's timestamp over the document
)

// SignatureReport is the validation result of one signature: facts and verdicts as data. The
// words for people (a summary sentence, the text report) are made from it by the CLI and the
// service, not here.
type SignatureReport struct {
	Index             int           `json:"index"`
	FieldName         string        `json:"fieldName,omitempty"`
	Type              string        `json:"type"`
	Indication        Indication    `json:"indication"`
	SubIndication     SubIndication `json:"subIndication,omitempty"`
	Format            string        `json:"format"` // e.g. "PDF adbe.pkcs7.detached, CMS (PKCS#7 OIDs), SM2-with-SM3"
	Signer            *Party        `json:"signer,omitempty"`
	Chain             []Party       `json:"chain,omitempty"` // signer first, trust anchor last, when one was built
	Seal              *SealInfo     `json:"seal,omitempty"`
	SigningTime       *time.Time    `json:"signingTime,omitempty"`       // claimed, from the signed attributes (or /M)
	SigningTimeSource string        `json:"signingTimeSource,omitempty"` // "signed attribute", "PDF /M (unsigned)", "timestamp"
	// ProofOfExistence is the earliest trusted proof that the signature existed, if any.
	ProofOfExistence *TimeProof `json:"proofOfExistence,omitempty"`
	// Validity and Revocation are the facts behind the certificate validity and revocation
	// checks (Revocation: the signer's certificate; the chain's others are in Chain).
	Validity   *Validity       `json:"validity,omitempty"`
	Revocation *RevocationInfo `json:"revocation,omitempty"`
	Coverage   string          `json:"coverage"`           // "entire_file", "entire_revision", "unclear", "invalid"
	Reason     string          `json:"reason,omitempty"`   // the signer's /Reason
	Location   string          `json:"location,omitempty"` // the signer's /Location
	Page       int             `json:"page,omitempty"`
	// Rect is a PDF signature widget's rectangle (x1, y1, x2, y2 in its page's default user
	// space); PageBox the page's visible area (CropBox) and PageRotate its /Rotate: where the
	// seal shows on the page.
	Rect       *[4]float64 `json:"rect,omitempty"`
	PageBox    *[4]float64 `json:"pageBox,omitempty"`
	PageRotate int         `json:"pageRotate,omitempty"`
	Stamps     []Stamp     `json:"stamps,omitempty"` // OFD: where the stamps show
	// Licence is the licence the signature issued, when the registry knows it.
	Licence      *LicenceStatus `json:"licence,omitempty"`
	Checks       []Check        `json:"checks"`
	LaterChanges []Change       `json:"laterChanges,omitempty"`
}

// Report is the result of verifying one document.
type Report struct {
	Indication Indication        `json:"indication"`
	Document   DocumentInfo      `json:"document"`
	Signatures []SignatureReport `json:"signatures"`
	// ValidationTime is the time the validation was made at (VerifyOptions.CurrentTime).
	ValidationTime time.Time `json:"validationTime"`
	Findings       []string  `json:"findings,omitempty"` // document-level observations, e.g. orphan signature dictionaries
}

// DocumentInfo describes the verified file.
type DocumentInfo struct {
	Name      string `json:"name,omitempty"`
	Format    string `json:"format"` // "PDF"
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256,omitempty"`
	Revisions int    `json:"revisions"`
}

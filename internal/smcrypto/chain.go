package smcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// ChainErrorReason classifies why no certificate chain could be built.
type ChainErrorReason int

const (
	// ChainOther: any other failure (unhandled critical extension, policy, malformed input).
	ChainOther ChainErrorReason = iota
	// ChainNoPath: no issuer leads to any trust anchor.
	ChainNoPath
	// ChainExpired: a certificate on the only possible path is not valid at the time asked.
	ChainExpired
	// ChainNotAuthorized: an issuer is not a CA, lacks keyCertSign, or its pathLenConstraint is
	// exceeded.
	ChainNotAuthorized
	// ChainBadSignature: a certificate names an issuer that is present, but the issuer's key
	// does not verify its signature (tampered or forged certificate).
	ChainBadSignature
)

func (r ChainErrorReason) String() string {
	switch r {
	case ChainNoPath:
		return "no path to a trust anchor"
	case ChainExpired:
		return "certificate not valid at the time of validation"
	case ChainNotAuthorized:
		return "issuer not authorized to sign certificates"
	case ChainBadSignature:
		return "certificate signature does not verify"
	default:
		return "chain validation failed"
	}
}

// ChainError is BuildChain's error. Cert is the certificate the failure is about (for
// ChainExpired the one out of validity, for ChainNotAuthorized the issuer that may not issue (for
// an exceeded path length, the CA whose constraint it is), for
// ChainBadSignature and ChainNoPath the certificate whose issuer fails or is missing).
type ChainError struct {
	Reason ChainErrorReason
	Cert   *Certificate
	Detail string
	Err    error // the underlying library error, if any
}

func (e *ChainError) Error() string {
	s := "smcrypto: " + e.Reason.String()
	if e.Cert != nil {
		s += fmt.Sprintf(" (certificate %q, serial %s)", e.Cert.Subject.String(), SerialHex(e.Cert.SerialNumber))
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *ChainError) Unwrap() error { return e.Err }

// BuildChain finds a chain from leaf to one of roots (the trust anchors), through any of
// intermediates, with every certificate valid at `at` (zero: now). It returns leaf…anchor, the
// shortest valid chain found. Extended key usages are not restricted. smx509 checks signatures,
// validity, the CA bit, keyCertSign (when an issuer has a keyUsage extension), path length and
// name constraints.
func BuildChain(leaf *Certificate, intermediates, roots []*Certificate, at time.Time) ([]*Certificate, error) {
	if leaf == nil {
		return nil, &ChainError{Reason: ChainOther, Detail: "no certificate"}
	}
	if len(roots) == 0 {
		return nil, &ChainError{Reason: ChainNoPath, Cert: leaf, Detail: "no trust anchors configured"}
	}
	rootPool, interPool := smx509.NewCertPool(), smx509.NewCertPool()
	for _, c := range roots {
		if c != nil {
			rootPool.AddCert(c)
		}
	}
	for _, c := range intermediates {
		if c != nil {
			interPool.AddCert(c)
		}
	}
	chains, err := verifyRecovered(leaf, smx509.VerifyOptions{
		Roots:         rootPool,
		Intermediates: interPool,
		CurrentTime:   at,
		KeyUsages:     []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, classifyChainError(err, leaf, intermediates, roots)
	}
	sort.SliceStable(chains, func(i, j int) bool { return len(chains[i]) < len(chains[j]) })
	return chains[0], nil
}

func verifyRecovered(leaf *Certificate, opts smx509.VerifyOptions) (chains [][]*Certificate, err error) {
	defer recoverAsError(&err)
	return leaf.Verify(opts)
}

func classifyChainError(err error, leaf *Certificate, intermediates, roots []*Certificate) *ChainError {
	var inv smx509.CertificateInvalidError
	if errors.As(err, &inv) {
		cert := inv.Cert
		if cert == nil {
			cert = leaf
		}
		switch inv.Reason {
		case smx509.Expired:
			return &ChainError{Reason: ChainExpired, Cert: cert, Detail: inv.Detail, Err: err}
		case smx509.NotAuthorizedToSign:
			return &ChainError{Reason: ChainNotAuthorized, Cert: cert, Detail: "not a CA certificate", Err: err}
		case smx509.TooManyIntermediates:
			return &ChainError{Reason: ChainNotAuthorized, Cert: cert, Detail: "path length constraint exceeded", Err: err}
		}
		return &ChainError{Reason: ChainOther, Cert: cert, Detail: err.Error(), Err: err}
	}
	var unknown smx509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		cert := unknown.Cert
		if cert == nil {
			cert = leaf
		}
		// Go folds "issuer present but its signature fails" into "unknown authority"; look
		// for an issuer by name that fails to verify the certificate.
		candidates := append(append([]*Certificate(nil), roots...), intermediates...)
		var bad *ChainError
		for _, cand := range candidates {
			if cand == nil || bytes.Equal(cand.Raw, cert.Raw) || !bytes.Equal(cand.RawSubject, cert.RawIssuer) {
				continue
			}
			serr := cert.CheckSignatureFrom(cand)
			if serr == nil {
				continue
			}
			if errors.As(serr, new(smx509.ConstraintViolationError)) {
				return &ChainError{Reason: ChainNotAuthorized, Cert: cand, Detail: "not a CA certificate", Err: err}
			}
			if bad == nil {
				bad = &ChainError{Reason: ChainBadSignature, Cert: cert,
					Detail: fmt.Sprintf("issuer %q does not verify it: %v", cand.Subject.String(), serr), Err: err}
			}
		}
		if bad != nil {
			return bad
		}
		return &ChainError{Reason: ChainNoPath, Cert: cert, Detail: "issuer " + cert.Issuer.String() + " not found", Err: err}
	}
	return &ChainError{Reason: ChainOther, Cert: leaf, Detail: err.Error(), Err: err}
}

package smcrypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"sort"
	"sync"
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
	// ChainExpired: a certificate of the chain is not valid at the time asked (before its
	// NotBefore or after its NotAfter), or, from FindChain, there is no time at which all the
	// certificates of a path were valid together.
	ChainExpired
	// ChainNotAuthorized: an issuer is not a CA, lacks keyCertSign, or its pathLenConstraint is
	// exceeded.
	ChainNotAuthorized
	// ChainBadSignature: a certificate names an issuer that is present, but the issuer's key
	// does not verify its signature (tampered or forged certificate).
	ChainBadSignature
	// ChainWeakAlgorithm: a certificate is signed with an algorithm no longer accepted for
	// certificates (SHA-1 or MD5 with RSA or ECDSA); its signature was not checked. See
	// ChainOptions.AllowSHA1.
	ChainWeakAlgorithm
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
	case ChainWeakAlgorithm:
		return "weak algorithm"
	default:
		return "chain validation failed"
	}
}

// ChainError is the error of BuildChain, FindChain and CheckValidityAt. Cert is the certificate
// the failure is about (for ChainExpired the one out of validity, for ChainNotAuthorized the
// issuer that may not issue (for an exceeded path length, the CA whose constraint it is), for
// ChainBadSignature, ChainWeakAlgorithm and ChainNoPath the certificate whose issuer fails or is
// missing).
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
// shortest chain found, preferring one valid at `at`. Extended key usages are not restricted.
// smx509 checks signatures, the CA bit, keyCertSign (when an issuer has a keyUsage extension),
// path length, name constraints and policies.
//
// A missing issuer is reported as ChainNoPath whatever the time; the validity periods are
// judged after a path is found. To judge one path at several times, or to verify several
// certificates against the same anchors, use a ChainBuilder and CheckValidityAt.
func BuildChain(leaf *Certificate, intermediates, roots []*Certificate, at time.Time) ([]*Certificate, error) {
	if at.IsZero() {
		at = time.Now()
	}
	chain, err := NewChainBuilder(roots).FindChain(leaf, intermediates, ChainOptions{Prefer: []time.Time{at}})
	if err != nil {
		return nil, err
	}
	if err := CheckValidityAt(chain, at); err != nil {
		return nil, err
	}
	return chain, nil
}

// CheckValidityAt reports the first certificate of chain (leaf first) that is not valid at t,
// as a *ChainError with reason ChainExpired whose Err is smx509's CertificateInvalidError; nil
// when all are valid.
func CheckValidityAt(chain []*Certificate, t time.Time) error {
	for _, c := range chain {
		var detail string
		switch {
		case t.Before(c.NotBefore):
			detail = fmt.Sprintf("%s is before its validity starts on %s", t.UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339))
		case t.After(c.NotAfter):
			detail = fmt.Sprintf("%s is after its validity ended on %s", t.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		default:
			continue
		}
		return &ChainError{Reason: ChainExpired, Cert: c, Detail: detail,
			Err: smx509.CertificateInvalidError{Cert: c, Reason: smx509.Expired, Detail: detail}}
	}
	return nil
}

// ChainOptions tunes FindChain.
type ChainOptions struct {
	// Prefer lists times, the most wanted first: among the paths that verify, one whose
	// certificates are all valid at an earlier time of the list is returned first. It never
	// makes a path fail; the caller judges the validity periods (CheckValidityAt).
	Prefer []time.Time
	// AllowSHA1 accepts certificates signed with SHA-1 (RSA or ECDSA), which smx509 refuses in
	// chains: for a verifier holding a trusted proof that the signature existed while SHA-1 was
	// still acceptable (before 2014). Such a path is checked here instead: each signature (MD5
	// stays refused), the issuers' CA bit and keyCertSign, path lengths and critical extensions.
	// A SHA-1 path whose certificates carry name constraints or policy constraints is refused
	// (ChainOther): smx509 alone checks those.
	AllowSHA1 bool
}

// ChainBuilder finds certificate paths to a fixed set of trust anchors. It remembers the
// outcome of every path it has verified, so a builder used for all the certificates of one
// document (signers, seal makers, timestamping authorities) checks each certificate signature
// once. It is safe for concurrent use: callers that ask for the same path at once share one
// verification.
type ChainBuilder struct {
	roots    []*Certificate
	rootSums map[[32]byte]bool
	shared   *PathCache // outcomes kept across builders, or nil

	mu       sync.Mutex
	verified map[string]*pathEntry // by pathKey
	runs     int                   // paths verified (not taken from verified), for tests
}

// pathEntry is a path's outcome, computed once.
type pathEntry struct {
	once sync.Once
	out  pathOutcome
}

type pathOutcome struct {
	chain []*Certificate
	err   *ChainError
}

// NewChainBuilder returns a builder for the trust anchors roots (nil entries are ignored).
func NewChainBuilder(roots []*Certificate) *ChainBuilder {
	return NewChainBuilderWithCache(roots, nil)
}

// NewChainBuilderWithCache returns a builder that also consults, and fills, cache: a path
// verified by any builder sharing the cache is not verified again. A nil cache is allowed.
func NewChainBuilderWithCache(roots []*Certificate, cache *PathCache) *ChainBuilder {
	b := &ChainBuilder{rootSums: map[[32]byte]bool{}, verified: map[string]*pathEntry{}, shared: cache}
	for _, r := range roots {
		if r != nil {
			b.roots = append(b.roots, r)
			b.rootSums[sha256.Sum256(r.Raw)] = true
		}
	}
	return b
}

// Limits of the path search: real PKIs have a handful of levels and candidates.
const (
	maxPathDepth  = 12 // certificates in one path
	maxPaths      = 32 // candidate paths verified for one leaf
	maxPathVisits = 1024
)

// FindChain finds a chain leaf…anchor through intermediates whose signatures verify and whose
// CA constraints hold (smx509: CA bit, keyCertSign, path length, name constraints, policies,
// critical extensions), at some time when all its certificates are valid together. The search
// does not depend on a particular time: the caller checks the validity periods at the times it
// cares about with CheckValidityAt. Shorter paths come first (see ChainOptions.Prefer).
//
// The candidate paths are found by issuer names, without cryptography; each is then verified
// once, by smx509 with exactly its certificates, at a time inside all their validity periods.
// When no names lead to an anchor the error is ChainNoPath; otherwise it is the first candidate
// path's failure.
func (b *ChainBuilder) FindChain(leaf *Certificate, intermediates []*Certificate, opts ChainOptions) ([]*Certificate, error) {
	if leaf == nil {
		return nil, &ChainError{Reason: ChainOther, Detail: "no certificate"}
	}
	if len(b.roots) == 0 {
		return nil, &ChainError{Reason: ChainNoPath, Cert: leaf, Detail: "no trust anchors configured"}
	}
	paths, deadEnd := b.namePaths(leaf, intermediates)
	if len(paths) == 0 {
		return nil, &ChainError{Reason: ChainNoPath, Cert: deadEnd, Detail: "issuer " + deadEnd.Issuer.String() + " not found"}
	}
	// Paths valid at the preferred times first; the sort is stable, so shorter first within.
	rank := func(p []*Certificate) int {
		for i, t := range opts.Prefer {
			if !t.IsZero() && CheckValidityAt(p, t) == nil {
				return i
			}
		}
		return len(opts.Prefer)
	}
	ranks := make([]int, len(paths))
	for i, p := range paths {
		ranks[i] = rank(p)
	}
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return ranks[order[i]] < ranks[order[j]] })
	var firstErr *ChainError
	for _, i := range order {
		out := b.verifyPath(paths[i], opts)
		if out.err == nil {
			return out.chain, nil
		}
		if firstErr == nil {
			firstErr = out.err
		}
	}
	return nil, firstErr
}

// namePaths lists the paths from leaf to an anchor that issuer names allow (shortest first),
// and, when there is none, the certificate whose issuer is missing on the first path tried.
func (b *ChainBuilder) namePaths(leaf *Certificate, intermediates []*Certificate) (paths [][]*Certificate, deadEnd *Certificate) {
	if b.rootSums[sha256.Sum256(leaf.Raw)] {
		return [][]*Certificate{{leaf}}, nil
	}
	var inters []*Certificate
	for _, c := range intermediates {
		if c != nil && !b.rootSums[sha256.Sum256(c.Raw)] {
			inters = append(inters, c)
		}
	}
	visits := 0
	var walk func(path []*Certificate)
	walk = func(path []*Certificate) {
		cur := path[len(path)-1]
		found := false
		for _, a := range parentsOf(cur, b.roots, path) {
			found = true
			if len(paths) < maxPaths {
				paths = append(paths, appendFresh(path, a))
			}
		}
		if len(path) < maxPathDepth {
			for _, c := range parentsOf(cur, inters, path) {
				found = true
				visits++
				if visits > maxPathVisits || len(paths) >= maxPaths {
					return
				}
				walk(appendFresh(path, c))
			}
		}
		if !found && deadEnd == nil {
			deadEnd = cur
		}
	}
	walk([]*Certificate{leaf})
	if deadEnd == nil {
		deadEnd = leaf
	}
	sort.SliceStable(paths, func(i, j int) bool { return len(paths[i]) < len(paths[j]) })
	return paths, deadEnd
}

// parentsOf returns the certificates of pool that may have issued c (by name) and are not
// already on path, in the order smx509 tries them: matching key identifiers first.
func parentsOf(c *Certificate, pool, path []*Certificate) []*Certificate {
	var match, one, mismatch []*Certificate
	for _, p := range pool {
		if !bytes.Equal(p.RawSubject, c.RawIssuer) || onPath(p, path) {
			continue
		}
		switch {
		case bytes.Equal(p.SubjectKeyId, c.AuthorityKeyId):
			match = append(match, p)
		case len(p.SubjectKeyId) == 0 || len(c.AuthorityKeyId) == 0:
			one = append(one, p)
		default:
			mismatch = append(mismatch, p)
		}
	}
	return append(append(match, one...), mismatch...)
}

// onPath: the same certificate, or the same subject and key (a cross-certificate loop), as
// smx509 judges it.
func onPath(c *Certificate, path []*Certificate) bool {
	for _, p := range path {
		if bytes.Equal(p.Raw, c.Raw) ||
			bytes.Equal(p.RawSubject, c.RawSubject) && bytes.Equal(p.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

func appendFresh(path []*Certificate, c *Certificate) []*Certificate {
	out := make([]*Certificate, len(path)+1)
	copy(out, path)
	out[len(path)] = c
	return out
}

// pathKey identifies a path by the certificates it holds, and whether SHA-1 was allowed.
func pathKey(path []*Certificate, opts ChainOptions) string {
	k := make([]byte, 1, 1+32*len(path))
	if opts.AllowSHA1 {
		k[0] = 1
	}
	for _, c := range path {
		s := sha256.Sum256(c.Raw)
		k = append(k, s[:]...)
	}
	return string(k)
}

// verifyPath verifies one candidate path (leaf first, anchor last), once per builder.
func (b *ChainBuilder) verifyPath(path []*Certificate, opts ChainOptions) pathOutcome {
	key := pathKey(path, opts)
	b.mu.Lock()
	e, ok := b.verified[key]
	if !ok {
		e = &pathEntry{}
		b.verified[key] = e
	}
	b.mu.Unlock()
	e.once.Do(func() {
		out, ok := b.shared.get(key, path)
		if !ok {
			out = verifyPathOnce(path, opts)
			b.shared.put(key, path, out)
			b.mu.Lock()
			b.runs++
			b.mu.Unlock()
		}
		e.out = out
	})
	return e.out
}

// verifyPathOnce verifies a path; the outcome does not depend on opts.Prefer, which only picks
// the time (inside all validity periods) smx509 is asked about.
func verifyPathOnce(path []*Certificate, opts ChainOptions) (out pathOutcome) {
	defer func() {
		// The outcome is shared with other callers: a panic (a bug in a library on hostile
		// input) must become this path's failure, not leave them waiting or crash them.
		if p := recover(); p != nil {
			out = pathOutcome{err: &ChainError{Reason: ChainOther, Cert: path[0], Detail: fmt.Sprintf("malformed input (the verifier panicked: %v)", p)}}
		}
	}()
	leaf, anchor := path[0], path[len(path)-1]
	// The latest start and the earliest end: smx509 judges the path at a time all share.
	from, until := leaf.NotBefore, leaf.NotAfter
	latest, earliest := leaf, leaf
	for _, c := range path[1:] {
		if c.NotBefore.After(from) {
			from, latest = c.NotBefore, c
		}
		if c.NotAfter.Before(until) {
			until, earliest = c.NotAfter, c
		}
	}
	if from.After(until) {
		if err := checkLinks(path); err != nil {
			return pathOutcome{err: err}
		}
		return pathOutcome{err: &ChainError{Reason: ChainExpired, Cert: earliest,
			Detail: fmt.Sprintf("no time at which the path's certificates were valid together: it expired on %s, before %q became valid on %s",
				until.UTC().Format(time.RFC3339), latest.Subject.String(), from.UTC().Format(time.RFC3339))}}
	}
	at := from
	for _, t := range opts.Prefer {
		if !t.IsZero() && !t.Before(from) && !t.After(until) {
			at = t
			break
		}
	}
	rootPool, interPool := smx509.NewCertPool(), smx509.NewCertPool()
	rootPool.AddCert(anchor)
	var inner []*Certificate
	if len(path) > 2 {
		inner = path[1 : len(path)-1]
	}
	for _, c := range inner {
		interPool.AddCert(c)
	}
	chains, err := verifyRecovered(leaf, smx509.VerifyOptions{
		Roots:         rootPool,
		Intermediates: interPool,
		CurrentTime:   at,
		KeyUsages:     []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err != nil {
		ce := classifyChainError(err, leaf, inner, []*Certificate{anchor})
		if ce.Reason == ChainWeakAlgorithm && opts.AllowSHA1 {
			if ce := checkSHA1Path(path); ce != nil {
				return pathOutcome{err: ce}
			}
			return pathOutcome{chain: path}
		}
		return pathOutcome{err: ce}
	}
	sort.SliceStable(chains, func(i, j int) bool { return len(chains[i]) < len(chains[j]) })
	return pathOutcome{chain: chains[0]}
}

// Extensions whose rules smx509 applies when it verifies a chain, and checkSHA1Path does not.
var (
	oidNameConstraints   = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidPolicyMappings    = asn1.ObjectIdentifier{2, 5, 29, 33}
	oidInhibitAnyPolicy  = asn1.ObjectIdentifier{2, 5, 29, 54}
)

// checkSHA1Path checks a path (leaf first, anchor last) the way smx509 would, except that it
// accepts SHA-1 signatures: smx509 has no switch for that. It checks what smx509's isValid and
// CheckSignatureFrom check for chains built from given certificates; the validity periods are
// the caller's. Name and policy constraints, which it does not evaluate, make it refuse.
func checkSHA1Path(path []*Certificate) *ChainError {
	for _, c := range path {
		if len(c.UnhandledCriticalExtensions) > 0 {
			return &ChainError{Reason: ChainOther, Cert: c, Detail: fmt.Sprintf("unhandled critical extension %v", c.UnhandledCriticalExtensions[0])}
		}
		for _, e := range c.Extensions {
			for _, o := range []asn1.ObjectIdentifier{oidNameConstraints, oidPolicyConstraints, oidPolicyMappings, oidInhibitAnyPolicy} {
				if e.Id.Equal(o) {
					return &ChainError{Reason: ChainOther, Cert: c, Detail: fmt.Sprintf("extension %v is not evaluated on a path signed with SHA-1", o)}
				}
			}
		}
	}
	for i := 0; i+1 < len(path); i++ {
		child, parent := path[i], path[i+1]
		if parent.Version == 3 && !parent.BasicConstraintsValid || parent.BasicConstraintsValid && !parent.IsCA ||
			parent.KeyUsage != 0 && parent.KeyUsage&smx509.KeyUsageCertSign == 0 {
			return &ChainError{Reason: ChainNotAuthorized, Cert: parent, Detail: "not a CA certificate"}
		}
		if i+2 < len(path) && (!parent.BasicConstraintsValid || !parent.IsCA) {
			return &ChainError{Reason: ChainNotAuthorized, Cert: parent, Detail: "not a CA certificate"}
		}
		// i certificates lie between the leaf and parent: its intermediates.
		if parent.BasicConstraintsValid && parent.MaxPathLen >= 0 && i > parent.MaxPathLen {
			return &ChainError{Reason: ChainNotAuthorized, Cert: parent, Detail: "path length constraint exceeded"}
		}
		if err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature); err != nil {
			return linkError(child, parent, err, err)
		}
	}
	return nil
}

// checkLinks checks each certificate's signature with the next one's key, for the words of a
// path that cannot be verified as a whole.
func checkLinks(path []*Certificate) *ChainError {
	for i := 0; i+1 < len(path); i++ {
		child, parent := path[i], path[i+1]
		if err := child.CheckSignatureFrom(parent); err != nil {
			return linkError(child, parent, err, err)
		}
	}
	return nil
}

// linkError classifies the failure of child.CheckSignatureFrom(parent); wrapped is the error to
// unwrap to.
func linkError(child, parent *Certificate, serr, wrapped error) *ChainError {
	if errors.As(serr, new(smx509.ConstraintViolationError)) {
		return &ChainError{Reason: ChainNotAuthorized, Cert: parent, Detail: "not a CA certificate", Err: wrapped}
	}
	var weak smx509.InsecureAlgorithmError
	if errors.As(serr, &weak) {
		return &ChainError{Reason: ChainWeakAlgorithm, Cert: child,
			Detail: fmt.Sprintf("it is signed with %v, which is no longer accepted for certificates", smx509.SignatureAlgorithm(weak)), Err: wrapped}
	}
	return &ChainError{Reason: ChainBadSignature, Cert: child,
		Detail: fmt.Sprintf("issuer %q does not verify it: %v", parent.Subject.String(), serr), Err: wrapped}
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
			ce := linkError(cert, cand, serr, err)
			if ce.Reason == ChainNotAuthorized {
				return ce
			}
			if bad == nil {
				bad = ce
			}
		}
		if bad != nil {
			return bad
		}
		return &ChainError{Reason: ChainNoPath, Cert: cert, Detail: "issuer " + cert.Issuer.String() + " not found", Err: err}
	}
	return &ChainError{Reason: ChainOther, Cert: leaf, Detail: err.Error(), Err: err}
}

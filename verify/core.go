package verify

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// The verification core knows no file format. A format reader (pdf.go) turns a document into
// signatureInputs: the signature's container (a CMS SignedData, a bare PKCS#1 value, a
// timestamp token), what it signed (byte ranges of the input), and hooks for what only the
// format can judge (a PDF's ByteRange coverage and its later revisions). The core reads each
// container into evidence (containers.go), hashes every signature's signed bytes in one pass
// (hashing.go), and runs the same checks over the evidence whatever the format (integrity.go,
// checks.go).

// signatureInput is one signature as a format reader hands it to the core.
type signatureInput struct {
	// report holds what the format knows of the signature for its report (index, field name,
	// reason, location, page); the core fills in the rest.
	report SignatureReport
	// docTimestamp: a timestamp over the document, not a signature by a person.
	docTimestamp bool
	// formatName introduces the signature in its report's Format ("PDF adbe.pkcs7.detached").
	formatName string
	// refused, when set, is why the format cannot hand over a container at all (an unknown
	// SubFilter, a placeholder never filled): the format check fails with it.
	refused string
	// undecidable: what refused says makes the signature INDETERMINATE
	// (NO_SIGNING_CERTIFICATE_FOUND), not malformed.
	undecidable bool
	// The container and how to read it; where names it in details ("/Contents" if empty).
	container  containerKind
	raw        []byte
	where      string
	profile    cmsProfile
	extraCerts [][]byte // certificates the format carries beside the container (PDF /Cert)
	// givenCerts are certificates the caller gives for a container that carries none (an OFD
	// bare SM2 signature): the first is the signer's.
	givenCerts []*smcrypto.Certificate
	// ofdRange is where an OFD signature's Signature.xml lies in the core's input.
	ofdRange [2]int64
	// warnings are what the format reader found odd in the signature: they are noted with the
	// format check and make it a warning. notes are noted only.
	warnings, notes []string
	// claimed is the format's own statement of the signing time (PDF /M), used when the
	// container states none.
	claimed    time.Time
	claimedSrc string
	// signedEnd is where the signed bytes end in the input (0 if unknown): a document timestamp
	// whose signed bytes reach at least as far covers the signature.
	signedEnd int64
	hooks     formatHooks
}

// formatHooks are the checks only the format can make.
type formatHooks interface {
	// signedBytes adds the format's check of what the signature signs (a PDF ByteRange) and
	// returns the ranges of the input to hash, nil if none can be.
	signedBytes(v *verifier, st *sigState) [][2]int64
	// laterChanges adds the format's check of what was added to the input after signing.
	laterChanges(v *verifier, st *sigState)
}

// verifier holds what one verification shares between its signatures.
type verifier struct {
	ctx        context.Context
	r          io.ReaderAt
	size       int64
	opts       Options
	now        time.Time
	zone       *time.Location // of the times in details
	anchors    []*smcrypto.Certificate
	anchorsErr error
	chains     *smcrypto.ChainBuilder // for anchors, shared by every chain of the document
	hashes     *hashPlan
	help       *helper // the idle core's goroutine, nil if none (idle.go)
}

func newVerifier(ctx context.Context, r io.ReaderAt, size int64, opts Options, help *helper) *verifier {
	now := opts.CurrentTime
	if now.IsZero() {
		now = time.Now().Truncate(time.Second) // reports state times to the second
	}
	v := &verifier{ctx: ctx, r: r, size: size, opts: opts, now: now.UTC(), zone: opts.TimeZone, hashes: &hashPlan{size: size}, help: help}
	if v.zone == nil {
		v.zone = time.UTC
	}
	v.loadAnchors()
	return v
}

// verifyAll runs every check of every signature, and returns their reports in input order.
// The error is a failure to read the input, or ctx's.
func (v *verifier) verifyAll(inputs []*signatureInput) ([]SignatureReport, error) {
	states := make([]*sigState, len(inputs))
	for i, in := range inputs {
		st := &sigState{in: in, rep: &SignatureReport{}}
		*st.rep = in.report
		states[i] = st
		v.checkFormat(st)
		st.ranges = in.hooks.signedBytes(v, st)
		v.planIntegrity(st)
	}
	v.help.give(v.independentWork(states))
	defer v.hashes.finish() // before the helper stops (VerifyPDF): it may still be hashing

	if err := v.ctx.Err(); err != nil {
		return nil, err
	}
	if err := v.hashes.run(v.ctx, v.r, v.help); err != nil {
		return nil, err
	}
	// Document timestamps first, the latest first: each can lend its time as a proof of
	// existence to the signatures (and document timestamps) it covers.
	order := make([]*sigState, len(states))
	copy(order, states)
	sort.SliceStable(order, func(i, j int) bool {
		di, dj := order[i].in.docTimestamp, order[j].in.docTimestamp
		if di != dj {
			return di
		}
		if di {
			return order[i].in.signedEnd > order[j].in.signedEnd
		}
		return false
	})
	var timestamps []*sigState
	for _, st := range order {
		if err := v.ctx.Err(); err != nil {
			return nil, err
		}
		v.verifySignature(st, timestamps)
		if st.in.docTimestamp {
			timestamps = append(timestamps, st)
		}
	}
	reps := make([]SignatureReport, len(states))
	for i, st := range states {
		reps[i] = *st.rep
	}
	return reps, nil
}

// independentWork sets up the work the checks will need that depends only on the containers
// already read, each piece done once (an idle core may do it first, idle.go): the seals and
// their makers' signatures, the makers' and the signers' certificate paths. It returns the
// pieces in the order the checks need them.
func (v *verifier) independentWork(states []*sigState) []func() {
	var work []func()
	for _, st := range states {
		if st.ev.sealDER == nil {
			continue
		}
		st.seal = v.sealTask(st.ev.sealDER)
		certs, sealOf := st.ev.certs, st.seal
		work = append(work, func() { sealOf() })
		if len(v.anchors) > 0 {
			work = append(work, func() {
				if w, err := sealOf(); err == nil && w.makerErr == nil {
					v.findChain(w.maker, certs, v.now, w.seal.CreateDate)
				}
			})
		}
	}
	for _, st := range states {
		if cert, certs := st.ev.signer, st.ev.certs; cert != nil && len(v.anchors) > 0 {
			// The path's outcome is kept by the ChainBuilder, whatever times the chain check
			// prefers later.
			work = append(work, func() { v.findChain(cert, certs, v.now) })
		}
	}
	return work
}

// verifySignature runs the checks after the format's, in order. timestamps are the document
// timestamps already verified, which may prove that this signature existed at their time.
func (v *verifier) verifySignature(st *sigState, timestamps []*sigState) {
	v.checkIntegrityAndValue(st)
	v.checkSignerCertificate(st)
	// The timestamps are evaluated before the seal and the certificates, whose validity and
	// revocation they may decide; their own check is reported last.
	v.evaluateTimestamp(st)
	v.proofOfExistence(st, timestamps)
	v.checkSeal(st)
	v.checkChain(st)
	v.checkValidity(st)
	v.checkRevocation(st)
	v.checkAlgorithms(st)
	st.in.hooks.laterChanges(v, st)
	v.checkLicence(st)
	if st.tsCheck != nil {
		st.checks = append(st.checks, *st.tsCheck)
	}
	st.conclude()
}

// sigState is everything learnt about one signature while it is verified.
type sigState struct {
	in  *signatureInput
	rep *SignatureReport

	// ev is what the container holds, once the format check has read it.
	ev evidence
	// formatOK: the container was read; the cryptographic checks can run.
	formatOK bool
	// ranges are the signed bytes, coverageOK that the format accepts them as the document.
	ranges     [][2]int64
	coverageOK bool
	// hashes are the digests of the signed bytes the integrity check asked for.
	hashes hashGroup
	// seal reads the seal the signature carries and checks its maker's signature; nil if it
	// carries none.
	seal func() (*sealWork, error)
	// sigOK: the signature value verified (and, for signers with signed attributes, the content
	// digest matched).
	sigOK     bool
	sigDigest smcrypto.OID // digest algorithm the signature relies on

	claimed    time.Time // the signing time the signer claims
	claimedSrc string
	// poe is the earliest trusted proof that the signature existed, from its own timestamp or a
	// later document timestamp; zero if none.
	poe    time.Time
	poeSrc string
	// trustedTime: for a document timestamp that verified and whose TSA is trusted, its genTime.
	trustedTime time.Time

	tsCheck *Check // the signature timestamp's check, added last
	// sealAlone: a seal judged on its own (VerifySeal), at the validation time, not a signature.
	sealAlone bool
	// encapAlg is the digest algorithm whose value the CMS encapsulates instead of being
	// detached (PDF adbe.pkcs7.sha1: SHA-1; an OFD GM/T 0010 signature: SM3); empty if detached.
	encapAlg smcrypto.OID
	chain    []*smcrypto.Certificate

	checks []Check
}

func (st *sigState) add(name CheckName, status CheckStatus, sub SubIndication, format string, args ...any) {
	c := Check{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)}
	if status == CheckFailed || status == CheckIndeterminate {
		c.SubIndication = sub
	}
	st.checks = append(st.checks, c)
}

func (st *sigState) what() string {
	if st.in.docTimestamp {
		return "document timestamp"
	}
	return "signature"
}

// loadAnchors collects the trust anchors once per document.
func (v *verifier) loadAnchors() {
	if v.opts.Anchors != nil {
		as, err := v.opts.Anchors.TrustAnchors()
		if err != nil {
			v.anchorsErr = err
		}
		for _, a := range as {
			if a != nil {
				v.anchors = append(v.anchors, a)
			}
		}
	}
	for _, a := range v.opts.ExtraAnchors {
		if a != nil {
			v.anchors = append(v.anchors, a)
		}
	}
	v.chains = smcrypto.NewChainBuilderWithCache(v.anchors, v.opts.Cache.pathCache())
}

// overallIndication: no signature → NO_SIGNATURE_FOUND; any TOTAL_FAILED → TOTAL_FAILED; else any
// INDETERMINATE → INDETERMINATE; else TOTAL_PASSED.
func overallIndication(sigs []SignatureReport) Indication {
	if len(sigs) == 0 {
		return NoSignatureFound
	}
	ind := TotalPassed
	for _, s := range sigs {
		switch s.Indication {
		case TotalFailed:
			return TotalFailed
		case Indeterminate:
			ind = Indeterminate
		}
	}
	return ind
}

func readError(err error) *InputError {
	return &InputError{Reason: InputReadError, Detail: err.Error(), Err: err}
}

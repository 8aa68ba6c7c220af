package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/ofd"
	"github.com/eseal/eseal/internal/smcrypto"
)

// The OFD format (GB/T 33190-2016 §18): each signature signs its Signature.xml, which lists the
// files it protects with their digests (References). A Type="Seal" signature is a GB/T 38540
// SES_Signature whose dataHash is the SM3 of Signature.xml; a Type="Sign" signature a GM/T 0010
// SignedData over Signature.xml (detached, or encapsulating its SM3), or a bare SM2 signature
// whose certificate the caller gives (Options.Certificates).
//
// The core hashes byte ranges of one input: here that input is every signature's Signature.xml,
// one after the other, as stored in the package.

// ofdInMemory is the size up to which an OFD package is read into memory whole.
const ofdInMemory = 32 << 20

// ReferencesCheck is OFD's check that every file a signature protects is in the package, unchanged:
// each Reference's digest, by its CheckMethod.
const ReferencesCheck CheckName = "references"

// Stamp is where a signature's stamp shows (an OFD StampAnnot).
type Stamp struct {
	PageRef string `json:"pageRef"`
	// X, Y, Width and Height are the stamp's box on the page, in millimetres.
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// VerifyOFD verifies every signature of every document of the OFD package in r (size bytes),
// with the checks and the report of a PDF's signatures, and OFD's own: the References (every
// protected file and its digest) and what lies outside them.
//
// The error is an *InputError when the package cannot be used at all (not an OFD, over a limit,
// damaged), or ctx's error.
func VerifyOFD(ctx context.Context, r io.ReaderAt, size int64, opts Options) (*Report, error) {
	if r == nil || size < 0 {
		return nil, &InputError{Reason: InputInvalidArgument, Detail: fmt.Sprintf("no reader or negative size %d", size)}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A package of ordinary size is read once into memory: the zip reader's many small reads
	// and the document's SHA-256 then cost no system calls. Larger ones are read in place.
	var docSum []byte
	waitSum := func() {}
	if size <= ofdInMemory {
		data := make([]byte, size)
		if _, err := r.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && len(data) == int(size)) {
			return nil, readError(err)
		}
		r = bytes.NewReader(data)
		// The document's SHA-256 is for the report only: an idle core computes it meanwhile.
		var wg sync.WaitGroup
		hash := func() { sum := sha256.Sum256(data); docSum = sum[:] }
		if cores.TryAcquire(1) {
			wg.Go(func() { defer cores.Release(1); hash() })
		} else {
			hash()
		}
		defer wg.Wait()
		waitSum = wg.Wait
	}
	pkg, err := ofd.Open(r, size)
	if err != nil {
		return nil, ofdInputError(err)
	}
	in := &ofdInput{pkg: pkg}
	var inputs []*signatureInput
	for _, d := range pkg.Docs {
		for _, s := range d.Signatures {
			inputs = append(inputs, in.signature(len(inputs)+1, d, s, opts))
		}
	}
	if size > ofdInMemory {
		if docSum, err = sha256Of(ctx, r, size); err != nil {
			return nil, err
		}
	}
	// An idle core takes the seals' and the certificate paths' SM2 verifications (idle.go).
	var help *helper
	if opts.Cache == nil {
		if cores.TryAcquire(1) {
			defer cores.Release(1)
		}
		help = startHelper()
		defer help.stop()
	}
	v := newVerifier(ctx, bytes.NewReader(in.content.Bytes()), int64(in.content.Len()), opts, help)
	sigs, err := v.verifyAll(inputs)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, readError(err)
	}
	waitSum()
	return &Report{
		Document:       DocumentInfo{Name: opts.Name, Format: "OFD", Size: size, SHA256: hex.EncodeToString(docSum)},
		ValidationTime: v.now,
		Signatures:     sigs,
		Indication:     overallIndication(sigs),
		Findings:       in.findings(),
	}, nil
}

func sha256Of(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
	h := sha256.New()
	buf := make([]byte, streamChunk)
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		h.Write(buf[:n])
		off += int64(n)
		if err != nil && !(errors.Is(err, io.EOF) && off == size) {
			return nil, readError(err)
		}
	}
	return h.Sum(nil), nil
}

func ofdInputError(err error) *InputError {
	var e *ofd.Error
	if !errors.As(err, &e) {
		return &InputError{Reason: InputMalformed, Detail: err.Error(), Err: err}
	}
	reason := InputMalformed
	switch e.Reason {
	case ofd.NotOFD:
		reason = InputNotOFD
	case ofd.TooLarge:
		reason = InputTooComplex
	case ofd.Damaged:
		reason = InputDamaged
	}
	return &InputError{Reason: reason, Detail: e.Detail, Err: err}
}

// ofdInput is an OFD package being verified.
type ofdInput struct {
	pkg *ofd.Package
	// content is every signature's Signature.xml, one after the other: the core's input.
	content bytes.Buffer
	sigs    []*ofdSignature
}

// ofdSignature is one signature, with OFD's checks.
type ofdSignature struct {
	in   *ofdInput
	doc  *ofd.Document
	sig  *ofd.Signature
	refs []string // the members it protects
}

// sm2Shape tells a bare SM2 signature value: SEQUENCE { INTEGER, INTEGER }.
func sm2Shape(b []byte) bool {
	_, _, enc, err := smcrypto.DecodeSignature(b, 32)
	return err == nil && enc != smcrypto.EncodingRaw
}

func (in *ofdInput) signature(index int, d *ofd.Document, s *ofd.Signature, opts Options) *signatureInput {
	h := &ofdSignature{in: in, doc: d, sig: s}
	in.sigs = append(in.sigs, h)
	si := &signatureInput{
		report:     SignatureReport{Index: index, FieldName: s.ID, Coverage: "unclear"},
		formatName: "OFD " + s.Type,
		where:      s.ValuePath,
		hooks:      h,
		warnings:   s.Problems,
	}
	for _, st := range s.Stamps {
		si.report.Stamps = append(si.report.Stamps, Stamp{PageRef: st.PageRef, X: st.Boundary[0], Y: st.Boundary[1], Width: st.Boundary[2], Height: st.Boundary[3]})
	}
	if s.Err != nil {
		si.refused = fmt.Sprintf("the signature's files cannot be used: %v", s.Err)
		return si
	}
	if t, note, ok := parseOFDTime(s.DateTime); ok {
		si.claimed, si.claimedSrc = t, "SignatureDateTime of Signature.xml, claimed by the signer"+note
	}
	value, err := in.pkg.ReadFile(s.ValuePath)
	if err != nil {
		si.refused = fmt.Sprintf("the signature value %s cannot be read: %v", s.ValuePath, err)
		return si
	}
	si.raw = value
	switch s.Type {
	case "Seal":
		si.container = containerSES
	case "Sign":
		switch {
		case detachedKind(value) == containerCMS:
			si.container = containerCMS
			si.profile = cmsProfile{name: "OFD Sign (GM/T 0010 SignedData)", encapsulatedOK: smcrypto.OIDSM3}
		case sm2Shape(value):
			if len(opts.Certificates) == 0 {
				si.refused, si.undecidable = fmt.Sprintf("%s is a bare SM2 signature, which carries no certificate: without the signer's certificate (eseal verify --cert) it cannot be checked", s.ValuePath), true
				return si
			}
			si.container, si.givenCerts = containerBareSM2, opts.Certificates
		default:
			si.refused = fmt.Sprintf("%s is neither a SignedData nor an SM2 signature value", s.ValuePath)
			return si
		}
	default:
		si.refused = fmt.Sprintf("the signature's Type is %q; OFD knows Seal and Sign", s.Type)
		return si
	}
	off := int64(in.content.Len())
	in.content.Write(s.Raw)
	si.ofdRange = [2]int64{off, off + int64(len(s.Raw))}
	return si
}

// parseOFDTime reads SignatureDateTime in the forms producers write; a time without a zone is
// read as China Standard Time, and note says so.
func parseOFDTime(s string) (time.Time, string, bool) {
	cst := time.FixedZone("CST", 8*3600)
	for _, l := range []struct {
		layout string
		zoned  bool
	}{
		{"20060102150405Z07:00", true}, {"20060102150405.999999999Z07:00", true}, {time.RFC3339Nano, true},
		{"20060102150405", false}, {"2006-01-02 15:04:05", false}, {"2006-01-02T15:04:05", false},
	} {
		if l.zoned {
			if t, err := time.Parse(l.layout, s); err == nil {
				return t.UTC(), "", true
			}
			continue
		}
		if t, err := time.ParseInLocation(l.layout, s, cst); err == nil {
			return t.UTC(), " (written without a zone; read as China Standard Time)", true
		}
	}
	return time.Time{}, "", false
}

// signedBytes checks the References, then hands the core Signature.xml as what was signed.
func (h *ofdSignature) signedBytes(v *verifier, st *sigState) [][2]int64 {
	s := h.sig
	p := newPart()
	newHash, method, ok := h.checkMethod(st)
	if !ok {
		p.note(CheckIndeterminate, CryptoConstraintsFailure, "%s", method)
	} else {
		var bad, missing, unreadable []string
		for _, r := range s.References {
			if err := v.ctx.Err(); err != nil {
				return nil
			}
			if r.Path == "" {
				missing = append(missing, r.FileRef)
				continue
			}
			h.refs = append(h.refs, r.Path)
			sum, err := h.in.pkg.Digest(r.Path, newHash())
			switch {
			case err != nil:
				unreadable = append(unreadable, fmt.Sprintf("%s (%v)", r.FileRef, err))
			case !bytes.Equal(sum, r.CheckValue) && r.Path == h.doc.SignaturesPath:
				bad = append(bad, fmt.Sprintf("%s, the list of signatures: a signature was added or removed after this one, which protected the list and so allowed no later signature", r.FileRef))
			case !bytes.Equal(sum, r.CheckValue):
				bad = append(bad, fmt.Sprintf("%s (its %s is %s, the signature states %s)", r.FileRef, method, digestPrefix(sum), digestPrefix(r.CheckValue)))
			}
		}
		switch {
		case len(s.References) == 0:
			p.note(CheckFailed, FormatFailure, "Signature.xml lists no file to protect")
		case len(bad) > 0:
			p.note(CheckFailed, HashFailure, "%s changed after signing: %s", plural(len(bad), "protected file"), strings.Join(bad, "; "))
		case len(missing) > 0:
			p.note(CheckFailed, HashFailure, "%s the signature protects %s missing from the package: %s", plural(len(missing), "file"), isAre(len(missing)), strings.Join(missing, ", "))
		case len(unreadable) > 0:
			p.note(CheckIndeterminate, SignedDataNotFound, "%s cannot be read: %s", plural(len(unreadable), "protected file"), strings.Join(unreadable, "; "))
		default:
			p.note(CheckPassed, "", "all %s the signature protects are in the package, unchanged (%s)", plural(len(s.References), "file"), method)
			st.coverageOK = true
		}
	}
	st.add(ReferencesCheck, p.status, p.sub, "%s", strings.Join(p.facts, "; "))
	if st.coverageOK {
		st.rep.Coverage = "entire_file"
		if len(h.unprotected()) > 0 {
			st.rep.Coverage = "partial"
		}
	}
	if st.in.ofdRange[1] == 0 {
		return nil
	}
	return [][2]int64{st.in.ofdRange}
}

// checkMethod is the digest of the References: SM3 in its spellings, or SM3 over Z‖data with
// the signer's key (1.2.156.10197.1.401.2).
func (h *ofdSignature) checkMethod(st *sigState) (func() hash.Hash, string, bool) {
	switch m := h.sig.CheckMethod; strings.ToLower(m) {
	case "sm3", "1.2.156.10197.1.401", "":
		return smcrypto.NewSM3, "SM3", true
	case "1.2.156.10197.1.401.2":
		pub := st.ev.signerKey
		if st.ev.signer != nil {
			pub, _ = st.ev.signer.PublicKey.(*ecdsa.PublicKey)
		}
		if pub == nil {
			return nil, "the References' CheckMethod (SM3 with the signer's Z value) needs the signer's key, which cannot be read", false
		}
		if !smcrypto.IsSM2PublicKey(pub) {
			return nil, "the References' CheckMethod (SM3 with Z) needs an SM2 signer key", false
		}
		if _, err := smcrypto.NewSM2MessageHash(pub, nil); err != nil {
			return nil, fmt.Sprintf("the References' CheckMethod (SM3 with Z) cannot be computed: %v", err), false
		}
		return func() hash.Hash { h, _ := smcrypto.NewSM2MessageHash(pub, nil); return h }, "SM3 with the signer's Z value", true
	default:
		return nil, fmt.Sprintf("the References' CheckMethod %q is not supported (SM3 is)", m), false
	}
}

// unprotected lists the members no Reference of this signature covers, besides the signatures'
// own files (Signatures.xml and each signature's directory).
func (h *ofdSignature) unprotected() []string {
	covered := map[string]bool{}
	for _, r := range h.refs {
		covered[r] = true
	}
	var out []string
	for _, name := range h.in.pkg.Names() {
		if covered[name] || h.isSignatureFile(name) {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (h *ofdSignature) isSignatureFile(name string) bool {
	for _, d := range h.in.pkg.Docs {
		if name == d.SignaturesPath {
			return true
		}
		for _, s := range d.Signatures {
			if s.Path != "" && strings.HasPrefix(name, path.Dir(s.Path)+"/") {
				return true
			}
		}
	}
	return false
}

// laterChanges says what the signature does not protect, and whether it allowed later
// signatures (it did unless it protects Signatures.xml).
func (h *ofdSignature) laterChanges(v *verifier, st *sigState) {
	if !st.coverageOK {
		st.add(LaterChangesCheck, CheckSkipped, "", "not checked: the protected files are not intact")
		return
	}
	var facts []string
	status := CheckPassed
	if un := h.unprotected(); len(un) > 0 {
		status = CheckWarning
		shown := un
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(un)-10))
		}
		facts = append(facts, fmt.Sprintf("%s in the package %s not protected by this signature and may have been added or changed since: %s",
			plural(len(un), "file"), isAre(len(un)), strings.Join(shown, ", ")))
	} else {
		facts = append(facts, "every file of the document is protected by this signature")
	}
	locked := false
	for _, r := range h.refs {
		if r == h.doc.SignaturesPath {
			locked = true
		}
	}
	if locked {
		facts = append(facts, "it protects Signatures.xml: no later signature was allowed")
	} else {
		facts = append(facts, "it does not protect Signatures.xml: later signatures were allowed")
	}
	st.add(LaterChangesCheck, status, "", "%s", strings.Join(facts, "; "))
}

// findings are the package-level observations: documents without signatures.
func (in *ofdInput) findings() []string {
	var out []string
	for i, d := range in.pkg.Docs {
		if d.SignaturesPath == "" {
			out = append(out, fmt.Sprintf("document %d (%s) lists no signatures", i+1, d.Root))
		}
		for _, p := range d.Problems {
			out = append(out, fmt.Sprintf("document %d: %s", i+1, p))
		}
	}
	return out
}

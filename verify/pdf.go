package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/eseal/eseal/internal/pdf"
)

// The PDF format: each signature field's /Contents is the container, its ByteRange what was
// signed, and the revisions written after it are the later changes.

const (
	subFilterDTS     = "ETSI.RFC3161"
	subFilterX509SHA = "adbe.x509.rsa_sha1"
	subFilterSHA1    = "adbe.pkcs7.sha1"
	subFilterPKCS7   = "adbe.pkcs7.detached"
	subFilterCAdES   = "ETSI.CAdES.detached"
)

// VerifyPDF verifies every signature and document timestamp of the PDF in r (size bytes) and
// reports, per signature and overall, TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE with the
// reasons. A PDF without signatures gives a Report whose Indication is NO_SIGNATURE_FOUND.
//
// The document is read in small windows from r, never whole: memory stays small for any size.
// The error is an *InputError when the input cannot be used at all (not a PDF, its structure
// unreadable, encrypted, or r failing to read), or ctx's error when ctx ends first: then
// VerifyPDF stops reading and hashing at once. Nothing reads r once VerifyPDF has returned.
func VerifyPDF(ctx context.Context, r io.ReaderAt, size int64, opts Options) (rep *Report, err error) {
	// A panic here is a bug, not a verdict: it must not take a server down, and it must not look
	// like an input problem either (the fuzz test fails on it).
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("verify: internal error: %v", p)
		}
	}()
	if r == nil {
		return nil, &InputError{Reason: InputInvalidArgument, Detail: "no input"}
	}
	if size < 0 {
		return nil, &InputError{Reason: InputInvalidArgument, Detail: fmt.Sprintf("negative size %d", size)}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// This verification's core, if one is free; it runs all the same if none is. A second
	// free core helps (idle.go).
	if cores.TryAcquire(1) {
		defer cores.Release(1)
	}
	var help *helper
	if size >= helpHashMin || opts.Cache == nil {
		help = startHelper()
		defer help.stop()
	}
	trap := &errorTrap{r: r}
	doc, err := pdf.Open(trap, size)
	if err := trap.first(); err != nil {
		return nil, readError(err)
	}
	if err != nil {
		return nil, inputErrorFrom(err)
	}
	v := newVerifier(ctx, trap, size, opts, help)
	in := &pdfInput{doc: doc}
	inputs := make([]*signatureInput, len(doc.Signatures))
	for i, s := range doc.Signatures {
		inputs[i] = in.signature(i, s)
	}
	sigs, err := v.verifyAll(inputs)
	if err == nil {
		err = trap.first()
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, readError(err)
	}
	rep = &Report{
		Document: DocumentInfo{
			Name:      opts.Name,
			Format:    "PDF",
			Size:      size,
			SHA256:    hex.EncodeToString(v.hashes.docSum),
			Revisions: len(doc.Revisions),
		},
		ValidationTime: v.now,
		Signatures:     sigs,
		Indication:     overallIndication(sigs),
		Findings:       in.findings(v),
	}
	return rep, nil
}

// pdfInput is a PDF document being verified.
type pdfInput struct {
	doc *pdf.Document
}

// pdfSignature is one signature field's signature, with the PDF's checks.
type pdfSignature struct {
	in  *pdfInput
	sig *pdf.Signature
	br  pdf.ByteRangeCheck
}

func isDocTimestamp(s *pdf.Signature) bool {
	return s.Type == "DocTimeStamp" || s.SubFilter == subFilterDTS
}

// signature hands the core a signature field: its /Contents as the container the SubFilter
// names, and the PDF's own checks as hooks.
func (in *pdfInput) signature(i int, s *pdf.Signature) *signatureInput {
	si := &signatureInput{
		report: SignatureReport{
			Index:     i + 1,
			FieldName: s.FieldName,
			Reason:    s.Reason,
			Location:  s.Location,
			Page:      s.Page,
		},
		docTimestamp: isDocTimestamp(s),
		formatName:   "PDF " + orUnknown(s.SubFilter),
		raw:          s.Contents,
		warnings:     s.Problems,
		profile:      cmsProfile{name: s.SubFilter},
		hooks:        &pdfSignature{in: in, sig: s},
	}
	if s.Page > 0 && s.Rect[2] > s.Rect[0] && s.Rect[3] > s.Rect[1] {
		rect := s.Rect
		si.report.Rect = &rect
		if geo, err := in.doc.Page(s.Page); err == nil {
			box := geo.CropBox
			si.report.PageBox, si.report.PageRotate = &box, geo.Rotate
		}
	}
	if !s.SigningTime.IsZero() {
		si.claimed, si.claimedSrc = s.SigningTime.UTC(), "PDF /M, claimed by the signer"
	}
	if br := s.ByteRange; len(br) == 4 {
		si.signedEnd = br[2] + br[3]
	}
	if s.Unreadable != "" {
		si.refused = s.Unreadable
		return si
	}
	switch s.SubFilter {
	case subFilterPKCS7:
		si.container = containerCMS
	case subFilterCAdES:
		si.container, si.profile.pades = containerCMS, true
	case subFilterSHA1:
		si.container, si.profile.encapsulatedSHA1 = containerCMS, true
	case subFilterX509SHA:
		si.container, si.extraCerts = containerPKCS1, s.Cert
	case subFilterDTS:
		si.container = containerTimestamp
	case "":
		si.refused = "the signature dictionary has no /SubFilter: the format of /Contents is unknown"
		return si
	default:
		si.refused = fmt.Sprintf("unknown /SubFilter %q: eseal verifies adbe.pkcs7.detached, ETSI.CAdES.detached, adbe.pkcs7.sha1, adbe.x509.rsa_sha1 and ETSI.RFC3161", s.SubFilter)
		return si
	}
	switch {
	case s.Type == "DocTimeStamp" && s.SubFilter != subFilterDTS:
		si.refused = fmt.Sprintf("a /DocTimeStamp dictionary with /SubFilter %s (a document timestamp must be ETSI.RFC3161)", s.SubFilter)
	case s.ContentsNotRead != "":
		si.refused = s.ContentsNotRead + ": the signature was not read"
	case allZero(s.Contents):
		si.refused = fmt.Sprintf("/Contents is empty (%d zero bytes): the signature placeholder was never filled in, so nothing was signed", len(s.Contents))
	}
	if s.SubFilter == subFilterDTS && s.Type != "" && s.Type != "DocTimeStamp" {
		si.notes = append(si.notes, fmt.Sprintf("/Type is /%s, but an ETSI.RFC3161 dictionary should be /DocTimeStamp", s.Type))
	}
	return si
}

// signedBytes checks the ByteRange: the signed bytes must be the whole file, or a whole
// revision, minus exactly the /Contents string.
func (p *pdfSignature) signedBytes(v *verifier, st *sigState) [][2]int64 {
	p.br = p.in.doc.CheckByteRange(p.sig)
	br := p.br
	st.rep.Coverage = coverageString(br.Coverage)
	st.coverageOK = br.OK()
	problems := strings.Join(br.Problems, "; ")
	rangesText := rangesString(br.Ranges)
	switch {
	case br.Coverage == pdf.CoverageInvalid:
		st.add(ByteRangeCheck, CheckFailed, FormatFailure, "ByteRange %v is invalid: %s", p.sig.ByteRange, orUnknown(problems))
	case !br.GapIsContents:
		st.add(ByteRangeCheck, CheckFailed, FormatFailure, "ByteRange %v: the unsigned gap is not exactly the /Contents string, so bytes outside the signature value are unsigned: %s",
			p.sig.ByteRange, orUnknown(problems))
	case br.Coverage == pdf.CoverageUnclear:
		st.add(ByteRangeCheck, CheckFailed, FormatFailure, "ByteRange %v signs %s, which is neither the whole file (%d bytes) nor a whole revision: %s; "+
			"the signed bytes do not make up a document a reader would show", p.sig.ByteRange, rangesText, v.size, orUnknown(problems))
	case br.Coverage == pdf.CoverageEntireRevision:
		st.add(ByteRangeCheck, CheckPassed, "", "signs %s: all of revision %d except the /Contents value; %d bytes were added to the file after it",
			rangesText, br.CoveredRevision+1, v.size-br.RevisionEnd)
	default:
		st.add(ByteRangeCheck, CheckPassed, "", "signs %s: the entire file (%d bytes) except the /Contents value", rangesText, v.size)
	}
	if br.Coverage == pdf.CoverageInvalid {
		return nil
	}
	return br.Ranges
}

func coverageString(c pdf.Coverage) string {
	switch c {
	case pdf.CoverageEntireFile:
		return "entire_file"
	case pdf.CoverageEntireRevision:
		return "entire_revision"
	case pdf.CoverageUnclear:
		return "unclear"
	}
	return "invalid"
}

// laterChanges judges the revisions written after the signed one.
//
// A certification signature's DocMDP P decides (1: nothing; 2: form filling and signatures;
// 3: also annotations); validation data (/DSS), document timestamps and metadata are allowed at
// every level (ISO 32000-2 12.8.2.2.2, PAdES). An earlier certification signature's P binds
// every later signature too.
//
// An approval signature without DocMDP restricts nothing by itself, but what a reader shows must
// still be what was signed. Like pyHanko, eseal accepts later signatures, timestamps, validation
// data, form filling and annotations (the signed revision is unaltered and these are the changes
// PDF signing workflows make), and rejects anything else (page content, resources, the page
// tree, new form fields, rewritten signatures, unreadable updates, bytes after the last %%EOF):
// the document shown would not be the document signed. Such a signature is TOTAL_FAILED with
// FORMAT_FAILURE, as EU DSS reports unauthorised modifications; the signed revision itself can
// still be extracted and is intact when the other checks pass.
func (p *pdfSignature) laterChanges(v *verifier, st *sigState) {
	switch p.br.Coverage {
	case pdf.CoverageInvalid, pdf.CoverageUnclear:
		st.add(LaterChangesCheck, CheckSkipped, "", "not checked: the signed bytes do not form a revision to compare with")
		return
	}
	changes, err := p.in.doc.ChangesAfter(p.sig)
	if err != nil {
		st.add(LaterChangesCheck, CheckFailed, FormatFailure, "the revisions after the signed one cannot be analysed (%v): an update that cannot be read may change anything", err)
		return
	}
	if len(changes) == 0 {
		st.add(LaterChangesCheck, CheckPassed, "", "nothing was added after signing: the file is exactly what was signed")
		return
	}
	mdp, mdpFrom := p.effectiveDocMDP()
	var allowed, refused []string
	for _, c := range changes {
		ok := permits(mdp, c.Kind)
		where := fmt.Sprintf("revision %d", c.Revision+1)
		if c.Revision < 0 {
			where = "after the last %EOF"
		}
		st.rep.LaterChanges = append(st.rep.LaterChanges, Change{Revision: c.Revision + 1, Kind: c.Kind.String(), Detail: c.Detail, Allowed: ok})
		text := fmt.Sprintf("%s: %s", where, c.Kind)
		if c.Detail != "" {
			text += " (" + c.Detail + ")"
		}
		if ok {
			allowed = append(allowed, text)
		} else {
			refused = append(refused, text)
		}
	}
	rule := "an approval signature without DocMDP allows later signatures, timestamps, validation data, form filling and annotations"
	if mdp != nil {
		rule = fmt.Sprintf("the DocMDP permissions P=%d of %s allow %s", mdp.P, mdpFrom, docMDPAllows(mdp.P))
	}
	if len(refused) > 0 {
		detail := fmt.Sprintf("changed after signing in a way that is not allowed (%s): %s", rule, strings.Join(refused, "; "))
		if mdp == nil {
			detail += "; the document a reader shows is not the document that was signed"
		}
		if len(allowed) > 0 {
			detail += "; allowed: " + strings.Join(allowed, "; ")
		}
		st.add(LaterChangesCheck, CheckFailed, FormatFailure, "%s", detail)
		return
	}
	st.add(LaterChangesCheck, CheckPassed, "", "%s after signing, all allowed (%s): %s", plural(len(changes), "later change"), rule, strings.Join(allowed, "; "))
}

// effectiveDocMDP is the strictest DocMDP among this signature (if it certifies) and the
// certification signatures written before it.
func (p *pdfSignature) effectiveDocMDP() (*pdf.DocMDP, string) {
	var best *pdf.DocMDP
	var from string
	for i, s := range p.in.doc.Signatures {
		if s.DocMDP == nil || s.DocMDP.P < 1 {
			continue
		}
		if s != p.sig && s.Revision > p.sig.Revision {
			continue
		}
		if best == nil || s.DocMDP.P < best.P {
			best = s.DocMDP
			from = "this certification signature"
			if s != p.sig {
				from = fmt.Sprintf("the certification signature %d", i+1)
			}
		}
	}
	return best, from
}

func docMDPAllows(p int) string {
	switch p {
	case 1:
		return "no changes but validation data and document timestamps"
	case 2:
		return "form filling, signatures, validation data and document timestamps"
	}
	return "form filling, signatures, annotations, validation data and document timestamps"
}

// permits applies DocMDP, or the approval-signature rule when there is none.
func permits(mdp *pdf.DocMDP, k pdf.ChangeKind) bool {
	if mdp != nil {
		return mdp.Permits(k)
	}
	return k != pdf.ChangeOther
}

// findings are the document-level observations.
func (in *pdfInput) findings(v *verifier) []string {
	var out []string
	d := in.doc
	if n := len(d.Signatures); n > 0 {
		sigs, dts := 0, 0
		for _, s := range d.Signatures {
			if isDocTimestamp(s) {
				dts++
			} else {
				sigs++
			}
		}
		out = append(out, fmt.Sprintf("The document has %s and %s in %s.",
			plural(sigs, "signature"), plural(dts, "document timestamp"), plural(len(d.Revisions), "revision")))
	}
	if v.anchorsErr != nil {
		out = append(out, "The trust anchors could not be loaded: "+v.anchorsErr.Error())
	} else if len(v.anchors) == 0 && len(d.Signatures) > 0 {
		out = append(out, "No trust anchors are configured: no signer can be trusted.")
	}
	if v.opts.Revocation == nil && len(d.Signatures) > 0 {
		if v.opts.RevocationPolicy == RevocationSoftFail {
			out = append(out, "No revocation source is configured: revocation was not checked (revocation policy soft-fail).")
		} else {
			out = append(out, "No revocation source is configured: no signature can be fully accepted (revocation policy required).")
		}
	}
	for _, s := range d.UnreachableSignatures {
		where := ""
		if s.ObjectNum > 0 {
			where = fmt.Sprintf(" (object %d)", s.ObjectNum)
		}
		out = append(out, fmt.Sprintf("A signature dictionary%s with ByteRange %v is not the value of any signature field of the final revision: "+
			"a removed, replaced or hidden signature; it was not verified and proves nothing about this document.", where, s.ByteRange))
	}
	if len(d.EmptySignatureFields) > 0 {
		out = append(out, "Unsigned (empty) signature fields: "+strings.Join(quoteAll(d.EmptySignatureFields), ", ")+".")
	}
	if d.TrailingBytes > 0 {
		if d.TrailingIsWhiteSpace() {
			out = append(out, fmt.Sprintf("%d bytes of white space follow the last %%EOF; they are not part of the document.", d.TrailingBytes))
		} else {
			out = append(out, fmt.Sprintf("%d bytes that are not a valid incremental update follow the last %%EOF (from byte %d): "+
				"no signature covers them, and a reader that repairs damaged files may show them.", d.TrailingBytes, d.Size-d.TrailingBytes))
		}
	}
	for _, w := range d.Warnings {
		out = append(out, "PDF structure: "+w)
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// inputErrorFrom maps the PDF reader's error to an InputError.
func inputErrorFrom(err error) *InputError {
	var fe *pdf.FormatError
	if errors.As(err, &fe) {
		reason := InputMalformed
		switch fe.Reason {
		case pdf.NotPDF:
			reason = InputNotPDF
		case pdf.Encrypted:
			reason = InputEncrypted
		case pdf.TooComplex:
			reason = InputTooComplex
		case pdf.Damaged:
			reason = InputDamaged
		}
		detail := fe.Detail
		if detail == "" {
			detail = fe.Reason.String()
		}
		if fe.Offset >= 0 {
			detail += fmt.Sprintf(" (at byte %d)", fe.Offset)
		}
		return &InputError{Reason: reason, Detail: detail, Err: err}
	}
	return &InputError{Reason: InputMalformed, Detail: err.Error(), Err: err}
}

// errorTrap remembers the first I/O error of the input, so that a failing reader is reported as
// such and not as a malformed PDF.
type errorTrap struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (t *errorTrap) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	return n, err
}

func (t *errorTrap) first() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

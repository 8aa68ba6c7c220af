package verify

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
)

// streamChunk is how much of the file is read at a time when hashing: the verifier never holds
// more than three such chunks of the document's bytes (one for its own reads, one for each of
// the two hashing tasks that can run at once, see prefetch.go), whatever its size. The buffers
// are recycled between calls.
const streamChunk = 256 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, streamChunk); return &b }}

// verifier holds what one VerifyPDF call shares between its signatures.
type verifier struct {
	r          io.ReaderAt
	size       int64
	doc        *pdf.Document
	opts       Options
	now        time.Time
	anchors    []*smcrypto.Certificate
	anchorsErr error
	chains     *smcrypto.ChainBuilder // for anchors, shared by every chain of the document
	buf        []byte
	queue      *workQueue      // the tasks shared with the helper goroutine (prefetch.go)
	docDigest  *task[digest]   // the whole file's SHA-256
	hashTasks  []*task[digest] // every task that reads the input, for prefetcher.stop
	// stopReading is set when VerifyPDF returns: the helper's document digest then gives up.
	stopReading atomic.Bool

	mu      sync.Mutex // guards readErr: the document hash reads in its own goroutine
	readErr error      // the first I/O error: the input is then unusable
}

// VerifyPDF verifies every signature and document timestamp of the PDF in r (size bytes) and
// reports, per signature and overall, TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE with the
// reasons. A PDF without signatures gives a Report whose Indication is NO_SIGNATURE_FOUND.
//
// The document is read in small windows from r, never whole: memory stays small for any size.
// The error is an *InputError, and only when the input cannot be used at all (not a PDF, its
// structure unreadable, encrypted, or r failing to read).
func VerifyPDF(r io.ReaderAt, size int64, opts Options) (rep *Report, err error) {
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
	now := opts.CurrentTime
	if now.IsZero() {
		now = time.Now()
	}
	bp := chunks.Get().(*[]byte)
	defer chunks.Put(bp)
	v := &verifier{r: r, size: size, opts: opts, now: now.UTC(), buf: *bp}
	helper := v.startPrefetcher()
	defer helper.stop(v)

	doc, err := pdf.Open(&errorTrap{r: r, v: v}, size)
	if err := v.firstReadErr(); err != nil {
		return nil, readError(err)
	}
	if err != nil {
		return nil, inputErrorFrom(err)
	}
	v.doc = doc
	rep = &Report{
		Document: DocumentInfo{
			Name:      opts.Name,
			Format:    "PDF",
			Size:      size,
			Revisions: len(doc.Revisions),
		},
		ValidationTime: v.now,
		Signatures:     []SignatureReport{},
	}
	v.loadAnchors()

	states := make([]*sigState, len(doc.Signatures))
	for i, s := range doc.Signatures {
		states[i] = newSigState(i, s)
	}
	// Document timestamps first, the latest first: each can lend its time as a proof of
	// existence to the signatures (and document timestamps) it covers.
	order := make([]*sigState, len(states))
	copy(order, states)
	sort.SliceStable(order, func(i, j int) bool {
		di, dj := order[i].isDocTimestamp(), order[j].isDocTimestamp()
		if di != dj {
			return di
		}
		if di {
			return order[i].signedEnd() > order[j].signedEnd()
		}
		return false
	})
	for _, st := range states {
		v.prepareSignature(st)
	}
	v.planTasks(states)
	helper.give(v.queue)
	var timestamps []*sigState
	for _, st := range order {
		v.verifySignature(st, timestamps)
		if err := v.firstReadErr(); err != nil {
			return nil, readError(err)
		}
		if st.isDocTimestamp() {
			timestamps = append(timestamps, st)
		}
	}
	dd := v.docDigest.wait(v.queue)
	if dd.err != nil {
		return nil, readError(dd.err)
	}
	rep.Document.SHA256 = hex.EncodeToString(dd.sum)
	for _, st := range states {
		rep.Signatures = append(rep.Signatures, *st.rep)
	}
	rep.Indication = overallIndication(rep.Signatures)
	rep.Findings = v.findings()
	return rep, nil
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
	r io.ReaderAt
	v *verifier
}

func (t *errorTrap) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		t.v.noteReadErr(err)
	}
	return n, err
}

// noteReadErr keeps the first I/O error of the input.
func (v *verifier) noteReadErr(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.readErr == nil {
		v.readErr = err
	}
}

func (v *verifier) firstReadErr() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.readErr
}

func readError(err error) *InputError {
	return &InputError{Reason: InputReadError, Detail: err.Error(), Err: err}
}

// hashRanges streams the [start, end) ranges of the file through every hash, a chunk at a time.
func (v *verifier) hashRanges(ranges [][2]int64, hs ...io.Writer) error {
	return v.streamRanges(ranges, v.buf, nil, hs...)
}

// streamRanges feeds the ranges to the hashes through buf. It gives up (with errStopped) once
// stop is set.
func (v *verifier) streamRanges(ranges [][2]int64, buf []byte, stop *atomic.Bool, hs ...io.Writer) error {
	w := hs[0]
	if len(hs) > 1 {
		w = io.MultiWriter(hs...)
	}
	for _, rg := range ranges {
		for off := rg[0]; off < rg[1]; {
			if stop != nil && stop.Load() {
				return errStopped
			}
			n := min(int64(len(buf)), rg[1]-off)
			got, err := v.r.ReadAt(buf[:n], off)
			if int64(got) < n {
				if err == nil || errors.Is(err, io.EOF) {
					err = fmt.Errorf("the input ends at byte %d, before the end of the signed range %d", off+int64(got), rg[1])
				} else {
					v.noteReadErr(err)
				}
				return err
			}
			w.Write(buf[:n])
			off += n
		}
	}
	return nil
}

var errStopped = errors.New("stopped")

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

// findings are the document-level observations.
func (v *verifier) findings() []string {
	var out []string
	d := v.doc
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

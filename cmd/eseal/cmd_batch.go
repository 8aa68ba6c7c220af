package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/batch"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
	"golang.org/x/term"
)

// Batch issuance: `eseal sign --seal ID --in DIR --out DIR` seals every PDF and OFD of a folder
// (internal/batch does the pool, the group commits and the resumable output folder).
//
// Each document is signed into a hidden partial file in --out; its issuance record is committed
// (records that are ready together share one commit) after the journal in --out names it; only
// then is it renamed to its final name. A run that is interrupted (Ctrl-C, SIGTERM, a kill) is
// resumed by running the same command: what is in place is skipped, what was recorded but not
// renamed is renamed, what was signed but never recorded is signed again. Nothing is signed
// twice and no output is without its record.
//
// Through the admin socket of a running server the batch runs inside the server (which holds
// the seal's key) and its output comes back when it ends: no progress bar. A client that goes
// away, or the server shutting down, interrupts it as Ctrl-C does.

// batchOptions are the sign flags that apply to a folder.
type batchOptions struct {
	data, esID, in, out string
	pdf                 sign.PDFOptions
	ofd                 sign.OFDOptions
	timestamp           bool
	workers             int
	qr                  bool   // a QR code of each PDF's verification link
	publicURL           string // the links' base: --public-url, else the region's
}

// maxSameSecondAttempts bounds how often a document is sealed again because an identical one
// was sealed within the same second (certstore.ErrIssuanceExists).
const maxSameSecondAttempts = 10

// batchDoc is a document of the folder.
type batchDoc struct {
	name, path string
	ofd        bool
}

// pendingIssuance is a signed document waiting for its record: the journal entry and the record.
type pendingIssuance struct {
	entry batch.Entry
	rec   certstore.IssuanceRecord
}

// batchOutcome is what happened to one file, for the summary.
type batchOutcome struct {
	name string
	err  error
}

func signBatch(e *env, o batchOptions) error {
	in, out := e.path(o.in), e.path(o.out)
	if same, err := sameFile(in, out); err == nil && same {
		return usagef("--out %s is the folder to sign: give another folder", o.out)
	}
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return usagef("--out %s is a file: with a folder as --in, --out is a folder", o.out)
	}
	docs, others, err := listBatch(in)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	s, err := openInitializedStore(e, o.data)
	if err != nil {
		return err
	}
	defer e.release(s)
	sealer, sl, chain, err := sealerFor(s, o.esID)
	if err != nil {
		return err
	}
	if o.publicURL == "" {
		if o.publicURL, err = s.PublicURL(); err != nil {
			return err
		}
	}
	if o.qr && o.publicURL == "" {
		return usagef("--qr needs the service's public URL: give --public-url URL (or record it once with eseal trust export --public-url)")
	}
	if o.timestamp {
		o.pdf.TimeStamp = s.TimestampSignature
		o.ofd.TimeStamp = s.TimestampSignature
	}
	folder, err := batch.OpenFolder(out)
	if err != nil {
		return err
	}
	defer folder.Close()

	// What earlier runs did.
	recorded := func(id string) (bool, error) {
		_, err := s.Issuance(id)
		if errors.Is(err, certstore.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	var toSign []batchDoc
	var already, completed int
	var failed []batchOutcome
	for _, d := range docs {
		switch st, err := folder.Prepare(d.name, recorded); {
		case err != nil:
			failed = append(failed, batchOutcome{d.name, err})
		case st == batch.AlreadyDone:
			already++
		case st == batch.Completed:
			completed++
		default:
			toSign = append(toSign, d)
		}
	}

	ctx := e.context()
	if e.store == nil { // run directly: Ctrl-C and SIGTERM end the batch after the files under way
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		context.AfterFunc(ctx, stop) // a second Ctrl-C ends the process at once; the next run resumes
	}
	recorder := batch.NewRecorder(func(group []pendingIssuance) error {
		entries := make([]batch.Entry, len(group))
		recs := make([]certstore.IssuanceRecord, len(group))
		for i, p := range group {
			entries[i], recs[i] = p.entry, p.rec
		}
		if err := folder.Pending(entries); err != nil {
			return err
		}
		return s.RecordIssuances(recs)
	}, 0)
	signerSerial := smcrypto.SerialHex(chain[0].SerialNumber)
	signOne := func(_ context.Context, d batchDoc) error {
		// A document under way is finished even when the batch is interrupted: its record and
		// its output go together.
		for attempt := 1; ; attempt++ {
			p, err := signPartial(folder, d, sealer, o, sl.ESID, signerSerial)
			if err != nil {
				return err
			}
			err = recorder.Record(p)
			if err == nil {
				return folder.Finish(p.entry)
			}
			os.Remove(folder.PartialPath(d.name))
			if errors.Is(err, certstore.ErrIssuanceExists) && attempt < maxSameSecondAttempts {
				// An identical document sealed within the same second binds the same digest:
				// seal this one again in the next second, so each has its own record.
				time.Sleep(time.Until(p.rec.SignedAt.Truncate(time.Second).Add(time.Second)))
				continue
			}
			if errors.Is(err, certstore.ErrIssuanceExists) {
				return fmt.Errorf("identical documents were sealed in each of %d seconds, and a signature's record is keyed by the digest it binds: run again to seal this one", attempt)
			}
			return fmt.Errorf("signed, but the issuance could not be recorded, so the output was not kept: %w", err)
		}
	}
	bar := newBatchProgress(e, len(toSign))
	workers := o.workers
	if workers <= 0 {
		// The disk syncs (each output's, each commit's), not the processors, bound a batch:
		// with more documents under way, more records share a commit. BenchmarkSignBatch:
		// 4×GOMAXPROCS workers sealed 1.54-1.65× the single-file rate, GOMAXPROCS 1.07-1.08×.
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	errs := batch.Sign(ctx, toSign, signOne, batch.Options{Workers: workers, Done: func(_ int, err error) { bar.step(err != nil) }})
	recorder.Close()
	bar.finish()

	signed, notStarted := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			signed++
		case errors.Is(err, batch.ErrNotStarted):
			notStarted++
		default:
			failed = append(failed, batchOutcome{toSign[i].name, err})
		}
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].name < failed[j].name })

	w := e.stdout
	fmt.Fprintf(w, "Signed %d of %d documents in %s with seal %s (%s) → %s\n", signed, len(docs), o.in, sl.Name, sl.ESID, o.out)
	if completed > 0 {
		fmt.Fprintf(w, "Finished from an interrupted run (signed and recorded then, now in place): %d\n", completed)
	}
	fmt.Fprintf(w, "Already signed, skipped: %d\n", already)
	fmt.Fprintf(w, "Failed: %d\n", len(failed))
	for _, f := range failed {
		fmt.Fprintf(w, "  %s: %v\n", displayName(f.name), f.err)
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "Not a PDF or OFD, skipped: %d\n", len(others))
		for _, f := range others {
			fmt.Fprintf(w, "  %s: %s\n", displayName(f.name), f.err)
		}
	}
	switch {
	case notStarted > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("interrupted: %d documents not signed yet; run the same command again to sign them (what is signed is skipped)", notStarted)}
	case len(failed) > 0:
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d documents failed (listed above); the others are signed", len(failed), len(docs))}
	}
	return nil
}

// signPartial seals d into its partial output in the folder.
func signPartial(folder *batch.Folder, d batchDoc, sealer sign.Sealer, o batchOptions, esID, signerSerial string) (pendingIssuance, error) {
	partial := folder.PartialPath(d.name)
	var digest []byte
	var at time.Time
	format := "PDF"
	code, err := certstore.NewVerificationCode()
	if err != nil {
		return pendingIssuance{}, err
	}
	if d.ofd {
		format = "OFD"
		res, err := sign.SignOFDFile(d.path, partial, sealer, o.ofd)
		if err != nil {
			return pendingIssuance{}, err
		}
		digest, at = res.DataHash, res.SigningTime
	} else {
		opts := o.pdf
		opts.Code = code
		if o.qr {
			opts.QR = strings.TrimRight(o.publicURL, "/") + "/v/" + code
		}
		res, err := sign.SignPDFFile(d.path, partial, sealer, opts)
		if err != nil {
			return pendingIssuance{}, err
		}
		digest, at = res.Digest, res.SigningTime
	}
	fi, err := os.Stat(partial)
	if err != nil {
		return pendingIssuance{}, err
	}
	id := hex.EncodeToString(digest)
	return pendingIssuance{
		entry: batch.Entry{File: d.name, ID: id, Size: fi.Size()},
		rec: certstore.IssuanceRecord{ID: id, Format: format, Document: d.name, ESID: esID,
			SignerSerial: signerSerial, SignedAt: at, Code: code},
	}, nil
}

// listBatch lists the documents of the folder (.pdf and .ofd files, by name) and the other
// entries, which are skipped; not recursive.
func listBatch(dir string) (docs []batchDoc, others []batchOutcome, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range entries { // sorted by name
		name := de.Name()
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path) // follows a link to a document
		ext := strings.ToLower(filepath.Ext(name))
		switch {
		case err != nil:
			others = append(others, batchOutcome{name, err})
		case fi.IsDir():
			others = append(others, batchOutcome{name, errors.New("a folder (folders inside --in are not signed)")})
		case ext != ".pdf" && ext != ".ofd":
			others = append(others, batchOutcome{name, errors.New("not named .pdf or .ofd")})
		case strings.HasPrefix(name, "."):
			others = append(others, batchOutcome{name, errors.New("a hidden file")})
		case !fi.Mode().IsRegular():
			others = append(others, batchOutcome{name, errors.New("not a regular file")})
		default:
			docs = append(docs, batchDoc{name: name, path: path, ofd: ext == ".ofd"})
		}
	}
	return docs, others, nil
}

// displayName prints a file name as it is when it is readable text (Chinese included), and
// quoted when it holds control characters or bytes that are not UTF-8 (a GBK name from an old
// archive), which would garble the terminal.
func displayName(name string) string {
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return strconv.Quote(name)
	}
	return name
}

// batchProgress draws a progress bar on a terminal, or writes a line every ten seconds to a
// log; nothing when the batch runs inside the server (its output comes back at the end).
type batchProgress struct {
	w             io.Writer
	tty           bool
	total         int
	done, failed  int
	start, last   time.Time
	every         time.Duration
	now           func() time.Time
	width         int
	drawnAnything bool
}

func newBatchProgress(e *env, total int) *batchProgress {
	p := &batchProgress{w: e.stderr, total: total, now: time.Now, width: 30}
	if e.store != nil || total == 0 {
		p.w = nil
	} else if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 100*time.Millisecond
	} else {
		p.every = 10 * time.Second
	}
	p.start, p.last = p.now(), p.now()
	return p
}

// step counts a document done; calls are never concurrent (batch.Options.Done).
func (p *batchProgress) step(failed bool) {
	p.done++
	if failed {
		p.failed++
	}
	if p.w == nil {
		return
	}
	if now := p.now(); now.Sub(p.last) >= p.every || (p.tty && p.done == p.total) {
		p.last = now
		p.draw(now)
	}
}

func (p *batchProgress) draw(now time.Time) {
	rate := 0.0
	if el := now.Sub(p.start).Seconds(); el > 0 {
		rate = float64(p.done) / el
	}
	counts := fmt.Sprintf("%d/%d documents", p.done, p.total)
	if p.failed > 0 {
		counts += fmt.Sprintf(", %d failed", p.failed)
	}
	if !p.tty {
		fmt.Fprintf(p.w, "eseal sign: %s, %.1f/s\n", counts, rate)
		return
	}
	filled := p.width * p.done / p.total
	eta := ""
	if rate > 0 && p.done < p.total {
		eta = fmt.Sprintf(", %s left", time.Duration(float64(p.total-p.done)/rate*float64(time.Second)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r[%s%s] %s, %.1f/s%s\x1b[K", strings.Repeat("█", filled), strings.Repeat("░", p.width-filled), counts, rate, eta)
	p.drawnAnything = true
}

// finish ends the bar's line, so the summary starts on its own.
func (p *batchProgress) finish() {
	if p.tty && p.drawnAnything {
		fmt.Fprintln(p.w)
	}
}

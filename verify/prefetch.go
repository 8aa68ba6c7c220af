package verify

import (
	"crypto/sha256"
	"sync/atomic"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Some of a verification's work depends on nothing but the signature's own bytes: its seal,
// the seal maker's signature, the certificate paths. A helper goroutine works ahead on it on
// another core while the checks go through the document in their order (prefetcher); a check
// takes what the helper has finished and does the rest itself. The checks never park their
// thread to wait for the helper (waking a parked thread costs up to a few hundred microseconds
// on a virtual machine, more than any piece of work here): they spin briefly for a piece in
// progress, then do it again themselves. When no core is free for the helper, the checks do
// everything, as they would without it; the report is the same either way.

// spinLimit is how long a check waits, spinning, for a piece the helper is computing, before
// computing it itself: a little more than one SM2 verification.
const spinLimit = 100 * time.Microsecond

// task is a value computed once: by the helper (tryRun) if it gets there first, else by the
// check that asks for it (get). A panic of the computation is raised again in get.
type task[T any] struct {
	state  atomic.Int32  // taskIdle, taskRunning or taskDone
	done   chan struct{} // closed when taskDone
	f      func() T
	v      T
	panicV any
}

const (
	taskIdle = iota
	taskRunning
	taskDone
)

func newTask[T any](f func() T) *task[T] { return &task[T]{f: f, done: make(chan struct{})} }

func (t *task[T]) run() {
	defer func() {
		t.panicV = recover()
		t.state.Store(taskDone)
		close(t.done)
	}()
	t.v = t.f()
}

// tryRun computes the value unless somebody already has or is doing so.
func (t *task[T]) tryRun() {
	if t.state.CompareAndSwap(taskIdle, taskRunning) {
		t.run()
	}
}

// get returns the value, computing it if nobody has started to; see spinLimit.
func (t *task[T]) get() T {
	if t.state.CompareAndSwap(taskIdle, taskRunning) {
		t.run()
	} else if !spinUntil(func() bool { return t.state.Load() == taskDone }) {
		return t.f() // the helper is slow (descheduled?): the same pure computation, here
	}
	if t.panicV != nil {
		panic(t.panicV)
	}
	return t.v
}

// wait returns the value, computing it if nobody has started to, or else waiting for it
// however long it takes: for work too long to do twice (hashing a large file).
func (t *task[T]) wait() T {
	if t.state.CompareAndSwap(taskIdle, taskRunning) {
		t.run()
	} else if !spinUntil(func() bool { return t.state.Load() == taskDone }) {
		<-t.done
	}
	if t.panicV != nil {
		panic(t.panicV)
	}
	return t.v
}

// spinUntil busy-waits up to spinLimit for done, and reports whether it happened.
func spinUntil(done func() bool) bool {
	deadline := time.Now().Add(spinLimit)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// parsedSeal is a signature's seal attribute, read, with its maker's certificate.
type parsedSeal struct {
	seal     *seal.Seal
	err      error
	maker    *smcrypto.Certificate
	makerErr error
}

// makerCheck is the outcome of the seal maker's signature over the seal.
type makerCheck struct {
	enc smcrypto.SigEncoding
	err error
}

// prepareSeal sets up the seal work of a signature that carries a seal.
func (v *verifier) prepareSeal(st *sigState) {
	if st.si == nil || st.si.ESeal == nil {
		return
	}
	raw := st.si.ESeal
	st.seal = newTask(func() parsedSeal {
		s, err := seal.ParseSeal(raw)
		if err != nil {
			return parsedSeal{err: err}
		}
		maker, makerErr := smcrypto.ParseCertificate(s.MakerCert)
		return parsedSeal{seal: s, maker: maker, makerErr: makerErr}
	})
	sl := st.seal
	st.makerSig = newTask(func() makerCheck {
		ps := sl.get()
		if ps.err != nil {
			return makerCheck{err: ps.err}
		}
		s := ps.seal
		check := s.VerifyMakerSignature // reads the key even from a certificate strict X.509 rejects
		if ps.makerErr == nil {
			check = func() (smcrypto.SigEncoding, error) { return s.VerifyMakerSignatureWithCert(ps.maker) }
		}
		enc, err := v.opts.Cache.makerSignature(s, check)
		return makerCheck{enc: enc, err: err}
	})
}

// prefetchMin is the document size from which the helper works ahead. Starting it costs the
// caller a thread wake-up, more than it saves on a small file, whose verification is short.
// (A variable for the tests, which compare reports with and without the helper.)
var prefetchMin int64 = 16 << 10

// prefetcher is the helper goroutine. It starts at once, as a sleeping core takes a while to
// wake, and receives its work when the signatures have been read.
type prefetcher struct {
	jobs    chan []func()
	given   bool // jobs sent (and the channel closed); only the verifying goroutine uses it
	stopped atomic.Bool
}

func (v *verifier) startPrefetcher() *prefetcher {
	if v.size < prefetchMin {
		return nil
	}
	p := &prefetcher{jobs: make(chan []func(), 1)}
	go func() {
		for _, job := range <-p.jobs {
			if p.stopped.Load() {
				return
			}
			func() {
				// A panic is raised again, and reported, where a check asks for the value.
				defer func() { recover() }()
				job()
			}()
		}
	}()
	return p
}

// give hands the helper its work, in the order the checks will want it.
func (p *prefetcher) give(jobs []func()) {
	if p == nil {
		return
	}
	p.jobs <- jobs
	close(p.jobs)
	p.given = true
}

// stop makes the helper give up what it has not started, and waits for it to stop reading the
// input, which the caller of VerifyPDF may close as soon as it returns.
func (p *prefetcher) stop(v *verifier) {
	if p == nil {
		return
	}
	p.stopped.Store(true)
	if !p.given { // never given work (the input was unusable): release it
		close(p.jobs)
	}
	v.stopReading.Store(true)
	if v.docDigest.state.Load() == taskRunning {
		<-v.docDigest.done // the helper is reading: it gives up at its next chunk
	}
}

// documentDigest is the whole file's SHA-256, the report's fingerprint of the document, which
// no check needs.
type documentDigest struct {
	sum []byte
	err error
}

func (v *verifier) newDocumentDigest() *task[documentDigest] {
	return newTask(func() documentDigest {
		bp := chunks.Get().(*[]byte)
		defer chunks.Put(bp)
		h := sha256.New()
		if err := v.streamRanges([][2]int64{{0, v.size}}, *bp, &v.stopReading, h); err != nil {
			return documentDigest{err: err}
		}
		return documentDigest{sum: h.Sum(nil)}
	})
}

// prefetchJobs lists the helper's work for the prepared signatures, in the order the checks
// need it: each seal's maker signature and maker chain (checkSeal), then the signer's chain
// (checkChain); last the document digest, wanted once all the checks are done. Chains go
// through the document's ChainBuilder, which shares each path's outcome between the two
// goroutines.
func (v *verifier) prefetchJobs(states []*sigState) []func() {
	var jobs []func()
	for _, st := range states {
		if st.makerSig != nil {
			mc, sl, certs := st.makerSig, st.seal, st.certs
			jobs = append(jobs, mc.tryRun)
			if len(v.anchors) > 0 {
				jobs = append(jobs, func() {
					if ps := sl.get(); ps.err == nil && ps.makerErr == nil {
						v.findChain(ps.maker, certs, v.now, ps.seal.CreateDate)
					}
				})
			}
		}
		if cert, certs := st.cert, st.certs; cert != nil && len(v.anchors) > 0 {
			jobs = append(jobs, func() { v.findChain(cert, certs, v.now) })
		}
	}
	return append(jobs, v.docDigest.tryRun)
}

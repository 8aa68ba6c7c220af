package verify

import (
	"crypto/sha256"
	"hash"
	"sync/atomic"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/spin"
)

// Much of a verification's work depends only on the signatures' own bytes: hashing each
// signature's signed bytes, reading its seal, the seal maker's signature, the certificate paths,
// the document's SHA-256. These are tasks in one queue (workQueue). A helper goroutine works
// through the queue on another core while the checks go through the document in their order;
// a check that needs a task's value takes it if done, runs it if nobody has started it, and
// while the helper is still at it, runs the next tasks nobody has started (they will be needed
// too) rather than wait. Threads are never parked to wait for each other: waking a parked
// thread costs up to a few hundred microseconds on a virtual machine, more than most tasks. When
// no core is free for the helper, the checks simply run every task themselves, as they would
// without it; the report is the same either way.

// runner is a queued task, whatever its value's type.
type runner interface {
	tryRun() bool
}

// task is a value computed once, by the helper or by a check. A panic of the computation is
// raised again in the check that asks for the value.
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

// tryRun computes the value unless somebody already has or is doing so, and reports whether it
// did.
func (t *task[T]) tryRun() bool {
	if t.state.CompareAndSwap(taskIdle, taskRunning) {
		t.run()
		return true
	}
	return false
}

// get returns the value. While another goroutine computes it, get runs the queue's other tasks
// (q may be nil), then spins (spin.Wait); past that it computes the value itself (the
// computations are pure: the same value).
func (t *task[T]) get(q *workQueue) T { return t.await(q, false) }

// wait is get for work too long to do twice (hashing a large file): past the spin it parks
// until the other goroutine is done. Only hashing tasks are waited for, and they wait for
// nothing themselves, so the two goroutines cannot wait for each other.
func (t *task[T]) wait(q *workQueue) T { return t.await(q, true) }

func (t *task[T]) await(q *workQueue, park bool) T {
	if !t.tryRun() {
		for t.state.Load() != taskDone && q.runNext() {
		}
		if !spin.Wait(t.done) {
			if !park {
				return t.f() // the helper's thread is descheduled
			}
			<-t.done
		}
	}
	if t.panicV != nil {
		panic(t.panicV)
	}
	return t.v
}

// workQueue is the tasks, in the order the checks will want them.
type workQueue struct {
	tasks []runner
	next  atomic.Int32 // tasks before it have been started by somebody
}

// runNext runs the next task nobody has started, and reports whether there was one.
func (q *workQueue) runNext() bool {
	if q == nil {
		return false
	}
	for {
		i := int(q.next.Load())
		if i >= len(q.tasks) {
			return false
		}
		q.next.CompareAndSwap(int32(i), int32(i+1))
		if q.tasks[i].tryRun() {
			return true
		}
	}
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

// digest is a hash of some of the file's bytes.
type digest struct {
	sum []byte
	err error
}

// chainResult is a FindChain outcome.
type chainResult struct {
	chain []*smcrypto.Certificate
	err   error
}

// sigTasks are a signature's tasks; nil where the signature has no such work.
type sigTasks struct {
	signedHash  *task[digest] // the signed bytes, for integrityWithAttributes (signedHashTask)
	seal        *task[parsedSeal]
	makerSig    *task[makerCheck]
	makerChain  *task[chainResult] // the seal maker's chain, for checkSeal
	signerChain *task[struct{}]    // warms the ChainBuilder for checkChain, whose preferred times come later
}

// signedHashTask returns the task hashing st's signed bytes, made on first use (by planTasks,
// or by the integrity check of a signature planTasks did not queue); the error is that of an
// unsupported digest algorithm.
func (v *verifier) signedHashTask(st *sigState) (*task[digest], error) {
	if st.tasks.signedHash == nil {
		h, err := smcrypto.NewDigest(st.si.DigestAlgorithm)
		if err != nil {
			return nil, err
		}
		ranges := st.br.Ranges
		st.tasks.signedHash = newTask(func() digest { return v.hashTask(ranges, h) })
		v.hashTasks = append(v.hashTasks, st.tasks.signedHash)
	}
	return st.tasks.signedHash, nil
}

// planTasks sets up the tasks of the prepared signatures and of the document, and queues them
// in the order the checks need them: all the signed-byte hashes, then per signature its seal
// work, then the signers' chains, last the document's SHA-256.
func (v *verifier) planTasks(states []*sigState) {
	q := &workQueue{}
	for _, st := range states {
		if st.integrity() == integrityAttributes {
			if t, err := v.signedHashTask(st); err == nil {
				q.tasks = append(q.tasks, t)
			}
		}
	}
	for _, st := range states {
		if st.si == nil || st.si.ESeal == nil {
			continue
		}
		raw, certs := st.si.ESeal, st.certs
		sl := newTask(func() parsedSeal {
			s, err := seal.ParseSeal(raw)
			if err != nil {
				return parsedSeal{err: err}
			}
			maker, makerErr := smcrypto.ParseCertificate(s.MakerCert)
			return parsedSeal{seal: s, maker: maker, makerErr: makerErr}
		})
		st.tasks.seal = sl
		st.tasks.makerSig = newTask(func() makerCheck {
			ps := sl.get(q)
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
		q.tasks = append(q.tasks, sl, st.tasks.makerSig)
		if len(v.anchors) > 0 {
			st.tasks.makerChain = newTask(func() chainResult {
				ps := sl.get(q)
				if ps.err != nil || ps.makerErr != nil {
					return chainResult{} // checkSeal does not ask
				}
				chain, err := v.findChain(ps.maker, certs, v.now, ps.seal.CreateDate)
				return chainResult{chain, err}
			})
			q.tasks = append(q.tasks, st.tasks.makerChain)
		}
	}
	for _, st := range states {
		if cert, certs := st.cert, st.certs; cert != nil && len(v.anchors) > 0 {
			st.tasks.signerChain = newTask(func() struct{} { v.findChain(cert, certs, v.now); return struct{}{} })
			q.tasks = append(q.tasks, st.tasks.signerChain)
		}
	}
	size := v.size
	v.docDigest = newTask(func() digest { return v.hashTask([][2]int64{{0, size}}, sha256.New()) })
	v.hashTasks = append(v.hashTasks, v.docDigest)
	q.tasks = append(q.tasks, v.docDigest)
	v.queue = q
}

// hashTask hashes ranges of the file with its own buffer (a task may run in either goroutine);
// it gives up once VerifyPDF is returning (stopReading).
func (v *verifier) hashTask(ranges [][2]int64, h hash.Hash) digest {
	bp := chunks.Get().(*[]byte)
	defer chunks.Put(bp)
	if err := v.streamRanges(ranges, *bp, &v.stopReading, h); err != nil {
		return digest{err: err}
	}
	return digest{sum: h.Sum(nil)}
}

// prefetchMin is the document size from which the helper works ahead. Starting it costs the
// caller a thread wake-up, more than it saves on a small file, whose verification is short.
// (A variable for the tests, which compare reports with and without the helper.)
var prefetchMin int64 = 16 << 10

// prefetcher is the helper goroutine. It starts at once, as a sleeping core takes a while to
// wake, and receives the queue when the signatures have been read. It stops taking tasks once
// VerifyPDF is returning (verifier.stopReading).
type prefetcher struct {
	queue chan *workQueue // buffered: give never blocks; stop closes it
}

func (v *verifier) startPrefetcher() *prefetcher {
	if v.size < prefetchMin {
		return nil
	}
	p := &prefetcher{queue: make(chan *workQueue, 1)}
	go func() {
		q := <-p.queue
		if q == nil {
			return
		}
		for !v.stopReading.Load() {
			ran := func() bool {
				// A panic is raised again, and reported, where a check asks for the value.
				defer func() { recover() }()
				return q.runNext()
			}()
			if !ran {
				return
			}
		}
	}()
	return p
}

// give hands the helper the queue.
func (p *prefetcher) give(q *workQueue) {
	if p != nil {
		p.queue <- q
	}
}

// stop makes the helper give up the tasks it has not started, and waits for any task reading
// the input to give up: the caller of VerifyPDF may close the input as soon as it returns.
func (p *prefetcher) stop(v *verifier) {
	if p == nil {
		return
	}
	v.stopReading.Store(true)
	close(p.queue) // releases a helper that was never given work (the input was unusable)
	for _, t := range v.hashTasks {
		if t.state.Load() == taskRunning {
			<-t.done
		}
	}
}

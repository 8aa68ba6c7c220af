package verify

import (
	"hash"
	"runtime"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Verification is sequential; an idle core may help. A server verifying several documents at
// once has no idle core and gains nothing from splitting one verification, so the help is only
// taken when a core is free: cores holds one token per core, each verification takes one for
// itself (without waiting: if none is free it runs all the same), and a helper goroutine is
// started only when a second token can be had at once (TryAcquire). Under load the helper never
// starts and a verification is exactly the sequential one.
//
// The helper does work the checks would do anyway, and that depends only on bytes already in
// memory: each seal's maker signature and the certificate paths (the SM2 verifications of a
// licence besides its own signature), then it takes over the document's SHA-256 in the hashing
// pass (hashing.go). The checks take each piece of work through a sync.OnceValues, so a piece
// is done once, by whichever side comes first; a check may wait for the helper to finish a
// piece it has started. The report is the same with or without the helper.
var cores = semaphore.NewWeighted(int64(runtime.GOMAXPROCS(0)))

// helper is the idle core's goroutine for one verification; nil when no core was idle.
type helper struct {
	wg       sync.WaitGroup
	tasks    chan []func()
	giveOnce sync.Once
	// doc is the document's hash, set before the first chunk is sent. chunks carries the pass's
	// chunks for it, and each is acknowledged on done, in order, when the helper is done with
	// its buffer.
	doc       hash.Hash
	chunks    chan []byte
	done      chan struct{}
	closeOnce sync.Once
}

// startHelper starts the helper goroutine if a core is idle. It starts before the document is
// read, because a sleeping core takes a while to wake; give hands it its tasks.
func startHelper() *helper {
	if !cores.TryAcquire(1) {
		return nil
	}
	return newHelper(func() { cores.Release(1) })
}

// newHelper starts a helper goroutine: it runs the tasks it is given, then hashes the chunks
// it is given; release is called when it ends.
func newHelper(release func()) *helper {
	h := &helper{tasks: make(chan []func(), 1), chunks: make(chan []byte, 1), done: make(chan struct{}, 2)}
	h.wg.Go(func() {
		defer release()
		for _, t := range <-h.tasks {
			t()
		}
		for c := range h.chunks {
			h.doc.Write(c)
			h.done <- struct{}{}
		}
	})
	return h
}

// give hands the helper its tasks; it must be called once (stop calls it if nobody did).
func (h *helper) give(tasks []func()) {
	if h != nil {
		h.giveOnce.Do(func() { h.tasks <- tasks })
	}
}

// endPass tells the helper that no more chunks come.
func (h *helper) endPass() {
	if h != nil {
		h.closeOnce.Do(func() { close(h.chunks) })
	}
}

// stop ends the helper and waits for it: nothing it does outlives the verification.
func (h *helper) stop() {
	if h == nil {
		return
	}
	h.give(nil)
	h.endPass()
	h.wg.Wait()
}

// sealWork is a seal attribute read, with its maker's certificate and the verification of the
// maker's signature.
type sealWork struct {
	seal     *seal.Seal
	maker    *smcrypto.Certificate
	makerErr error
	enc      smcrypto.SigEncoding
	sigErr   error
}

// sealTask reads a seal attribute and verifies its maker's signature, once.
func (v *verifier) sealTask(raw []byte) func() (*sealWork, error) {
	return sync.OnceValues(func() (*sealWork, error) {
		s, err := seal.ParseSeal(raw)
		if err != nil {
			return nil, err
		}
		w := &sealWork{seal: s}
		w.maker, w.makerErr = smcrypto.ParseCertificate(s.MakerCert)
		check := s.VerifyMakerSignature // reads the key even from a certificate strict X.509 rejects
		if w.makerErr == nil {
			check = func() (smcrypto.SigEncoding, error) { return s.VerifyMakerSignatureWithCert(w.maker) }
		}
		w.enc, w.sigErr = v.opts.Cache.makerSignature(s, check)
		return w, nil
	})
}

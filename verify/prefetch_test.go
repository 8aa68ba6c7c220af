package verify

import (
	"bytes"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/spin"
)

// TestTaskOnce: a task is computed once, by whoever comes first; the other side takes the
// value.
func TestTaskOnce(t *testing.T) {
	var calls atomic.Int32
	tk := newTask(func() int { calls.Add(1); return 42 })
	if !tk.tryRun() || tk.tryRun() {
		t.Error("tryRun should run an idle task, and only that")
	}
	if got := tk.get(nil); got != 42 || calls.Load() != 1 {
		t.Errorf("get = %d after %d computations; want 42 after 1", got, calls.Load())
	}
	tk2 := newTask(func() int { calls.Add(1); return 7 })
	if got, again := tk2.get(nil), tk2.wait(nil); got != 7 || again != 7 || calls.Load() != 2 {
		t.Errorf("get, wait = %d, %d after %d computations", got, again, calls.Load())
	}
	if tk2.tryRun() || calls.Load() != 2 { // done already: nothing to do
		t.Errorf("tryRun of a finished task computed it again")
	}
}

// TestTaskSlowHelper: a check never waits long for a helper that is stuck (descheduled): get
// computes the value itself after spin.Limit; wait, for work too long to repeat, waits.
func TestTaskSlowHelper(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	tk := newTask(func() int {
		if calls.Add(1) == 1 {
			<-release // the helper's computation hangs
		}
		return 5
	})
	go tk.tryRun()
	for tk.state.Load() != taskRunning {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	got := make(chan int)
	go func() { got <- tk.get(nil) }()
	select {
	case v := <-got:
		if v != 5 || calls.Load() != 2 {
			t.Errorf("get = %d after %d computations; want 5, computed again", v, calls.Load())
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("get parked waiting for the stuck helper")
	}
	if d := time.Since(start); d < spin.Limit {
		t.Errorf("get gave up after %v, before spin.Limit %v", d, spin.Limit)
	}
	waited := make(chan int)
	go func() { waited <- tk.wait(nil) }()
	select {
	case <-waited:
		t.Fatal("wait did not wait for the running computation")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if got := <-waited; got != 5 || calls.Load() != 2 {
		t.Errorf("wait = %d after %d computations", got, calls.Load())
	}
}

// TestTaskHelpsWhileWaiting: a check whose task the helper is running runs the queue's other
// tasks meanwhile, each once, and takes the helper's value when it is ready.
func TestTaskHelpsWhileWaiting(t *testing.T) {
	release := make(chan struct{})
	slow := newTask(func() int { <-release; return 1 })
	var ran []int
	var others []runner
	for i := range 3 {
		others = append(others, newTask(func() int {
			ran = append(ran, i)
			if i == 2 {
				close(release) // the helper finishes while the check works on the last one
			}
			return i
		}))
	}
	q := &workQueue{tasks: append([]runner{slow}, others...)}
	go q.runNext() // the helper takes the first task, the slow one
	for slow.state.Load() != taskRunning {
		time.Sleep(time.Millisecond)
	}
	if got := slow.get(q); got != 1 {
		t.Errorf("get = %d, want the helper's 1", got)
	}
	if len(ran) != 3 || ran[0] != 0 || ran[1] != 1 || ran[2] != 2 {
		t.Errorf("the check ran the other tasks %v, want [0 1 2] in order", ran)
	}
	if q.runNext() {
		t.Error("a task was left to run")
	}
}

// TestTaskPanic: a panic of the computation reaches the check that asks for the value, not the
// helper that computed it.
func TestTaskPanic(t *testing.T) {
	tk := newTask(func() int { panic("boom") })
	tk.tryRun() // must not panic
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want boom", p)
		}
	}()
	tk.get(nil)
	t.Error("get did not panic")
}

// TestHelperGoroutineEnds: the helper goroutine ends with each verification, whether the
// document verified, failed, or could not be read at all.
func TestHelperGoroutineEnds(t *testing.T) {
	p := newPKI(t, nil)
	good := sealedDoc(t, p, sigOpts{}).data
	notPDF := bytes.Repeat([]byte("not a PDF "), 4<<10)
	if int64(len(good)) < prefetchMin || int64(len(notPDF)) < prefetchMin {
		t.Fatalf("inputs of %d and %d bytes are too small to start the helper", len(good), len(notPDF))
	}
	before := runtime.NumGoroutine()
	for range 20 {
		verifyBytes(t, good, Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.root}}, Revocation: &fakeRevocation{}})
		if _, err := VerifyPDF(bytes.NewReader(notPDF), int64(len(notPDF)), Options{}); err == nil {
			t.Fatal("not a PDF: no error")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left running after the verifications (%d before)", runtime.NumGoroutine()-before, before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSign: every item is signed once, on at most Workers goroutines, with its own error in
// its place; a failing item does not stop the others.
func TestSign(t *testing.T) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	var running, most atomic.Int32
	calls := make([]atomic.Int32, len(items))
	var done []int
	errs := Sign(context.Background(), items, func(ctx context.Context, i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		calls[i].Add(1)
		if i%10 == 3 {
			return fmt.Errorf("许可证%d.pdf is damaged", i)
		}
		return nil
	}, Options{Workers: 3, Done: func(i int, err error) { done = append(done, i) }})
	if len(errs) != len(items) || len(done) != len(items) {
		t.Fatalf("%d errors, %d done for %d items", len(errs), len(done), len(items))
	}
	for i, err := range errs {
		if c := calls[i].Load(); c != 1 {
			t.Errorf("item %d signed %d times", i, c)
		}
		if want := i%10 == 3; (err != nil) != want {
			t.Errorf("item %d: %v", i, err)
		}
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d items signed at once with 3 workers", m)
	}
}

// TestSignWorkersAtOnce: the pool does run Workers items at once (each waits for the others).
func TestSignWorkersAtOnce(t *testing.T) {
	const workers = 4
	var wg sync.WaitGroup
	wg.Add(workers)
	errs := Sign(context.Background(), make([]int, workers), func(ctx context.Context, _ int) error {
		wg.Done()
		wg.Wait() // deadlocks (and the test times out) unless all four run together
		return nil
	}, Options{Workers: workers})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSignInterrupted: once the context ends, no item starts; those not started say so, and
// every item started finished.
func TestSignInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	interrupted := errors.New("interrupted by the operator")
	var started atomic.Int32
	finished := 0
	errs := Sign(ctx, make([]int, 50), func(ctx context.Context, _ int) error {
		started.Add(1)
		return nil
	}, Options{Workers: 2, Done: func(i int, err error) {
		if finished++; finished == 10 {
			cancel(interrupted)
		}
	}})
	var signed, notStarted int
	for _, err := range errs {
		switch {
		case err == nil:
			signed++
		case errors.Is(err, ErrNotStarted) && errors.Is(err, interrupted):
			notStarted++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if signed != int(started.Load()) || signed+notStarted != 50 {
		t.Errorf("%d signed, %d started, %d not started", signed, started.Load(), notStarted)
	}
	// The 10th item done ended the batch; at most the other worker's item (and the one waiting for a
	// worker, which checks the context again) may have started after it.
	if signed < 10 || signed > 12 {
		t.Errorf("%d items signed after cancelling at the 10th", signed)
	}
}

func ExampleSign() {
	files := []string{"许可证-001.pdf", "许可证-002.pdf", "损坏.pdf"}
	errs := Sign(context.Background(), files, func(ctx context.Context, name string) error {
		if name == "损坏.pdf" {
			return errors.New("not a readable PDF")
		}
		return nil // sign the file here
	}, Options{})
	for i, err := range errs {
		fmt.Println(files[i], err)
	}
	// Output:
	// 许可证-001.pdf <nil>
	// 许可证-002.pdf <nil>
	// 损坏.pdf not a readable PDF
}

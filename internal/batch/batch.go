// Package batch signs many documents at once: a bounded worker pool (Sign), group commits of
// their issuance records (Recorder), and the output folder of a batch that an interrupted run
// resumes without signing anything twice (Folder and its journal).
//
// It knows nothing of PDF, OFD or the store: the caller's functions sign one item and commit
// records. The contract a caller builds on:
//
//   - Sign runs every item once at most, on at most Workers goroutines; one item's failure is
//     that item's error and never stops the others; once the context ends, no item is started.
//   - Recorder.Record returns only when its record is committed (or refused); records that
//     arrive while a commit runs share the next one.
//   - Folder: an output is renamed into place only after its record is committed, and the
//     journal names it (pending) before the commit; so after a crash at any point every output
//     in the folder has its record, and a rerun finishes, skips or re-signs each file so that
//     each ends with exactly one signature and one record.
package batch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
)

// ErrNotStarted is (wrapped in) the error of an item that Sign did not start because its
// context ended first.
var ErrNotStarted = errors.New("batch: not started")

// Options configure Sign.
type Options struct {
	// Workers is how many items are signed at once; 0 or less means runtime.GOMAXPROCS(0).
	Workers int
	// Done, when not nil, is called after each item that was started, with the item's index
	// and error; never by two goroutines at once.
	Done func(index int, err error)
}

// Sign calls signOne for every item and returns the items' errors, in the items' order (nil for
// an item signed). signOne is called on at most opts.Workers goroutines at once. A failing item
// does not stop the others. Once ctx ends, Sign starts no more items (their errors wrap
// ErrNotStarted and the context's cause) and returns when those running have returned: signOne
// gets ctx and decides whether an item under way is finished (a signature that is being
// recorded should be).
func Sign[T any](ctx context.Context, items []T, signOne func(ctx context.Context, item T) error, opts Options) []error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(items))
	notStarted := func() error { return fmt.Errorf("%w: %w", ErrNotStarted, context.Cause(ctx)) }
	var g errgroup.Group
	g.SetLimit(workers)
	var doneMu sync.Mutex
	for i, item := range items {
		if ctx.Err() != nil {
			errs[i] = notStarted()
			continue
		}
		g.Go(func() error {
			// The context may have ended while this item waited for a worker.
			if ctx.Err() != nil {
				errs[i] = notStarted()
				return nil
			}
			err := signOne(ctx, item)
			errs[i] = err
			if opts.Done != nil {
				doneMu.Lock()
				opts.Done(i, err)
				doneMu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	return errs
}

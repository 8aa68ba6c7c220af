package batch

import "sync"

// Recorder commits records in groups: Record waits until its record is committed, and the
// records that arrive while one commit runs go together in the next. With a store that syncs
// the disk on every commit (bbolt), a batch then pays one sync per group instead of one per
// document, and no record is ever held back: the first record commits at once.
//
// commit must be all or nothing. When a group's commit fails, each of its records is committed
// again on its own, so a refused record fails only its own Record.
type Recorder[R any] struct {
	commit  func([]R) error
	queue   chan recordRequest[R]
	stopped chan struct{}
	once    sync.Once
	queued  func() // for tests: called once a record is queued
}

type recordRequest[R any] struct {
	rec  R
	done chan error
}

// NewRecorder starts a recorder; maxGroup bounds a group (0 or less: 256). Close stops it.
func NewRecorder[R any](commit func([]R) error, maxGroup int) *Recorder[R] {
	if maxGroup <= 0 {
		maxGroup = 256
	}
	r := &Recorder[R]{commit: commit, queue: make(chan recordRequest[R], maxGroup), stopped: make(chan struct{})}
	go r.loop(maxGroup)
	return r
}

// Record commits rec and returns commit's error for it. It must not be called after Close.
func (r *Recorder[R]) Record(rec R) error {
	done := make(chan error, 1)
	r.queue <- recordRequest[R]{rec, done}
	if r.queued != nil {
		r.queued()
	}
	return <-done
}

// Close stops the recorder once the records queued are committed.
func (r *Recorder[R]) Close() {
	r.once.Do(func() { close(r.queue) })
	<-r.stopped
}

func (r *Recorder[R]) loop(maxGroup int) {
	defer close(r.stopped)
	for first := range r.queue {
		group := []recordRequest[R]{first}
	collect:
		for len(group) < maxGroup {
			select {
			case req, ok := <-r.queue:
				if !ok {
					break collect
				}
				group = append(group, req)
			default:
				break collect
			}
		}
		recs := make([]R, len(group))
		for i, req := range group {
			recs[i] = req.rec
		}
		err := r.commit(recs)
		if err != nil && len(group) > 1 {
			for _, req := range group {
				req.done <- r.commit([]R{req.rec})
			}
			continue
		}
		for _, req := range group {
			req.done <- err
		}
	}
}

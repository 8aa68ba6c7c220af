package spin

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	done := make(chan struct{})
	close(done)
	if !Wait(done) {
		t.Error("Wait on a closed channel reported false")
	}
	start := time.Now()
	if Wait(make(chan struct{})) {
		t.Error("Wait on an open channel reported true")
	}
	if d := time.Since(start); d < Limit {
		t.Errorf("Wait gave up after %v, before Limit %v", d, Limit)
	}
	later := make(chan struct{})
	go func() { time.Sleep(Limit / 10); close(later) }()
	// The goroutine may not be scheduled within Limit on a loaded machine; only a true answer
	// is checked for being right.
	if Wait(later) {
		select {
		case <-later:
		default:
			t.Error("Wait reported true before the channel was closed")
		}
	}
}

package batch

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestRecorderGroups: records that arrive while a commit runs share the next commit; each Record
// returns only once its record is committed.
func TestRecorderGroups(t *testing.T) {
	var mu sync.Mutex
	committed := map[int]bool{}
	var groups []int
	started, release := make(chan struct{}), make(chan struct{})
	r := NewRecorder(func(recs []int) error {
		if recs[0] == 0 {
			close(started)
			<-release // hold the first commit while the others queue
		}
		mu.Lock()
		defer mu.Unlock()
		groups = append(groups, len(recs))
		for _, x := range recs {
			committed[x] = true
		}
		return nil
	}, 0)
	var queued sync.WaitGroup
	r.queued = queued.Done
	var wg sync.WaitGroup
	errs := make([]error, 20)
	queued.Add(1)
	wg.Add(1)
	go func() { defer wg.Done(); errs[0] = r.Record(0) }()
	<-started
	for i := 1; i < 20; i++ {
		queued.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Record(i)
			mu.Lock()
			ok := committed[i]
			mu.Unlock()
			if !ok {
				t.Errorf("Record(%d) returned before its commit", i)
			}
		}()
	}
	queued.Wait()
	close(release)
	wg.Wait()
	r.Close()
	for i, err := range errs {
		if err != nil || !committed[i] {
			t.Errorf("record %d: %v, committed %v", i, err, committed[i])
		}
	}
	if fmt.Sprint(groups) != "[1 19]" {
		t.Errorf("commits of %v records, want [1 19]: the 19 that queued during the first commit share the next", groups)
	}
}

// TestRecorderRefusal: a refused record fails its own Record only; the group it was in is
// committed without it.
func TestRecorderRefusal(t *testing.T) {
	var mu sync.Mutex
	committed := map[string]int{}
	r := NewRecorder(func(recs []string) error {
		for _, x := range recs {
			if x == "refused" {
				return errors.New("licence no longer in force")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, x := range recs {
			committed[x]++
		}
		return nil
	}, 4)
	var wg sync.WaitGroup
	names := []string{"refused"}
	for i := range 15 {
		names = append(names, fmt.Sprintf("许可证%d", i))
	}
	errs := make([]error, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = r.Record(n) }()
	}
	wg.Wait()
	r.Close()
	for i, n := range names {
		if (errs[i] != nil) != (n == "refused") {
			t.Errorf("%s: %v", n, errs[i])
		}
		if want := map[bool]int{true: 0, false: 1}[n == "refused"]; committed[n] != want {
			t.Errorf("%s committed %d times", n, committed[n])
		}
	}
}

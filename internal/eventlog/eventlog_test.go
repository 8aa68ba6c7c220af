package eventlog

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

var t0 = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func newRoot(t testing.TB) (*smcrypto.Certificate, crypto.Signer) {
	t.Helper()
	key, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "根CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.AddDate(10, 0, 0), IsCA: true}, key.Public(), nil, key)
	if err != nil {
		t.Fatal(err)
	}
	return root, key
}

func chain(t testing.TB, key crypto.Signer, n int) []Event {
	t.Helper()
	var out []Event
	prev := ""
	for i := 1; i <= n; i++ {
		e := Event{Seq: uint64(i), Time: t0, Type: TypeSealRevoked, Subject: "3301000000000" + strconv.Itoa(i), Data: json.RawMessage(`{"reason":"keyCompromise"}`)}
		if err := Seal(&e, prev, key); err != nil {
			t.Fatal(err)
		}
		out, prev = append(out, e), e.Hash
	}
	return out
}

func TestVerifyChain(t *testing.T) {
	root, key := newRoot(t)
	other, otherKey := newRoot(t)
	events := chain(t, key, 4)
	if err := VerifyChain(events, root, 0, ""); err != nil {
		t.Fatal(err)
	}
	forged := chain(t, otherKey, 4)
	spliced := append(slices.Clone(events[:2]), forged[2:]...)
	edited := slices.Clone(events)
	edited[1].Data = json.RawMessage(`{"reason":"superseded"}`)
	resigned := slices.Clone(events)
	resigned[1].Subject = "x"
	Seal(&resigned[1], resigned[0].Hash, key) // a valid event, but event 3 names the old one
	for _, tc := range []struct {
		name   string
		events []Event
		root   *smcrypto.Certificate
		want   string
	}{
		{"another root", events, other, "does not verify"},
		{"a missing event", append(slices.Clone(events[:1]), events[2:]...), root, "missing or out of order"},
		{"reordered", []Event{events[1], events[0]}, root, "missing or out of order"},
		{"an edited event", edited, root, "hash does not match"},
		{"an event replaced and re-signed", resigned, root, "does not follow"},
		{"events of another key spliced in", spliced, root, "does not verify"},
		{"a first event naming a predecessor", events[1:2], root, "follows event 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyChain(tc.events, tc.root, 0, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if err := VerifyChain(events[2:], root, 2, events[1].Hash); err != nil {
		t.Errorf("a page: %v", err)
	}
	if err := VerifyChain(events[2:], root, 2, "00"); err == nil {
		t.Error("a page after another event 2: no error")
	}
	e := events[0]
	e.Signature = e.Signature[:10]
	if err := Verify(&e, root); err == nil {
		t.Error("a truncated signature: no error")
	}
}

// memOutbox is an in-memory Outbox with certstore's rules.
type memOutbox struct {
	mu      sync.Mutex
	pending map[string][]*memEntry
	urls    map[string]string
	ackErr  error // Delivered fails with it
}

type memEntry struct {
	ev       Event
	attempts int
	next     time.Time
}

func (m *memOutbox) DueDeliveries(now time.Time, per int) ([][]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]Delivery
	for id, q := range m.pending {
		if len(q) == 0 || q[0].next.After(now) {
			continue
		}
		var ds []Delivery
		for _, e := range q[:min(per, len(q))] {
			ds = append(ds, Delivery{WebhookID: id, URL: m.urls[id], Event: e.ev, Attempts: e.attempts})
		}
		out = append(out, ds)
	}
	return out, nil
}

func (m *memOutbox) Delivered(id string, seqs ...uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ackErr != nil {
		return m.ackErr
	}
	m.pending[id] = slices.DeleteFunc(m.pending[id], func(e *memEntry) bool { return slices.Contains(seqs, e.ev.Seq) })
	return nil
}

func (m *memOutbox) DeliveryFailed(id string, seq uint64, next time.Time, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.pending[id] {
		if e.ev.Seq == seq {
			e.attempts++
			e.next = next
		}
	}
	return nil
}

// TestDeliverer: each webhook receives its events in order; one that fails gets them again after
// a backoff, the events behind the failed one held back; a healthy webhook is not delayed.
func TestDeliverer(t *testing.T) {
	_, key := newRoot(t)
	events := chain(t, key, 5)
	var mu sync.Mutex
	got := map[string][]uint64{}
	failures := 2
	handler := func(name string, flaky bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var e Event
			if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.Header.Get("Eseal-Event-Seq") != strconv.FormatUint(e.Seq, 10) || r.Header.Get("Eseal-Event-Type") != e.Type {
				t.Errorf("%s: a malformed delivery: %v %v", name, err, r.Header)
			}
			mu.Lock()
			defer mu.Unlock()
			if flaky && e.Seq == 3 && failures > 0 {
				failures--
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			got[name] = append(got[name], e.Seq)
		}
	}
	good := httptest.NewServer(handler("good", false))
	defer good.Close()
	flaky := httptest.NewServer(handler("flaky", true))
	defer flaky.Close()
	ob := &memOutbox{pending: map[string][]*memEntry{}, urls: map[string]string{"good": good.URL, "flaky": flaky.URL, "down": "http://127.0.0.1:1/"}}
	for _, id := range []string{"good", "flaky", "down"} {
		for _, e := range events {
			ob.pending[id] = append(ob.pending[id], &memEntry{ev: e, next: t0})
		}
	}
	now := t0
	d := &Deliverer{Outbox: ob, Now: func() time.Time { return now }, MaxBackoff: 30 * time.Second}
	ctx := context.Background()
	for range 3 { // the flaky one stops at 3
		d.Round(ctx)
	}
	if !slices.Equal(got["good"], []uint64{1, 2, 3, 4, 5}) || !slices.Equal(got["flaky"], []uint64{1, 2}) {
		t.Fatalf("first rounds: %v", got)
	}
	ob.mu.Lock()
	if head := ob.pending["flaky"][0]; len(ob.pending["flaky"]) != 3 || head.ev.Seq != 3 {
		t.Errorf("the events before the failure are not acknowledged: %d pending, head %d", len(ob.pending["flaky"]), head.ev.Seq)
	}
	ob.mu.Unlock()
	for _, want := range []struct {
		after    time.Duration
		attempts int
	}{{time.Second, 1}, {2 * time.Second, 2}} {
		ob.mu.Lock()
		head := ob.pending["flaky"][0]
		ob.mu.Unlock()
		if head.attempts != want.attempts || head.next.Before(now.Add(want.after*9/10)) || head.next.After(now.Add(want.after)) {
			t.Errorf("after %d failures: next attempt in %v", head.attempts, head.next.Sub(now))
		}
		now = head.next
		d.Round(ctx)
	}
	if !slices.Equal(got["flaky"], []uint64{1, 2, 3, 4, 5}) {
		t.Errorf("after the retries: %v", got["flaky"])
	}
	ob.mu.Lock()
	if n := len(ob.pending["down"]); n != 5 || ob.pending["down"][0].attempts == 0 {
		t.Errorf("an unreachable webhook: %d pending, head %+v", n, ob.pending["down"][0])
	}
	ob.mu.Unlock()
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 6: 30 * time.Second, 100: 30 * time.Second} {
		if got := d.backoff(n); got > want || got < want*9/10 {
			t.Errorf("backoff(%d) = %v, want about %v", n, got, want)
		}
	}
}

// TestDelivererAckFails: when the outbox cannot store the acknowledgements, the round says so
// and the events stay pending, to be delivered again (at least once).
func TestDelivererAckFails(t *testing.T) {
	_, key := newRoot(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ob := &memOutbox{pending: map[string][]*memEntry{}, urls: map[string]string{"w": srv.URL}, ackErr: errors.New("disk full")}
	for _, e := range chain(t, key, 3) {
		ob.pending["w"] = append(ob.pending["w"], &memEntry{ev: e, next: t0})
	}
	d := &Deliverer{Outbox: ob, Now: func() time.Time { return t0 }}
	if n, err := d.Round(context.Background()); err == nil || n != 0 {
		t.Errorf("Round = %d, %v; want 0 and the outbox's error", n, err)
	}
	if len(ob.pending["w"]) != 3 {
		t.Errorf("%d events pending, want all 3", len(ob.pending["w"]))
	}
}

// TestDelivererRun: Run delivers when woken and stops with its context.
func TestDelivererRun(t *testing.T) {
	_, key := newRoot(t)
	events := chain(t, key, 3)
	received := make(chan uint64, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e Event
		json.NewDecoder(r.Body).Decode(&e)
		received <- e.Seq
	}))
	defer srv.Close()
	ob := &memOutbox{pending: map[string][]*memEntry{}, urls: map[string]string{"w": srv.URL}}
	wake := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		(&Deliverer{Outbox: ob, Wake: wake, PollInterval: time.Hour}).Run(ctx)
		close(done)
	}()
	for _, e := range events {
		ob.mu.Lock()
		ob.pending["w"] = append(ob.pending["w"], &memEntry{ev: e, next: time.Now()})
		ob.mu.Unlock()
		wake <- struct{}{}
		select {
		case seq := <-received:
			if seq != e.Seq {
				t.Fatalf("received %d, want %d", seq, e.Seq)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d not delivered after a wake-up", e.Seq)
		}
	}
	cancel()
	<-done
}

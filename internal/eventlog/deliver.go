package eventlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Delivery is one event due to one webhook.
type Delivery struct {
	WebhookID string
	URL       string
	Event     Event
	Attempts  int // failed attempts so far
}

// Outbox is the durable queue of deliveries (certstore.Store is one).
type Outbox interface {
	// DueDeliveries gives, per webhook whose oldest pending event is due at now, up to perWebhook
	// of its pending events in order.
	DueDeliveries(now time.Time, perWebhook int) ([][]Delivery, error)
	// Delivered removes acknowledged deliveries of one webhook, all at once.
	Delivered(webhookID string, seqs ...uint64) error
	// DeliveryFailed records a failed attempt and when to try again.
	DeliveryFailed(webhookID string, seq uint64, next time.Time, reason string) error
}

// Deliverer posts the outbox's events to their webhooks: each event as the JSON of Event, with
// headers Eseal-Event-Seq and Eseal-Event-Type; any 2xx answer acknowledges it. A webhook gets
// its events in order: a failure holds back the ones after it until a retry succeeds.
type Deliverer struct {
	Outbox Outbox
	Client *http.Client // nil: 10-second timeout
	// Wake is signalled when events are appended; without it, and between retries, the
	// outbox is looked at every PollInterval.
	Wake         <-chan struct{}
	PollInterval time.Duration // zero: 1 second
	// MaxBackoff caps the wait between attempts, which doubles from one second; zero: 1 hour.
	MaxBackoff time.Duration
	// Concurrency bounds how many webhooks are posted to at once; zero: 8.
	Concurrency int
	Log         *slog.Logger
	Now         func() time.Time
}

// batch is how many pending events of one webhook a round takes.
const batch = 64

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	poll := d.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.Wake:
		case <-timer.C:
		}
		for {
			n, err := d.Round(ctx)
			if err != nil {
				d.log().Error("event delivery", "err", err)
			}
			if n == 0 || err != nil || ctx.Err() != nil {
				break
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(poll)
	}
}

// Round makes one pass over the due deliveries, webhooks in parallel, and returns how many
// events were acknowledged.
func (d *Deliverer) Round(ctx context.Context) (int, error) {
	due, err := d.Outbox.DueDeliveries(d.now(), batch)
	if err != nil {
		return 0, err
	}
	limit := d.Concurrency
	if limit <= 0 {
		limit = 8
	}
	sem := make(chan struct{}, limit)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		acked    int
		firstErr error
	)
	for _, queue := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := d.deliverQueue(ctx, queue)
			mu.Lock()
			acked += n
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return acked, firstErr
}

// deliverQueue posts one webhook's events in order, stopping at the first failure. The
// acknowledgements of a queue are stored together, once, so that the outbox's write transactions
// do not bound the delivery rate; a crash in between repeats at most one queue's events, which
// at-least-once delivery allows (receivers deduplicate by Eseal-Event-Seq).
func (d *Deliverer) deliverQueue(ctx context.Context, queue []Delivery) (int, error) {
	var acked []uint64
	var failure error
	for _, dl := range queue {
		if ctx.Err() != nil {
			break
		}
		if err := d.post(ctx, dl); err != nil {
			wait := d.backoff(dl.Attempts + 1)
			d.log().Warn("event delivery failed", "webhook", dl.WebhookID, "seq", dl.Event.Seq, "attempt", dl.Attempts+1, "retryIn", wait, "err", err)
			failure = d.Outbox.DeliveryFailed(dl.WebhookID, dl.Event.Seq, d.now().Add(wait), err.Error())
			break
		}
		acked = append(acked, dl.Event.Seq)
	}
	if len(acked) > 0 {
		if err := d.Outbox.Delivered(queue[0].WebhookID, acked...); err != nil {
			return 0, err
		}
	}
	return len(acked), failure
}

func (d *Deliverer) post(ctx context.Context, dl Delivery) error {
	body, err := json.Marshal(dl.Event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Eseal-Event-Seq", strconv.FormatUint(dl.Event.Seq, 10))
	req.Header.Set("Eseal-Event-Type", dl.Event.Type)
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return nil
}

// backoff is the wait after the n-th failed attempt: 1 s, 2 s, 4 s, … up to MaxBackoff, less up
// to a tenth at random so that retries after an outage do not all come at once.
func (d *Deliverer) backoff(n int) time.Duration {
	max := d.MaxBackoff
	if max <= 0 {
		max = time.Hour
	}
	wait := max
	if n < 40 {
		if w := time.Second << (n - 1); w < max {
			wait = w
		}
	}
	return wait - time.Duration(rand.Int64N(int64(wait)/10+1))
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

package certstore

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketEvents   = []byte("events")
	bucketWebhooks = []byte("webhooks")
	bucketOutbox   = []byte("outbox")
)

// MaxEventsPage bounds one Events call.
const MaxEventsPage = 1000

// Webhook is a competent department's endpoint that receives the event log.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// FromSeq is the first event it receives: the one after the last at its registration.
	FromSeq uint64 `json:"fromSeq"`

	// Filled in by Webhooks: its queue.
	Pending     int       `json:"pending"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
}

// outboxEntry is one event not yet acknowledged by one webhook.
type outboxEntry struct {
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt"`
	LastError   string    `json:"lastError,omitempty"`
}

func outboxKey(webhookID string, seq uint64) []byte {
	return []byte(fmt.Sprintf("%s/%016x", webhookID, seq))
}

// appendEvent adds an event to the log in the caller's write transaction, signed by key (the
// region root), with an outbox entry for every webhook: the change, its event and its deliveries
// are stored together or not at all.
func appendEvent(tx *bolt.Tx, key crypto.Signer, now time.Time, typ, subject string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketEvents)
	ev := eventlog.Event{Seq: 1, Time: now, Type: typ, Subject: subject, Data: raw}
	prevHash := ""
	if k, v := b.Cursor().Last(); k != nil {
		var prev eventlog.Event
		if err := decodeJSON(bucketEvents, k, v, &prev); err != nil {
			return err
		}
		ev.Seq, prevHash = prev.Seq+1, prev.Hash
	}
	if err := eventlog.Seal(&ev, prevHash, key); err != nil {
		return err
	}
	if err := putJSON(tx, bucketEvents, uint64Key(ev.Seq), ev); err != nil {
		return err
	}
	return tx.Bucket(bucketWebhooks).ForEach(func(k, _ []byte) error {
		return putJSON(tx, bucketOutbox, outboxKey(string(k), ev.Seq), outboxEntry{NextAttempt: now})
	})
}

// eventsAppended tells the deliverer that a committed transaction appended events.
func (s *Store) eventsAppended() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// EventsAppended is signalled after events are appended (an eventlog.Deliverer's Wake).
func (s *Store) EventsAppended() <-chan struct{} { return s.wake }

// Events returns up to limit events after seq after, in order.
func (s *Store) Events(after uint64, limit int) ([]eventlog.Event, error) {
	if limit <= 0 || limit > MaxEventsPage {
		limit = MaxEventsPage
	}
	var out []eventlog.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(uint64Key(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var ev eventlog.Event
			if err := decodeJSON(bucketEvents, k, v, &ev); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// AddWebhook registers an http(s) endpoint that receives every event from the next one on.
func (s *Store) AddWebhook(rawURL, note string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("certstore: %w: a webhook is an absolute http or https URL, not %q", ErrInvalidArgument, rawURL)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	wh := Webhook{ID: hex.EncodeToString(id[:]), URL: u.String(), Note: note, CreatedAt: now, FromSeq: 1}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketEvents).Cursor().Last(); k != nil {
			wh.FromSeq = binary.BigEndian.Uint64(k) + 1
		}
		if err := putJSON(tx, bucketWebhooks, []byte(wh.ID), wh); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "webhook.add", wh.ID, wh.URL)
	})
	if err != nil {
		return nil, err
	}
	return &wh, nil
}

// RemoveWebhook unregisters a webhook and drops its undelivered events.
func (s *Store) RemoveWebhook(id string) error {
	now := s.now().UTC().Truncate(time.Second)
	return s.db.Update(func(tx *bolt.Tx) error {
		var wh Webhook
		if err := getJSON(tx, bucketWebhooks, []byte(id), &wh); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("certstore: no webhook %s: %w", id, ErrNotFound)
			}
			return err
		}
		ob := tx.Bucket(bucketOutbox)
		prefix := []byte(id + "/")
		var keys [][]byte
		c := ob.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			if err := ob.Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketWebhooks).Delete([]byte(id)); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "webhook.remove", id, fmt.Sprintf("%s (%d undelivered events dropped)", wh.URL, len(keys)))
	})
}

// Webhooks lists the registered webhooks with their queues.
func (s *Store) Webhooks() ([]Webhook, error) {
	var out []Webhook
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWebhooks)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var wh Webhook
			if err := decodeJSON(bucketWebhooks, k, v, &wh); err != nil {
				return err
			}
			prefix := []byte(wh.ID + "/")
			c := tx.Bucket(bucketOutbox).Cursor()
			for ok, ov := c.Seek(prefix); ok != nil && bytes.HasPrefix(ok, prefix); ok, ov = c.Next() {
				if wh.Pending == 0 {
					var e outboxEntry
					if err := decodeJSON(bucketOutbox, ok, ov, &e); err != nil {
						return err
					}
					wh.NextAttempt, wh.LastError = e.NextAttempt, e.LastError
				}
				wh.Pending++
			}
			out = append(out, wh)
			return nil
		})
	})
	return out, err
}

// DueDeliveries implements eventlog.Outbox: for each webhook whose oldest undelivered event is
// due at now, up to perWebhook of its undelivered events in order.
func (s *Store) DueDeliveries(now time.Time, perWebhook int) ([][]eventlog.Delivery, error) {
	var out [][]eventlog.Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketWebhooks) == nil {
			return nil
		}
		return tx.Bucket(bucketWebhooks).ForEach(func(k, v []byte) error {
			var wh Webhook
			if err := decodeJSON(bucketWebhooks, k, v, &wh); err != nil {
				return err
			}
			prefix := []byte(wh.ID + "/")
			var queue []eventlog.Delivery
			c := tx.Bucket(bucketOutbox).Cursor()
			for ok, ov := c.Seek(prefix); ok != nil && bytes.HasPrefix(ok, prefix) && len(queue) < perWebhook; ok, ov = c.Next() {
				var e outboxEntry
				if err := decodeJSON(bucketOutbox, ok, ov, &e); err != nil {
					return err
				}
				if len(queue) == 0 && e.NextAttempt.After(now) {
					return nil // its head waits for a retry, and the rest behind it
				}
				seqHex := strings.TrimPrefix(string(ok), string(prefix))
				var ev eventlog.Event
				var seq uint64
				if _, err := fmt.Sscanf(seqHex, "%x", &seq); err != nil {
					return fmt.Errorf("certstore: corrupt outbox key %q", ok)
				}
				if err := getJSON(tx, bucketEvents, uint64Key(seq), &ev); err != nil {
					return fmt.Errorf("certstore: outbox entry %q: event %d: %w", ok, seq, err)
				}
				queue = append(queue, eventlog.Delivery{WebhookID: wh.ID, URL: wh.URL, Event: ev, Attempts: e.Attempts})
			}
			if len(queue) > 0 {
				out = append(out, queue)
			}
			return nil
		})
	})
	return out, err
}

// Delivered implements eventlog.Outbox: the webhook acknowledged these events.
func (s *Store) Delivered(webhookID string, seqs ...uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		for _, seq := range seqs {
			if err := ob.Delete(outboxKey(webhookID, seq)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeliveryFailed implements eventlog.Outbox: one more failed attempt, the next at next.
func (s *Store) DeliveryFailed(webhookID string, seq uint64, next time.Time, reason string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		key := outboxKey(webhookID, seq)
		var e outboxEntry
		if err := getJSON(tx, bucketOutbox, key, &e); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil // the webhook was removed meanwhile
			}
			return err
		}
		e.Attempts++
		e.NextAttempt, e.LastError = next.UTC(), reason
		return putJSON(tx, bucketOutbox, key, e)
	})
}

package certstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// AuditRecord is one administrative action. Each record carries the SM3 hash of the previous one,
// so a changed or removed record breaks the chain (VerifyAudit); the store also keeps the last
// record's hash apart (meta "audit_head"), so that removing records at the end is detected too.
type AuditRecord struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`  // e.g. region.init, seal.new, cert.revoke, anchor.add
	Subject string    `json:"subject"` // what the action was about (esID, certificate key, …)
	Detail  string    `json:"detail"`
	// Actor is who did it: an API token ("token:NAME (ID)"), the CLI's user, or empty for
	// records written before actors were recorded.
	Actor    string `json:"actor,omitempty"`
	PrevHash string `json:"prevHash"`
	// Alg is the chain's hash: "sm3"; empty in records written before it was SM3 (SHA-256).
	Alg  string `json:"alg,omitempty"`
	Hash string `json:"hash"`
}

var keyAuditHead = []byte("audit_head")

// ErrAuditBroken: the audit log's chain does not hold (a record was changed, removed or added).
var ErrAuditBroken = errors.New("the audit log was tampered with")

func (r AuditRecord) computeHash() string {
	r.Hash = ""
	data, _ := json.Marshal(r)
	if r.Alg == "" {
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:])
	}
	sum := smcrypto.SM3(data)
	return hex.EncodeToString(sum[:])
}

// appendAudit adds a record inside the caller's write transaction, so the action and its audit
// record are stored together or not at all.
func appendAudit(tx *bolt.Tx, now time.Time, actor, action, subject, detail string) error {
	b := tx.Bucket(bucketAudit)
	rec := AuditRecord{Time: now, Action: action, Subject: subject, Detail: detail, Actor: actor, Alg: "sm3", Seq: 1}
	if k, v := b.Cursor().Last(); k != nil {
		var prev AuditRecord
		if err := json.Unmarshal(v, &prev); err != nil {
			return fmt.Errorf("certstore: corrupt audit record: %w", err)
		}
		rec.Seq, rec.PrevHash = prev.Seq+1, prev.Hash
	}
	rec.Hash = rec.computeHash()
	if err := putJSON(tx, bucketAudit, uint64Key(rec.Seq), rec); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyAuditHead, []byte(fmt.Sprintf("%d %s", rec.Seq, rec.Hash)))
}

// AuditLog returns every audit record in order.
func (s *Store) AuditLog() ([]AuditRecord, error) {
	recs, _, err := s.auditLogAndHead()
	return recs, err
}

func (s *Store) auditLogAndHead() ([]AuditRecord, string, error) {
	var out []AuditRecord
	var head string
	err := s.db.View(func(tx *bolt.Tx) error {
		head = string(tx.Bucket(bucketMeta).Get(keyAuditHead))
		return tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
			var r AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("certstore: %w: record %x cannot be read: %v", ErrAuditBroken, k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, head, err
}

// VerifyAudit checks that the audit log's chain is unbroken and ends where the store says it
// ends.
func (s *Store) VerifyAudit() error {
	recs, head, err := s.auditLogAndHead()
	if err != nil {
		return err
	}
	if err := VerifyAuditRecords(recs); err != nil {
		return err
	}
	return verifyAuditHead(recs, head)
}

// AuditHead is the last record's sequence number and hash as the store keeps them apart from
// the log ("" for a store made before it did).
func (s *Store) AuditHead() (string, error) {
	_, head, err := s.auditLogAndHead()
	return head, err
}

func verifyAuditHead(recs []AuditRecord, head string) error {
	if head == "" {
		return nil // a log written before the head was kept: the chain is all there is
	}
	if len(recs) == 0 {
		return fmt.Errorf("certstore: %w: the log is empty but it had records up to %s", ErrAuditBroken, head)
	}
	last := recs[len(recs)-1]
	if got := fmt.Sprintf("%d %s", last.Seq, last.Hash); got != head {
		var seq uint64
		fmt.Sscanf(head, "%d", &seq)
		if seq > last.Seq {
			return fmt.Errorf("certstore: %w: records %d to %d were removed from the end", ErrAuditBroken, last.Seq+1, seq)
		}
		return fmt.Errorf("certstore: %w: the last record %d is not the one the store recorded", ErrAuditBroken, last.Seq)
	}
	return nil
}

// VerifyAuditRecords checks the hash chain of recs, the whole audit log as AuditLog returns it
// (for a caller that has read it already).
func VerifyAuditRecords(recs []AuditRecord) error {
	prev := ""
	sm3Seen := false
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			return fmt.Errorf("certstore: %w: record %d has sequence number %d (a record is missing)", ErrAuditBroken, i+1, r.Seq)
		}
		switch r.Alg {
		case "sm3":
			sm3Seen = true
		case "":
			if sm3Seen { // a record cannot go back to the old hash: someone rewrote it
				return fmt.Errorf("certstore: %w: record %d (%s) was changed", ErrAuditBroken, r.Seq, r.Action)
			}
		default:
			return fmt.Errorf("certstore: %w: record %d has an unknown hash %q", ErrAuditBroken, r.Seq, r.Alg)
		}
		if r.PrevHash != prev || r.computeHash() != r.Hash {
			return fmt.Errorf("certstore: %w: record %d (%s) was changed", ErrAuditBroken, r.Seq, r.Action)
		}
		prev = r.Hash
	}
	return nil
}

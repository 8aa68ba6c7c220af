package certstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditRecord is one administrative action. Each record carries the hash of the previous one, so
// a changed or removed record breaks the chain (VerifyAudit).
type AuditRecord struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Action   string    `json:"action"`  // e.g. region.init, seal.new, cert.revoke, anchor.add
	Subject  string    `json:"subject"` // what the action was about (esID, certificate key, …)
	Detail   string    `json:"detail"`
	PrevHash string    `json:"prevHash"`
	Hash     string    `json:"hash"`
}

func (r AuditRecord) computeHash() string {
	r.Hash = ""
	data, _ := json.Marshal(r)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// appendAudit adds a record inside the caller's write transaction, so the action and its audit
// record are stored together or not at all.
func appendAudit(tx *bolt.Tx, now time.Time, action, subject, detail string) error {
	b := tx.Bucket(bucketAudit)
	rec := AuditRecord{Time: now, Action: action, Subject: subject, Detail: detail}
	if k, v := b.Cursor().Last(); k != nil {
		var prev AuditRecord
		if err := json.Unmarshal(v, &prev); err != nil {
			return fmt.Errorf("certstore: corrupt audit record: %w", err)
		}
		rec.Seq, rec.PrevHash = prev.Seq+1, prev.Hash
	} else {
		rec.Seq = 1
	}
	rec.Hash = rec.computeHash()
	return putJSON(tx, bucketAudit, uint64Key(rec.Seq), rec)
}

// AuditLog returns every audit record in order.
func (s *Store) AuditLog() ([]AuditRecord, error) {
	var out []AuditRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAudit).ForEach(func(k, v []byte) error {
			var r AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("certstore: corrupt audit record %x: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// VerifyAudit checks that the audit log's hash chain is unbroken.
func (s *Store) VerifyAudit() error {
	recs, err := s.AuditLog()
	if err != nil {
		return err
	}
	return VerifyAuditRecords(recs)
}

// VerifyAuditRecords checks the hash chain of recs, the whole audit log as AuditLog returns it
// (for a caller that has read it already).
func VerifyAuditRecords(recs []AuditRecord) error {
	prev := ""
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			return fmt.Errorf("certstore: audit log: record %d has sequence number %d (a record is missing)", i+1, r.Seq)
		}
		if r.PrevHash != prev || r.computeHash() != r.Hash {
			return fmt.Errorf("certstore: audit log: record %d (%s) was changed", r.Seq, r.Action)
		}
		prev = r.Hash
	}
	return nil
}

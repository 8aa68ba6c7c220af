package certstore

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// TestAuditChain: records are SM3-chained and name their actor; removing the last records,
// rewriting one with the old hash, or an unknown hash is detected; a log begun with SHA-256
// records (stores older than SM3 chaining) still verifies and continues with SM3.
func TestAuditChain(t *testing.T) {
	s := initTest(t)
	rec, _, _ := newTestSeal(t, s)
	if _, err := s.As("token:吊销员 (abc)").RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonSuperseded}); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog()
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.Action != "seal.revoke" || last.Actor != "token:吊销员 (abc)" || last.Alg != "sm3" || log[0].Actor != "" {
		t.Fatalf("records: first %+v, last %+v", log[0], last)
	}
	if err := s.VerifyAudit(); err != nil {
		t.Fatal(err)
	}
	edit := func(seq uint64, change func(*AuditRecord)) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error {
			var r AuditRecord
			if err := json.Unmarshal(tx.Bucket(bucketAudit).Get(uint64Key(seq)), &r); err != nil {
				return err
			}
			change(&r)
			data, _ := json.Marshal(r)
			return tx.Bucket(bucketAudit).Put(uint64Key(seq), data)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The actor is covered by the hash.
	edit(last.Seq, func(r *AuditRecord) { r.Actor = "someone else" })
	if err := s.VerifyAudit(); !errors.Is(err, ErrAuditBroken) {
		t.Errorf("changed actor: %v", err)
	}
	// Rewritten with the old hash, self-consistent: refused after SM3 records.
	edit(last.Seq, func(r *AuditRecord) { r.Actor = "someone else"; r.Alg = ""; r.Hash = r.computeHash() })
	if err := s.VerifyAudit(); !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), "changed") {
		t.Errorf("downgraded hash: %v", err)
	}
	edit(last.Seq, func(r *AuditRecord) { r.Alg = "md5" })
	if err := s.VerifyAudit(); !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), "unknown hash") {
		t.Errorf("unknown hash: %v", err)
	}
	edit(last.Seq, func(r *AuditRecord) { *r = last })
	if err := s.VerifyAudit(); err != nil {
		t.Fatalf("restored: %v", err)
	}
	// Removing the last records leaves an intact chain; the head kept apart shows the loss.
	s.db.Update(func(tx *bolt.Tx) error {
		tx.Bucket(bucketAudit).Delete(uint64Key(last.Seq))
		return tx.Bucket(bucketAudit).Delete(uint64Key(last.Seq - 1))
	})
	if err := s.VerifyAudit(); !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), "removed from the end") {
		t.Errorf("truncated log: %v", err)
	}
	s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			c.Delete()
		}
		return nil
	})
	if err := s.VerifyAudit(); !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("emptied log: %v", err)
	}
}

// TestAuditLegacySHA256: a store whose log began before SM3 chaining (records without alg, no
// head kept) verifies, and new records continue the chain with SM3.
func TestAuditLegacySHA256(t *testing.T) {
	s := initTest(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			c.Delete()
		}
		prev := ""
		for i, action := range []string{"region.init", "seal.new"} {
			r := AuditRecord{Seq: uint64(i + 1), Time: testNow, Action: action, PrevHash: prev}
			r.Hash = r.computeHash()
			prev = r.Hash
			if err := putJSON(tx, bucketAudit, uint64Key(r.Seq), r); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Delete(keyAuditHead)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(); err != nil {
		t.Fatalf("legacy log: %v", err)
	}
	newTestSeal(t, s)
	log, _ := s.AuditLog()
	if len(log) != 3 || log[2].Alg != "sm3" || log[2].PrevHash != log[1].Hash {
		t.Fatalf("continued log: %+v", log)
	}
	if err := s.VerifyAudit(); err != nil {
		t.Fatalf("continued log: %v", err)
	}
}

package certstore

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// SealRevocation is a revoked seal: no new signature may be made with it, and verifiers that
// ask this store (verify's SealStatus) learn when and why.
type SealRevocation struct {
	ESID           string                  `json:"esID"`
	Name           string                  `json:"name"`
	Reason         verify.RevocationReason `json:"reason"`
	RevokedAt      time.Time               `json:"revokedAt"`
	InvalidityDate time.Time               `json:"invalidityDate,omitzero"`
}

// SealRevokeRequest says which seal to revoke and why.
type SealRevokeRequest struct {
	ESID           string
	Reason         verify.RevocationReason
	InvalidityDate time.Time
}

// RevokeSeal revokes a seal this store made, by its esID, with the rules of certificates:
// revoking again with the same reason returns the existing record; the only change allowed is
// to keyCompromise, keeping the first revocation time; anything else is ErrAlreadyRevoked.
func (s *Store) RevokeSeal(req SealRevokeRequest) (*SealRevocation, error) {
	if !req.Reason.Valid() {
		return nil, fmt.Errorf("certstore: %w: reason %d", ErrInvalidArgument, int(req.Reason))
	}
	now := s.now().UTC().Truncate(time.Second)
	if !req.InvalidityDate.IsZero() && req.InvalidityDate.After(now) {
		return nil, fmt.Errorf("certstore: %w: the invalidity date is in the future", ErrInvalidArgument)
	}
	_, eventKey, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	var out SealRevocation
	err = s.db.Update(func(tx *bolt.Tx) error {
		var rec SealRecord
		if err := getJSON(tx, bucketSeals, []byte(req.ESID), &rec); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("certstore: no seal %s was made by this store: %w", req.ESID, ErrNotFound)
			}
			return err
		}
		var prev SealRevocation
		switch err := getJSON(tx, bucketSealRevs, []byte(req.ESID), &prev); {
		case err == nil:
			if prev.Reason == req.Reason {
				out = prev
				return nil
			}
			if req.Reason != verify.ReasonKeyCompromise {
				return fmt.Errorf("certstore: seal %s: %w on %s with reason %s; the only allowed change is to keyCompromise",
					req.ESID, ErrAlreadyRevoked, prev.RevokedAt.Format(time.RFC3339), prev.Reason)
			}
			out = prev
			out.Reason = req.Reason
			if !req.InvalidityDate.IsZero() {
				out.InvalidityDate = req.InvalidityDate.UTC()
			}
		case errors.Is(err, ErrNotFound):
			out = SealRevocation{ESID: req.ESID, Name: rec.Name, Reason: req.Reason, RevokedAt: now, InvalidityDate: req.InvalidityDate.UTC()}
		default:
			return err
		}
		if err := putJSON(tx, bucketSealRevs, []byte(req.ESID), out); err != nil {
			return err
		}
		if err := appendAudit(tx, now, s.actor, "seal.revoke", req.ESID, fmt.Sprintf("revoked seal %s (%s), reason %s", req.ESID, rec.Name, out.Reason)); err != nil {
			return err
		}
		return appendEvent(tx, eventKey, now, eventlog.TypeSealRevoked, req.ESID, out)
	})
	if err != nil {
		return nil, err
	}
	s.eventsAppended()
	return &out, nil
}

// SealRevocations lists every revoked seal.
func (s *Store) SealRevocations() ([]SealRevocation, error) {
	var out []SealRevocation
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSealRevs)
		if b == nil {
			return nil // a store made before seals could be revoked, opened read-only
		}
		return b.ForEach(func(k, v []byte) error {
			var r SealRevocation
			if err := decodeJSON(bucketSealRevs, k, v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// sealRevocation is the seal's revocation, nil if it is not revoked.
func sealRevocation(tx *bolt.Tx, esID string) (*SealRevocation, error) {
	b := tx.Bucket(bucketSealRevs)
	if b == nil {
		return nil, nil
	}
	var r SealRevocation
	switch err := getJSON(tx, bucketSealRevs, []byte(esID), &r); {
	case err == nil:
		return &r, nil
	case errors.Is(err, ErrNotFound):
		return nil, nil
	default:
		return nil, err
	}
}

// SealStatus implements verify.SealRevocationChecker for the seals this store made (the exact
// bytes, not only the esID: another region's seal may reuse an esID). For others it answers
// Known=false.
func (s *Store) SealStatus(esID string, sealDER []byte) (verify.RevocationStatus, error) {
	st := verify.RevocationStatus{Source: RevocationSource, ProducedAt: s.now().UTC()}
	err := s.db.View(func(tx *bolt.Tx) error {
		ours, ok := s.sealESLs.Load(esID)
		if !ok {
			var rec struct {
				ESL []byte `json:"esl"`
			}
			if err := getJSON(tx, bucketSeals, []byte(esID), &rec); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil // not cached: a seal made later by another process is found then
				}
				return err
			}
			ours = bytes.Clone(rec.ESL)
			s.sealESLs.Store(esID, ours)
		}
		if !bytes.Equal(ours.([]byte), sealDER) {
			return nil
		}
		st.Known = true
		rev, err := sealRevocation(tx, esID)
		if err != nil || rev == nil {
			return err
		}
		st.Revoked, st.RevokedAt, st.Reason, st.InvalidityDate = true, rev.RevokedAt, rev.Reason, rev.InvalidityDate
		return nil
	})
	return st, err
}

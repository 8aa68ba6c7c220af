package certstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// AnchorRecord is a trusted root imported into the store (for example another region's root).
type AnchorRecord struct {
	DER         []byte    `json:"der"`
	Subject     string    `json:"subject"`
	Fingerprint string    `json:"sha256"`
	Note        string    `json:"note,omitempty"`
	Added       time.Time `json:"added"`
}

// Fingerprint is the SHA-256 of a certificate's DER, in lower-case hex.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// AddTrustAnchor trusts cert as a root for verification. It must be a CA certificate.
func (s *Store) AddTrustAnchor(cert *smcrypto.Certificate, note string) (*AnchorRecord, error) {
	if cert == nil {
		return nil, fmt.Errorf("certstore: %w: no certificate", ErrInvalidArgument)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certstore: %w: %s is not a CA certificate and cannot be a trust anchor", ErrInvalidArgument, cert.Subject)
	}
	now := s.now().UTC().Truncate(time.Second)
	rec := &AnchorRecord{DER: cert.Raw, Subject: cert.Subject.String(), Fingerprint: Fingerprint(cert.Raw), Note: note, Added: now}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAnchors).Get([]byte(rec.Fingerprint)) != nil {
			return getJSON(tx, bucketAnchors, []byte(rec.Fingerprint), rec)
		}
		if err := putJSON(tx, bucketAnchors, []byte(rec.Fingerprint), rec); err != nil {
			return err
		}
		return appendAudit(tx, now, "anchor.add", rec.Fingerprint, fmt.Sprintf("trust anchor %s (%s)", rec.Subject, note))
	})
	s.invalidateAnchors()
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func (s *Store) invalidateAnchors() {
	s.anchorsMu.Lock()
	s.anchors = nil
	s.anchorsMu.Unlock()
}

// TrustAnchors implements verify.TrustAnchors: the region's root and every imported anchor.
// The result is shared: callers must not modify the certificates.
func (s *Store) TrustAnchors() ([]*smcrypto.Certificate, error) {
	s.anchorsMu.Lock()
	defer s.anchorsMu.Unlock()
	if s.anchors == nil {
		anchors, err := s.loadTrustAnchors()
		if err != nil {
			return nil, err
		}
		s.anchors = anchors
	}
	return append([]*smcrypto.Certificate(nil), s.anchors...), nil
}

func (s *Store) loadTrustAnchors() ([]*smcrypto.Certificate, error) {
	var ders [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		var r Region
		if err := getJSON(tx, bucketMeta, keyRegion, &r); err == nil {
			ders = append(ders, r.RootCert)
		}
		return tx.Bucket(bucketAnchors).ForEach(func(k, v []byte) error {
			var a AnchorRecord
			if err := decodeJSON(bucketAnchors, k, v, &a); err != nil {
				return err
			}
			ders = append(ders, a.DER)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]*smcrypto.Certificate, 0, len(ders))
	for _, der := range ders {
		c, err := smcrypto.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certstore: stored trust anchor %s: %w", Fingerprint(der), err)
		}
		out = append(out, c)
	}
	return out, nil
}

package certstore

import (
	"crypto"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// CRLValidity is how long a CRL is current: its nextUpdate is its thisUpdate plus this. A new
// one is issued on every revocation, and by `eseal crl` (or the service's schedule) before then.
const CRLValidity = 7 * 24 * time.Hour

// CRLRecord is an issuer's latest CRL.
type CRLRecord struct {
	IssuerKeyID string    `json:"issuerKeyID"`
	Number      uint64    `json:"number"`
	ThisUpdate  time.Time `json:"thisUpdate"`
	NextUpdate  time.Time `json:"nextUpdate"`
	Entries     int       `json:"entries"`
	DER         []byte    `json:"der"`
}

// IssueCRL signs a new X.509 v2 CRL of the region root with SM2: every certificate the root
// issued that was revoked, with its reason and invalidity date, and a CRL number one more than
// the last. It becomes the latest CRL (LatestCRL).
func (s *Store) IssueCRL() (*CRLRecord, error) {
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	var rec *CRLRecord
	err = s.db.Update(func(tx *bolt.Tx) (err error) {
		rec, err = issueCRLIn(tx, s.actor, root, key, s.now().UTC().Truncate(time.Second))
		return err
	})
	return rec, err
}

// LatestCRL is the issuer's latest CRL (issuerKeyID in hex); ErrNotFound when none was issued.
func (s *Store) LatestCRL(issuerKeyID string) (*CRLRecord, error) {
	var rec CRLRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCRLs) == nil {
			return fmt.Errorf("certstore: no CRL of %s: %w", issuerKeyID, ErrNotFound)
		}
		return getJSON(tx, bucketCRLs, []byte(strings.ToLower(issuerKeyID)), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// crlSigner is the region root and its key, which sign the region's CRLs, statuses and events;
// the key is decrypted once per store.
func (s *Store) crlSigner() (*smcrypto.Certificate, crypto.Signer, error) {
	s.rootMu.Lock()
	defer s.rootMu.Unlock()
	if s.rootKey != nil {
		return s.rootCert, s.rootKey, nil
	}
	region, err := s.Region()
	if err != nil {
		return nil, nil, err
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		return nil, nil, err
	}
	key, err := s.privateKey(region.RootKeyID)
	if err != nil {
		return nil, nil, fmt.Errorf("certstore: the root key that signs the CRL: %w", err)
	}
	s.rootCert, s.rootKey = root, key
	return root, key, nil
}

// issueCRLIn signs and stores a new CRL of root in tx, from the revocations in tx: a revocation
// and the CRL that publishes it are stored together or not at all.
func issueCRLIn(tx *bolt.Tx, actor string, root *smcrypto.Certificate, key crypto.Signer, now time.Time) (*CRLRecord, error) {
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	var prev CRLRecord
	if err := getJSON(tx, bucketCRLs, []byte(issuer), &prev); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	tmpl := &smcrypto.RevocationList{Number: new(big.Int).SetUint64(prev.Number + 1), ThisUpdate: now, NextUpdate: now.Add(CRLValidity)}
	err := tx.Bucket(bucketRevocations).ForEach(func(k, v []byte) error {
		if !strings.EqualFold(strings.SplitN(string(k), "/", 2)[0], issuer) {
			return nil
		}
		var r Revocation
		if err := decodeJSON(bucketRevocations, k, v, &r); err != nil {
			return err
		}
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return fmt.Errorf("certstore: revocation %s: serial %q is not hex", k, r.Serial)
		}
		e := smcrypto.RevocationListEntry{SerialNumber: serial, RevocationTime: r.RevokedAt.UTC(), ReasonCode: int(r.Reason)}
		if !r.InvalidityDate.IsZero() {
			ext, err := smcrypto.InvalidityDateExtension(r.InvalidityDate)
			if err != nil {
				return err
			}
			e.ExtraExtensions = append(e.ExtraExtensions, ext)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	der, err := smcrypto.CreateCRL(tmpl, root, key)
	if err != nil {
		return nil, fmt.Errorf("certstore: signing the CRL: %w", err)
	}
	rec := &CRLRecord{IssuerKeyID: issuer, Number: prev.Number + 1, ThisUpdate: now, NextUpdate: now.Add(CRLValidity),
		Entries: len(tmpl.RevokedCertificateEntries), DER: der}
	if err := putJSON(tx, bucketCRLs, []byte(issuer), rec); err != nil {
		return nil, err
	}
	if err := appendAudit(tx, now, actor, "crl.issue", issuer, fmt.Sprintf("CRL number %d, %d entries, next update %s", rec.Number, rec.Entries, rec.NextUpdate.Format(time.RFC3339))); err != nil {
		return nil, err
	}
	return rec, nil
}

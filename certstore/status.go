package certstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/status"
	bolt "go.etcd.io/bbolt"
)

// StatusValidity is how long a signed status is current.
const StatusValidity = 24 * time.Hour

// Kinds of signed status.
const (
	StatusCertificate = "certificate"
	StatusSeal        = "seal"
	StatusLicence     = "licence"
	StatusIssuance    = "issuance"
)

// SignedStatus is the region's signed word on a certificate (id: issuer key ID hex + "/" +
// serial hex), a seal (esID) or a licence (its identifier), signed by the region root: what
// GET /v1/status/... serves and status.Verify checks. Something this store does not know is
// "unknown", signed too.
func (s *Store) SignedStatus(kind, id string) ([]byte, error) {
	now := s.now().UTC().Truncate(time.Second)
	st := status.Status{Type: kind, ID: id, State: "unknown", ProducedAt: now, NextUpdate: now.Add(StatusValidity)}
	err := s.db.View(func(tx *bolt.Tx) error {
		switch kind {
		case StatusCertificate:
			issuer, serial, ok := strings.Cut(strings.ToLower(id), "/")
			if !ok {
				return fmt.Errorf("certstore: %w: a certificate is named issuer key ID/serial", ErrInvalidArgument)
			}
			serial, err := CanonicalSerial(serial)
			if err != nil {
				return err
			}
			key := []byte(issuer + "/" + serial)
			st.ID = string(key)
			var rec CertRecord
			if err := getJSON(tx, bucketCerts, key, &rec); errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			st.State = "good"
			var rev Revocation
			if err := getJSON(tx, bucketRevocations, key, &rev); err == nil {
				st.State, st.Reason, st.RevokedAt, st.InvalidityDate = "revoked", rev.Reason.String(), rev.RevokedAt, rev.InvalidityDate
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		case StatusSeal:
			var rec SealRecord
			if err := getJSON(tx, bucketSeals, []byte(id), &rec); errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			st.State = "good"
			rev, err := sealRevocation(tx, id)
			if err != nil {
				return err
			}
			if rev != nil {
				st.State, st.Reason, st.RevokedAt, st.InvalidityDate = "revoked", rev.Reason.String(), rev.RevokedAt, rev.InvalidityDate
			}
		case StatusLicence:
			var lic LicenceRecord
			if tx.Bucket(bucketLicences) == nil {
				return nil
			}
			if err := getJSON(tx, bucketLicences, []byte(id), &lic); errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			st.State, st.Replacement = lic.State, lic.Replacement
			if last := lic.History[len(lic.History)-1]; lic.State != LicenceInForce {
				st.Reason, st.Basis, st.RevokedAt = last.Reason, last.Basis, last.At
			}
		case StatusIssuance:
			digest, err := hex.DecodeString(id)
			if err != nil || len(digest) != 32 {
				return fmt.Errorf("certstore: %w: an issuance is named by the hex SM3 digest its signature binds", ErrInvalidArgument)
			}
			st.ID = hex.EncodeToString(digest)
			if tx.Bucket(bucketIssuances) == nil {
				return nil
			}
			var rec IssuanceRecord
			if err := getJSON(tx, bucketIssuances, []byte(st.ID), &rec); errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			if rec.LicenceID == "" {
				st.State = "issued"
				return nil
			}
			var lic LicenceRecord
			if err := getJSON(tx, bucketLicences, []byte(rec.LicenceID), &lic); err != nil {
				return err
			}
			st.State, st.Licence, st.Replacement = lic.State, lic.ID, lic.Replacement
			if last := lic.History[len(lic.History)-1]; lic.State != LicenceInForce {
				st.Reason, st.Basis, st.RevokedAt = last.Reason, last.Basis, last.At
			}
		default:
			return fmt.Errorf("certstore: %w: status of %q (certificate, seal, licence or issuance)", ErrInvalidArgument, kind)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	return status.Sign(st, key, []*smcrypto.Certificate{root})
}

// SignReport signs a verification report's exact bytes with the region root's key (SM2 with
// SM3, signer ID 1234567812345678), so that whoever keeps the report can show what this
// region's verifier said; it returns the DER signature and the root that checks it.
func (s *Store) SignReport(report []byte) ([]byte, *smcrypto.Certificate, error) {
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, nil, err
	}
	sig, err := smcrypto.SignSM2(key, nil, report)
	if err != nil {
		return nil, nil, err
	}
	return sig, root, nil
}

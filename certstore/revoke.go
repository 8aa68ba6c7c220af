package certstore

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// Revocation is a revoked certificate.
type Revocation struct {
	Serial      string                  `json:"serial"`
	IssuerKeyID string                  `json:"issuerKeyID"`
	Subject     string                  `json:"subject"`
	Reason      verify.RevocationReason `json:"reason"`
	RevokedAt   time.Time               `json:"revokedAt"`
	// InvalidityDate is when the key is known or suspected to have become unusable (RFC 5280
	// §5.3.2); zero when not given.
	InvalidityDate time.Time `json:"invalidityDate,omitzero"`
}

// ErrAlreadyRevoked is returned when a revoked certificate is revoked again with another reason
// (the one change allowed is to keyCompromise).
var ErrAlreadyRevoked = errors.New("certificate already revoked")

// ErrSealRevoked is returned by SealSigner for a seal that was revoked, or whose signer
// certificate was: it may not sign any more.
var ErrSealRevoked = errors.New("revoked seals and seals of revoked signers may not sign")

// ErrAmbiguousSerial is returned when certificates from several issuers share the serial.
var ErrAmbiguousSerial = errors.New("serial number matches certificates from several issuers")

// RevokeRequest says what to revoke and why.
type RevokeRequest struct {
	Serial string // hex, as typed by a user
	// IssuerKeyID (hex) picks the issuer when several issued the serial; empty: any.
	IssuerKeyID    string
	Reason         verify.RevocationReason
	InvalidityDate time.Time
}

// RevokeCertificates revokes several certificates in one transaction: all of them, or, at the
// first that cannot be revoked, none.
func (s *Store) RevokeCertificates(reqs []RevokeRequest) ([]Revocation, error) {
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	out := make([]Revocation, 0, len(reqs))
	err = s.db.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		for _, req := range reqs {
			rev, err := revokeIn(tx, s.actor, root, key, req, now)
			if err != nil {
				return err
			}
			out = append(out, *rev)
		}
		_, err := issueCRLIn(tx, s.actor, root, key, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.eventsAppended()
	return out, nil
}

// RevokeCertificate revokes a certificate issued by this store, and issues the region's new CRL
// in the same transaction. Revoking again with the same reason
// returns the existing record unchanged; changing the reason to keyCompromise keeps the original
// revocation time; any other change is ErrAlreadyRevoked.
func (s *Store) RevokeCertificate(req RevokeRequest) (*Revocation, error) {
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	var out *Revocation
	err = s.db.Update(func(tx *bolt.Tx) (err error) {
		if out, err = revokeIn(tx, s.actor, root, key, req, now); err != nil {
			return err
		}
		_, err = issueCRLIn(tx, s.actor, root, key, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.eventsAppended()
	return out, nil
}

// revokeIn revokes one certificate in tx, with RevokeCertificate's rules; a change is an event
// signed with eventKey (the root's), and its OCSP response is signed anew.
func revokeIn(tx *bolt.Tx, actor string, root *smcrypto.Certificate, eventKey crypto.Signer, req RevokeRequest, now time.Time) (*Revocation, error) {
	serial, err := CanonicalSerial(req.Serial)
	if err != nil {
		return nil, err
	}
	if !req.Reason.Valid() {
		return nil, fmt.Errorf("certstore: %w: reason %d", ErrInvalidArgument, int(req.Reason))
	}
	if !req.InvalidityDate.IsZero() && req.InvalidityDate.After(now) {
		return nil, fmt.Errorf("certstore: %w: the invalidity date is in the future", ErrInvalidArgument)
	}
	key, rec, err := findCertBySerial(tx, serial, req.IssuerKeyID)
	if err != nil {
		return nil, err
	}
	var out, prev Revocation
	switch err := getJSON(tx, bucketRevocations, key, &prev); {
	case err == nil:
		if prev.Reason == req.Reason {
			return &prev, nil
		}
		if req.Reason != verify.ReasonKeyCompromise {
			return nil, fmt.Errorf("certstore: %s: %w on %s with reason %s; the only allowed change is to keyCompromise",
				serial, ErrAlreadyRevoked, prev.RevokedAt.Format(time.RFC3339), prev.Reason)
		}
		out = prev
		out.Reason = req.Reason
		if !req.InvalidityDate.IsZero() {
			out.InvalidityDate = req.InvalidityDate.UTC()
		}
	case errors.Is(err, ErrNotFound):
		out = Revocation{Serial: serial, IssuerKeyID: rec.IssuerKeyID, Subject: rec.Subject,
			Reason: req.Reason, RevokedAt: now, InvalidityDate: req.InvalidityDate.UTC()}
	default:
		return nil, err
	}
	if err := putJSON(tx, bucketRevocations, key, out); err != nil {
		return nil, err
	}
	if out.Reason == verify.ReasonKeyCompromise {
		if err := blockKey(tx, rec, now); err != nil {
			return nil, err
		}
	}
	if err := appendAudit(tx, now, actor, "cert.revoke", string(key), fmt.Sprintf("revoked %s (%s), reason %s", serial, rec.Subject, out.Reason)); err != nil {
		return nil, err
	}
	if err := appendEvent(tx, eventKey, now, eventlog.TypeCertificateRevoked, string(key), out); err != nil {
		return nil, err
	}
	if strings.HasPrefix(string(key), fmt.Sprintf("%x/", root.SubjectKeyId)) {
		if err := presignOCSPIn(tx, root, eventKey, key, serial, now); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func findCertBySerial(tx *bolt.Tx, serial, issuerKeyID string) ([]byte, *CertRecord, error) {
	suffix := []byte("/" + serial)
	var foundKey []byte
	var found *CertRecord
	count := 0
	err := tx.Bucket(bucketCerts).ForEach(func(k, v []byte) error {
		if !bytes.HasSuffix(k, suffix) {
			return nil
		}
		if issuerKeyID != "" && !strings.EqualFold(string(k[:len(k)-len(suffix)]), issuerKeyID) {
			return nil
		}
		var rec CertRecord
		if err := decodeJSON(bucketCerts, k, v, &rec); err != nil {
			return err
		}
		count++
		foundKey, found = append([]byte(nil), k...), &rec
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	switch count {
	case 0:
		return nil, nil, fmt.Errorf("certstore: no certificate with serial %s was issued by this store: %w", serial, ErrNotFound)
	case 1:
		return foundKey, found, nil
	default:
		return nil, nil, fmt.Errorf("certstore: %w (%s); give the issuer key ID", ErrAmbiguousSerial, serial)
	}
}

func blockKey(tx *bolt.Tx, rec *CertRecord, now time.Time) error {
	cert, err := smcrypto.ParseCertificate(rec.DER)
	if err != nil {
		return err
	}
	return putJSON(tx, bucketBlockedKeys, []byte(fmt.Sprintf("%x", cert.SubjectKeyId)),
		map[string]any{"reason": verify.ReasonKeyCompromise.String(), "time": now, "serial": rec.Serial})
}

// Revocations lists every revocation.
func (s *Store) Revocations() ([]Revocation, error) {
	var out []Revocation
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRevocations).ForEach(func(k, v []byte) error {
			var r Revocation
			if err := decodeJSON(bucketRevocations, k, v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// RevocationSource is how reports name this store as the source of a revocation status: by
// what it is, never by where its file lies (reports reach anonymous HTTP clients).
const RevocationSource = "the issuing region's eseal store"

// CertificateStatus implements verify.RevocationChecker for the certificates this store issued.
// For others it answers Known=false.
func (s *Store) CertificateStatus(cert, issuer *smcrypto.Certificate) (verify.RevocationStatus, error) {
	now := s.now().UTC()
	st := verify.RevocationStatus{Source: RevocationSource, ProducedAt: now}
	issuerKeyID := cert.AuthorityKeyId
	if len(issuerKeyID) == 0 && issuer != nil {
		issuerKeyID = issuer.SubjectKeyId
	}
	if len(issuerKeyID) == 0 {
		return st, nil
	}
	key := certKey(issuerKeyID, smcrypto.SerialHex(cert.SerialNumber))
	err := s.db.View(func(tx *bolt.Tx) error {
		// Only the DER is needed: decoding the whole record costs more than the lookup.
		var rec struct {
			DER []byte `json:"der"`
		}
		if err := getJSON(tx, bucketCerts, key, &rec); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil // not ours: Known stays false
			}
			return err
		}
		if !bytes.Equal(rec.DER, cert.Raw) {
			return nil // same issuer key and serial but another certificate: not one we issued
		}
		st.Known = true
		var rev Revocation
		switch err := getJSON(tx, bucketRevocations, key, &rev); {
		case err == nil:
			st.Revoked, st.RevokedAt, st.Reason, st.InvalidityDate = true, rev.RevokedAt, rev.Reason, rev.InvalidityDate
		case !errors.Is(err, ErrNotFound):
			return err
		}
		return nil
	})
	return st, err
}

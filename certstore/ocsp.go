package certstore

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

var bucketOCSP = []byte("ocsp")

// OCSPValidity is how long an OCSP response is current (its nextUpdate); a response is signed
// anew when less than half of it is left, and at once when the certificate is revoked.
const OCSPValidity = 24 * time.Hour

// ErrNotOurIssuer: an OCSP request about a certificate of another issuer (OCSP unauthorized).
var ErrNotOurIssuer = errors.New("the certificate was not issued by this region's root")

// ocspRecord is a pre-signed OCSP response.
type ocspRecord struct {
	DER        []byte    `json:"der"`
	ThisUpdate time.Time `json:"thisUpdate"`
	NextUpdate time.Time `json:"nextUpdate"`
}

// ocspKey names a stored response: the certificate's key in the certs bucket and the CertID's
// hash algorithm, which the response echoes.
func ocspKey(certKey []byte, alg smcrypto.OID) []byte {
	return append(append(append([]byte(nil), certKey...), '/'), alg...)
}

// OCSPResponse answers an OCSP request (RFC 6960) about a certificate of the region root: the
// response signed in advance when it is current, otherwise one signed now (and kept, for a
// certificate this store issued). A certificate the store does not know is "unknown"; one of
// another issuer is ErrNotOurIssuer.
func (s *Store) OCSPResponse(req *smcrypto.OCSPRequest) (der []byte, thisUpdate, nextUpdate time.Time, err error) {
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	if !req.CertID.IssuedBy(root) {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("certstore: %w", ErrNotOurIssuer)
	}
	certKey := []byte(fmt.Sprintf("%x/%s", root.SubjectKeyId, smcrypto.SerialHex(req.CertID.SerialNumber)))
	now := s.now().UTC().Truncate(time.Second)
	var rec ocspRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketOCSP) == nil {
			return ErrNotFound
		}
		return getJSON(tx, bucketOCSP, ocspKey(certKey, req.CertID.HashAlgorithm), &rec)
	})
	if err == nil && now.Before(rec.ThisUpdate.Add(OCSPValidity/2)) {
		return rec.DER, rec.ThisUpdate, rec.NextUpdate, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, time.Time{}, time.Time{}, err
	}
	if s.readOnly {
		r, err := s.signOCSPView(root, key, certKey, req.CertID, now)
		if err != nil {
			return nil, time.Time{}, time.Time{}, err
		}
		return r.DER, r.ThisUpdate, r.NextUpdate, nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		r, known, err := signOCSPIn(tx, root, key, certKey, req.CertID, now)
		if err != nil {
			return err
		}
		rec = *r
		if !known {
			return nil // an unknown serial's answer is not kept: anyone may ask about any serial
		}
		return putJSON(tx, bucketOCSP, ocspKey(certKey, req.CertID.HashAlgorithm), rec)
	})
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	return rec.DER, rec.ThisUpdate, rec.NextUpdate, nil
}

func (s *Store) signOCSPView(root *smcrypto.Certificate, key crypto.Signer, certKey []byte, id smcrypto.OCSPCertID, now time.Time) (*ocspRecord, error) {
	var rec *ocspRecord
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		rec, _, err = signOCSPIn(tx, root, key, certKey, id, now)
		return err
	})
	return rec, err
}

// signOCSPIn signs the response about the certificate certKey from what tx holds; known says
// whether the store issued it.
func signOCSPIn(tx *bolt.Tx, root *smcrypto.Certificate, key crypto.Signer, certKey []byte, id smcrypto.OCSPCertID, now time.Time) (*ocspRecord, bool, error) {
	single := smcrypto.OCSPSingleResponse{CertID: id, Status: smcrypto.OCSPUnknown, Reason: -1, ThisUpdate: now, NextUpdate: now.Add(OCSPValidity)}
	known := tx.Bucket(bucketCerts).Get(certKey) != nil
	if known {
		single.Status = smcrypto.OCSPGood
		var rev Revocation
		switch err := getJSON(tx, bucketRevocations, certKey, &rev); {
		case err == nil:
			single.Status, single.RevokedAt, single.Reason = smcrypto.OCSPRevoked, rev.RevokedAt, int(rev.Reason)
		case !errors.Is(err, ErrNotFound):
			return nil, false, err
		}
	}
	der, err := smcrypto.CreateOCSPResponse(single, now, root, key)
	if err != nil {
		return nil, false, fmt.Errorf("certstore: signing an OCSP response: %w", err)
	}
	return &ocspRecord{DER: der, ThisUpdate: single.ThisUpdate, NextUpdate: single.NextUpdate}, known, nil
}

// presignOCSPIn replaces, in the transaction of a revocation, the certificate's stored responses
// with a revoked one for a SHA-1 CertID (what most clients send); other hash algorithms are
// signed on their first request.
func presignOCSPIn(tx *bolt.Tx, root *smcrypto.Certificate, key crypto.Signer, certKey []byte, serialHex string, now time.Time) error {
	b := tx.Bucket(bucketOCSP)
	prefix := append(append([]byte(nil), certKey...), '/')
	var stale [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		stale = append(stale, append([]byte(nil), k...))
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	serial, ok := parseHexSerial(serialHex)
	if !ok {
		return fmt.Errorf("certstore: serial %q is not hex", serialHex)
	}
	id, err := smcrypto.NewOCSPCertID(root, serial, smcrypto.OIDSHA1)
	if err != nil {
		return err
	}
	rec, _, err := signOCSPIn(tx, root, key, certKey, id, now)
	if err != nil {
		return err
	}
	return putJSON(tx, bucketOCSP, ocspKey(certKey, smcrypto.OIDSHA1), rec)
}

func parseHexSerial(s string) (*big.Int, bool) {
	return new(big.Int).SetString(s, 16)
}

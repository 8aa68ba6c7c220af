package certstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
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
	// StatusURL is the base URL of the anchor region's eseal service, whose CRLs and signed
	// statuses verification fetches (empty: none).
	StatusURL string `json:"statusURL,omitempty"`
}

// Fingerprint is the SHA-256 of a certificate's DER, in lower-case hex.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// AddTrustAnchor trusts cert as a root for verification. It must be a CA certificate.
func (s *Store) AddTrustAnchor(cert *smcrypto.Certificate, note string) (*AnchorRecord, error) {
	return s.AddRemoteTrustAnchor(cert, note, "")
}

// AddRemoteTrustAnchor trusts cert as AddTrustAnchor does and records statusURL, the base URL of
// its region's eseal service (http or https), from which verification fetches that region's CRLs
// and seal statuses. Adding a known anchor with a new URL changes its URL.
func (s *Store) AddRemoteTrustAnchor(cert *smcrypto.Certificate, note, statusURL string) (*AnchorRecord, error) {
	if statusURL != "" {
		var err error
		if statusURL, err = normalServiceURL("status", statusURL); err != nil {
			return nil, err
		}
	}
	if cert == nil {
		return nil, fmt.Errorf("certstore: %w: no certificate", ErrInvalidArgument)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certstore: %w: %s is not a CA certificate and cannot be a trust anchor", ErrInvalidArgument, cert.Subject)
	}
	now := s.now().UTC().Truncate(time.Second)
	rec := &AnchorRecord{DER: cert.Raw, Subject: cert.Subject.String(), Fingerprint: Fingerprint(cert.Raw), Note: note, Added: now, StatusURL: statusURL}
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := addAnchorIn(tx, s.actor, rec, now)
		return err
	})
	s.invalidateAnchors()
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// normalServiceURL checks that raw, the base URL of an eseal service (what), is an absolute http
// or https URL, and returns it without a trailing slash.
func normalServiceURL(what, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("certstore: %w: a %s URL is an absolute http or https URL, not %q", ErrInvalidArgument, what, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// addAnchorIn stores rec in tx, or, when its certificate is trusted already, updates the stored
// record's status URL to rec's (when given) and sets *rec to the stored record; added says
// which. The caller invalidates the anchor cache.
func addAnchorIn(tx *bolt.Tx, actor string, rec *AnchorRecord, now time.Time) (added bool, err error) {
	statusURL, note := rec.StatusURL, rec.Note
	if tx.Bucket(bucketAnchors).Get([]byte(rec.Fingerprint)) != nil {
		fingerprint := rec.Fingerprint
		*rec = AnchorRecord{}
		if err := getJSON(tx, bucketAnchors, []byte(fingerprint), rec); err != nil {
			return false, err
		}
		if statusURL == "" || statusURL == rec.StatusURL {
			return false, nil
		}
		rec.StatusURL = statusURL
		if err := putJSON(tx, bucketAnchors, []byte(rec.Fingerprint), rec); err != nil {
			return false, err
		}
		return false, appendAudit(tx, now, actor, "anchor.url", rec.Fingerprint, fmt.Sprintf("status URL of %s: %s", rec.Subject, statusURL))
	}
	if err := putJSON(tx, bucketAnchors, []byte(rec.Fingerprint), rec); err != nil {
		return false, err
	}
	return true, appendAudit(tx, now, actor, "anchor.add", rec.Fingerprint, fmt.Sprintf("trust anchor %s (%s)", rec.Subject, note))
}

// RemoteRegion is a trusted root whose region publishes its status at URL.
type RemoteRegion struct {
	Root *smcrypto.Certificate
	URL  string
}

// RemoteRegions lists the trust anchors that have a status URL.
func (s *Store) RemoteRegions() ([]RemoteRegion, error) {
	var out []RemoteRegion
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAnchors).ForEach(func(k, v []byte) error {
			var rec AnchorRecord
			if err := decodeJSON(bucketAnchors, k, v, &rec); err != nil {
				return err
			}
			if rec.StatusURL == "" {
				return nil
			}
			cert, err := smcrypto.ParseCertificate(rec.DER)
			if err != nil {
				return fmt.Errorf("certstore: trust anchor %s: %w", k, err)
			}
			out = append(out, RemoteRegion{Root: cert, URL: rec.StatusURL})
			return nil
		})
	})
	return out, err
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

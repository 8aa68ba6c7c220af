package certstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/trustbundle"
	bolt "go.etcd.io/bbolt"
)

// bucketTrustBundles holds the trust bundles imported from other regions (see the package doc).
var bucketTrustBundles = []byte("trust_bundles")

func init() { allBuckets = append(allBuckets, bucketTrustBundles) }

var (
	keyPublicURL      = []byte("public_url")       // meta: the service's public base URL
	keyTrustBundleSeq = []byte("trust_bundle_seq") // meta: uint64 big endian, the last exported
)

// ErrStaleBundle: a trust bundle whose sequence number is not above the one already imported
// from its region (an older bundle, or the same one replayed).
var ErrStaleBundle = errors.New("the trust bundle is not newer than the one already imported from its region")

// Trust bundle validity: DefaultTrustBundleValidity when none is asked for, at least
// MinTrustBundleValidity, at most trustbundle.MaxValidity.
const (
	DefaultTrustBundleValidity = 30 * 24 * time.Hour
	MinTrustBundleValidity     = time.Hour
)

// SetPublicURL records the base URL under which other regions reach this region's service
// (http or https; a trailing slash is dropped): trust bundles name it for the CRL and statuses.
func (s *Store) SetPublicURL(raw string) (string, error) {
	u, err := normalServiceURL("public", raw)
	if err != nil {
		return "", err
	}
	now := s.now().UTC().Truncate(time.Second)
	err = s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if string(m.Get(keyPublicURL)) == u {
			return nil
		}
		if err := m.Put(keyPublicURL, []byte(u)); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "region.url", u, "public URL of the service: "+u)
	})
	return u, err
}

// PublicURL is the URL SetPublicURL recorded; "" when none was.
func (s *Store) PublicURL() (string, error) {
	var u string
	err := s.db.View(func(tx *bolt.Tx) error {
		u = string(tx.Bucket(bucketMeta).Get(keyPublicURL))
		return nil
	})
	return u, err
}

// ExportTrustBundle signs a trust bundle of the region with its root (internal/trustbundle): the
// region, its root, seal maker and timestamping authority (made now if the region has none yet),
// its public URL (SetPublicURL) as the status URL and its root's CRL there, the next sequence
// number, and the next update validity (zero: DefaultTrustBundleValidity) from now. The sequence
// number is stored with the export's audit record: it never repeats, even after a failed write
// of the file.
func (s *Store) ExportTrustBundle(validity time.Duration) ([]byte, *trustbundle.Bundle, error) {
	if validity == 0 {
		validity = DefaultTrustBundleValidity
	}
	if validity < MinTrustBundleValidity || validity > trustbundle.MaxValidity {
		return nil, nil, fmt.Errorf("certstore: %w: a trust bundle is valid from %s to %s, not %s", ErrInvalidArgument, MinTrustBundleValidity, trustbundle.MaxValidity, validity)
	}
	region, err := s.Region()
	if err != nil {
		return nil, nil, err
	}
	base, err := s.PublicURL()
	if err != nil {
		return nil, nil, err
	}
	if base == "" {
		return nil, nil, fmt.Errorf("certstore: %w: the region's public URL is not set: other regions would not know where to ask about revocations", ErrInvalidArgument)
	}
	root, key, err := s.crlSigner()
	if err != nil {
		return nil, nil, err
	}
	maker, err := smcrypto.ParseCertificate(region.MakerCert)
	if err != nil {
		return nil, nil, err
	}
	_, tsaChain, err := s.tsa()
	if err != nil {
		return nil, nil, fmt.Errorf("certstore: the timestamping authority: %w", err)
	}
	now := s.now().UTC().Truncate(time.Second)
	b := &trustbundle.Bundle{
		RegionCode: region.Code, RegionName: region.Name, Issued: now, NextUpdate: now.Add(validity),
		Root: root, SealMakers: []*smcrypto.Certificate{maker}, TSAs: tsaChain[:1],
		StatusURL: base, CRLURL: fmt.Sprintf("%s/v1/crl/%s", base, region.RootKeyID),
	}
	var out []byte
	err = s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if v := m.Get(keyTrustBundleSeq); len(v) == 8 {
			b.Sequence = binary.BigEndian.Uint64(v)
		}
		b.Sequence++
		var err error
		if out, err = trustbundle.Sign(b, key); err != nil {
			return err
		}
		if err := m.Put(keyTrustBundleSeq, uint64Key(b.Sequence)); err != nil {
			return err
		}
		if err := m.Put(keyLatestTrustBundle, out); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "bundle.export", region.Code, fmt.Sprintf("trust bundle sequence %d, next update %s, status URL %s",
			b.Sequence, b.NextUpdate.Format(time.RFC3339), b.StatusURL))
	})
	if err != nil {
		return nil, nil, err
	}
	return out, b, nil
}

// keyLatestTrustBundle (meta) holds the last bundle ExportTrustBundle made, which the service
// publishes (GET /v1/trust/bundle).
var keyLatestTrustBundle = []byte("latest_trust_bundle")

// LatestTrustBundle is the last trust bundle this region exported; ErrNotFound before the first.
func (s *Store) LatestTrustBundle() ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyLatestTrustBundle)
		if v == nil {
			return fmt.Errorf("certstore: no trust bundle was exported yet (eseal trust export): %w", ErrNotFound)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// TrustBundleRecord is the latest trust bundle imported from a region, by its root.
type TrustBundleRecord struct {
	RootFingerprint string    `json:"root"` // SHA-256, lower-case hex
	RegionCode      string    `json:"code"`
	RegionName      string    `json:"name"`
	Sequence        uint64    `json:"sequence"`
	Issued          time.Time `json:"issued"`
	NextUpdate      time.Time `json:"nextUpdate"`
	StatusURL       string    `json:"statusURL"`
	Imported        time.Time `json:"imported"`
	Raw             []byte    `json:"raw"` // the bundle as imported
}

// BundleImport is what ImportTrustBundle did.
type BundleImport struct {
	Bundle *trustbundle.Bundle
	// Added are the anchors the bundle added; AlreadyTrusted those it named that were trusted
	// before (their status URL now the bundle's).
	Added, AlreadyTrusted []*AnchorRecord
	// Previous is the sequence number imported before from the region; 0 for none.
	Previous uint64
}

// ImportTrustBundle verifies raw, another region's trust bundle, against its root's SHA-256
// fingerprint given out of band (trustbundle.Verify, at the store's clock: a refusal is a
// *trustbundle.Error) and trusts its root, with the bundle's status URL for revocations. A
// bundle whose sequence number is not above the last imported from the same root is
// ErrStaleBundle; this region's own bundle is ErrInvalidArgument. The anchor, the bundle's
// record and the audit record are stored together or not at all. The root stays trusted past the
// bundle's next update, which bounds only when the bundle may be imported: whether the region's
// certificates and seals still stand is for its CRL and statuses, at the status URL, to say.
func (s *Store) ImportTrustBundle(raw []byte, rootFingerprint [sha256.Size]byte, note string) (*BundleImport, error) {
	now := s.now().UTC().Truncate(time.Second)
	b, err := trustbundle.Verify(raw, rootFingerprint, s.now())
	if err != nil {
		return nil, err
	}
	statusURL, err := normalServiceURL("status", b.StatusURL)
	if err != nil {
		return nil, err
	}
	if own, err := s.Region(); err == nil && bytes.Equal(own.RootCert, b.Root.Raw) {
		return nil, fmt.Errorf("certstore: %w: the bundle is this region's own (%s %s)", ErrInvalidArgument, own.Code, own.Name)
	}
	fp := b.RootFingerprint()
	anchorNote := fmt.Sprintf("trust bundle of %s %s, sequence %d", b.RegionCode, b.RegionName, b.Sequence)
	if note != "" {
		anchorNote += "; " + note
	}
	res := &BundleImport{Bundle: b}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var prev TrustBundleRecord
		switch err := getJSON(tx, bucketTrustBundles, []byte(fp), &prev); {
		case err == nil:
			if b.Sequence <= prev.Sequence {
				return fmt.Errorf("certstore: %w: region %s %s sent sequence %d, and sequence %d (issued %s) was imported on %s", ErrStaleBundle,
					b.RegionCode, b.RegionName, b.Sequence, prev.Sequence, prev.Issued.Format(time.RFC3339), prev.Imported.Format(time.RFC3339))
			}
			res.Previous = prev.Sequence
		case !errors.Is(err, ErrNotFound):
			return err
		}
		rec := &AnchorRecord{DER: b.Root.Raw, Subject: b.Root.Subject.String(), Fingerprint: fp, Note: anchorNote, Added: now, StatusURL: statusURL}
		added, err := addAnchorIn(tx, s.actor, rec, now)
		if err != nil {
			return err
		}
		if added {
			res.Added = append(res.Added, rec)
		} else {
			res.AlreadyTrusted = append(res.AlreadyTrusted, rec)
		}
		if err := putJSON(tx, bucketTrustBundles, []byte(fp), TrustBundleRecord{RootFingerprint: fp, RegionCode: b.RegionCode, RegionName: b.RegionName,
			Sequence: b.Sequence, Issued: b.Issued, NextUpdate: b.NextUpdate, StatusURL: statusURL, Imported: now, Raw: raw}); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "bundle.import", fp, fmt.Sprintf("%s; next update %s; status URL %s; %d anchor(s) added",
			anchorNote, b.NextUpdate.Format(time.RFC3339), statusURL, len(res.Added)))
	})
	s.invalidateAnchors()
	if err != nil {
		return nil, err
	}
	return res, nil
}

// TrustBundles lists the latest trust bundle imported from each region.
func (s *Store) TrustBundles() ([]TrustBundleRecord, error) {
	var out []TrustBundleRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTrustBundles)
		if b == nil { // a store made before the bucket, opened read-only
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r TrustBundleRecord
			if err := decodeJSON(bucketTrustBundles, k, v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

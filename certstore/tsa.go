package certstore

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// TSAPolicy is the policy of the region's timestamps (an OID under the UUID arc 2.25).
const TSAPolicy smcrypto.OID = "2.25.197043117386125227281236785226102347914"

// RoleTSA is the role of the region's timestamping authority certificate.
const RoleTSA = "tsa"

const tsaValidity = 10 * 365 * 24 * time.Hour

var keyTSA = []byte("tsa") // meta: JSON tsaRecord

type tsaRecord struct {
	KeyID string `json:"keyID"`
	Cert  []byte `json:"cert"` // DER, issued by the root with the timeStamping extended key usage
}

// tsaSigner is the loaded TSA: its key decrypted once per store.
type tsaSigner struct {
	once  sync.Once
	key   crypto.Signer
	chain []*smcrypto.Certificate
	err   error
}

// Timestamp issues an RFC 3161 timestamp token over imprint (the imprintAlg digest of what is
// timestamped, e.g. a signature value) by the region's timestamping authority: a key and a
// certificate issued by the region root for timeStamping, made on first use. Verifiers that
// trust the region's root trust its times.
func (s *Store) Timestamp(imprintAlg smcrypto.OID, imprint []byte) ([]byte, error) {
	key, chain, err := s.tsa()
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	serial.Add(serial, big.NewInt(1))
	return smcrypto.BuildTimestampToken(smcrypto.TimestampOptions{ImprintAlgorithm: imprintAlg, Imprint: imprint, Serial: serial,
		Policy: TSAPolicy, GenTime: s.now()}, key, chain)
}

// TimestampSignature is Timestamp over the SM3 of a signature value: what a signer's
// TimeStamp callback needs.
func (s *Store) TimestampSignature(signatureValue []byte) ([]byte, error) {
	d := smcrypto.SM3(signatureValue)
	return s.Timestamp(smcrypto.OIDSM3, d[:])
}

func (s *Store) tsa() (crypto.Signer, []*smcrypto.Certificate, error) {
	s.tsaMu.Lock()
	t := s.tsaState
	if t == nil {
		t = &tsaSigner{}
		s.tsaState = t
	}
	s.tsaMu.Unlock()
	t.once.Do(func() { t.key, t.chain, t.err = s.loadTSA() })
	return t.key, t.chain, t.err
}

// loadTSA reads the region's TSA, making it first when the store has none.
func (s *Store) loadTSA() (crypto.Signer, []*smcrypto.Certificate, error) {
	region, err := s.Region()
	if err != nil {
		return nil, nil, err
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		return nil, nil, err
	}
	var rec tsaRecord
	err = s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bucketMeta, keyTSA, &rec) })
	if errors.Is(err, ErrNotFound) {
		if rec, err = s.makeTSA(region, root); err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, err
	}
	cert, err := smcrypto.ParseCertificate(rec.Cert)
	if err != nil {
		return nil, nil, err
	}
	key, err := s.privateKey(rec.KeyID)
	if err != nil {
		return nil, nil, err
	}
	return key, []*smcrypto.Certificate{cert, root}, nil
}

func (s *Store) makeTSA(region *Region, root *smcrypto.Certificate) (tsaRecord, error) {
	if s.readOnly {
		return tsaRecord{}, fmt.Errorf("certstore: the region has no timestamping authority yet, and the store is read-only")
	}
	rootKey, err := s.privateKey(region.RootKeyID)
	if err != nil {
		return tsaRecord{}, err
	}
	key, err := smcrypto.GenerateKey()
	if err != nil {
		return tsaRecord{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	cert, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:     pkix.Name{Country: []string{"CN"}, Organization: []string{region.Name}, CommonName: region.Name + " 时间戳服务"},
		NotBefore:   now.Add(-time.Minute),
		NotAfter:    now.Add(tsaValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}, key.Public(), root, rootKey)
	if err != nil {
		return tsaRecord{}, fmt.Errorf("certstore: create TSA certificate: %w", err)
	}
	keyPEM, err := smcrypto.MarshalPKCS8PrivateKey(key, s.passphrase)
	if err != nil {
		return tsaRecord{}, err
	}
	rec := tsaRecord{KeyID: fmt.Sprintf("%x", cert.SubjectKeyId), Cert: cert.Raw}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var existing tsaRecord
		if err := getJSON(tx, bucketMeta, keyTSA, &existing); err == nil {
			rec = existing // made meanwhile by another process
			return nil
		}
		if err := tx.Bucket(bucketKeys).Put([]byte(rec.KeyID), keyPEM); err != nil {
			return err
		}
		if err := putJSON(tx, bucketMeta, keyTSA, rec); err != nil {
			return err
		}
		if err := putCert(tx, cert, root, RoleTSA, "", now); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "tsa.new", rec.KeyID, fmt.Sprintf("timestamping authority %s serial %s", cert.Subject.String(), smcrypto.SerialHex(cert.SerialNumber)))
	})
	return rec, err
}

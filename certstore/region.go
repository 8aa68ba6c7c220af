package certstore

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// Region is the PKI of one administrative region: its root CA and its seal-making key.
type Region struct {
	Code       string    `json:"code"` // 6-digit administrative division code
	Name       string    `json:"name"` // e.g. the approval bureau's name
	RootKeyID  string    `json:"rootKeyID"`
	MakerKeyID string    `json:"makerKeyID"`
	RootCert   []byte    `json:"rootCert"`  // DER
	MakerCert  []byte    `json:"makerCert"` // DER, issued by the root
	Created    time.Time `json:"created"`
}

// Certificate roles recorded with each issued certificate.
const (
	RoleRoot       = "root"
	RoleSealMaker  = "seal-maker"
	RoleSealSigner = "seal-signer"
)

// CertRecord is an issued certificate.
type CertRecord struct {
	DER         []byte    `json:"der"`
	Role        string    `json:"role"`
	Serial      string    `json:"serial"` // lower-case hex
	IssuerKeyID string    `json:"issuerKeyID"`
	Subject     string    `json:"subject"`
	ESID        string    `json:"esID,omitempty"`
	NotAfter    time.Time `json:"notAfter"`
	Created     time.Time `json:"created"`
}

// Validity periods of what a region issues.
const (
	rootValidity  = 20 * 365 * 24 * time.Hour
	makerValidity = 10 * 365 * 24 * time.Hour
	// DefaultSealValidity applies when a seal is made without an explicit end date.
	DefaultSealValidity = 5 * 365 * 24 * time.Hour
)

// InitRegion creates the region's root CA and seal-making key. It fails with ErrAlreadyInitialized
// when the store has a region.
func (s *Store) InitRegion(code, name string) (*Region, error) {
	if err := validRegionCode(code); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("certstore: %w: the region needs a name", ErrInvalidArgument)
	}
	if _, err := s.Region(); err == nil {
		return nil, fmt.Errorf("certstore: %w", ErrAlreadyInitialized)
	} else if !errors.Is(err, ErrNotInitialized) {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	rootKey, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	root, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:    pkix.Name{Country: []string{"CN"}, Organization: []string{name}, CommonName: name + " 根CA"},
		NotBefore:  now.Add(-time.Minute),
		NotAfter:   now.Add(rootValidity),
		IsCA:       true,
		MaxPathLen: 1,
		KeyUsage:   x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, rootKey.Public(), nil, rootKey)
	if err != nil {
		return nil, fmt.Errorf("certstore: create root certificate: %w", err)
	}
	makerKey, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	maker, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{name}, CommonName: name + " 电子印章制作"},
		NotBefore: now.Add(-time.Minute),
		NotAfter:  now.Add(makerValidity),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, makerKey.Public(), root, rootKey)
	if err != nil {
		return nil, fmt.Errorf("certstore: create seal-maker certificate: %w", err)
	}
	r := &Region{
		Code: code, Name: name,
		RootKeyID: fmt.Sprintf("%x", root.SubjectKeyId), MakerKeyID: fmt.Sprintf("%x", maker.SubjectKeyId),
		RootCert: root.Raw, MakerCert: maker.Raw, Created: now,
	}
	rootPEM, err := smcrypto.MarshalPKCS8PrivateKey(rootKey, s.passphrase)
	if err != nil {
		return nil, err
	}
	makerPEM, err := smcrypto.MarshalPKCS8PrivateKey(makerKey, s.passphrase)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyRegion) != nil {
			return fmt.Errorf("certstore: %w", ErrAlreadyInitialized)
		}
		if err := putJSON(tx, bucketMeta, keyRegion, r); err != nil {
			return err
		}
		keys := tx.Bucket(bucketKeys)
		if err := keys.Put([]byte(r.RootKeyID), rootPEM); err != nil {
			return err
		}
		if err := keys.Put([]byte(r.MakerKeyID), makerPEM); err != nil {
			return err
		}
		if err := putCert(tx, root, root, RoleRoot, "", now); err != nil {
			return err
		}
		if err := putCert(tx, maker, root, RoleSealMaker, "", now); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "region.init", code, fmt.Sprintf("region %s %q; root %s serial %s; seal maker serial %s",
			code, name, root.Subject.String(), smcrypto.SerialHex(root.SerialNumber), smcrypto.SerialHex(maker.SerialNumber)))
	})
	s.invalidateAnchors()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Region returns the store's region, or ErrNotInitialized.
func (s *Store) Region() (*Region, error) {
	var r Region
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bucketMeta, keyRegion, &r) })
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("certstore: %w", ErrNotInitialized)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RootCertificate returns the region's root CA certificate.
func (s *Store) RootCertificate() (*smcrypto.Certificate, error) {
	r, err := s.Region()
	if err != nil {
		return nil, err
	}
	return smcrypto.ParseCertificate(r.RootCert)
}

// validRegionCode applies the seal package's rule, so that a region that can be set up can also
// make seals.
func validRegionCode(code string) error {
	if err := seal.ValidateRegionCode(code); err != nil {
		return fmt.Errorf("certstore: %w: %v", ErrInvalidArgument, err)
	}
	return nil
}

func putCert(tx *bolt.Tx, cert, issuer *smcrypto.Certificate, role, esID string, now time.Time) error {
	serial := smcrypto.SerialHex(cert.SerialNumber)
	rec := CertRecord{
		DER: cert.Raw, Role: role, Serial: serial, IssuerKeyID: fmt.Sprintf("%x", issuer.SubjectKeyId),
		Subject: cert.Subject.String(), ESID: esID, NotAfter: cert.NotAfter, Created: now,
	}
	return putJSON(tx, bucketCerts, certKey(issuer.SubjectKeyId, serial), rec)
}

// privateKey decrypts the stored key with the given key ID.
func (s *Store) privateKey(keyID string) (crypto.Signer, error) {
	var pemBytes []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketKeys).Get([]byte(keyID))
		if v == nil {
			return fmt.Errorf("certstore: private key %s: %w", keyID, ErrNotFound)
		}
		pemBytes = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	key, err := smcrypto.ParsePKCS8PrivateKey(pemBytes, s.passphrase)
	if err != nil {
		return nil, fmt.Errorf("certstore: %w (%v)", ErrWrongPassphrase, err)
	}
	return key, nil
}

// checkPassphrase proves, on open, that the passphrase decrypts the region's root key, so a wrong
// ESEAL_KEY_PASSPHRASE fails at start-up with a clear message rather than at the first signature.
func (s *Store) checkPassphrase() error {
	r, err := s.Region()
	if errors.Is(err, ErrNotInitialized) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.privateKey(r.RootKeyID)
	return err
}

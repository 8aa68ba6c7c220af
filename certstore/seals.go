package certstore

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

// SealRequest describes a new seal.
type SealRequest struct {
	Name string
	// Picture is the seal image; nil means a generated one (seal.DrawPicture), its Chinese text
	// in Font, or in the system's CJK font when Font is nil.
	Picture *seal.Picture
	Font    *seal.Font
	// ValidUntil is the seal's last valid moment; zero means DefaultSealValidity from now.
	ValidUntil time.Time
}

// SealRecord is a stored seal and its signer.
type SealRecord struct {
	ESID         string    `json:"esID"`
	Name         string    `json:"name"`
	Type         int       `json:"type"`
	ESL          []byte    `json:"esl"`        // DER SESeal (GB/T 38540 v4)
	SignerCert   []byte    `json:"signerCert"` // DER
	SignerKeyID  string    `json:"signerKeyID"`
	SignerSerial string    `json:"signerSerial"`
	ValidStart   time.Time `json:"validStart"`
	ValidEnd     time.Time `json:"validEnd"`
	Created      time.Time `json:"created"`
	// PictureWarnings say what a generated picture could not draw (no CJK font, missing
	// characters); not stored.
	PictureWarnings []string `json:"-"`
}

// NewSeal makes an SM2 key for the seal, a signer certificate issued by the region root, and a
// GB/T 38540 v4 seal signed by the region's seal-making key, and stores them together.
func (s *Store) NewSeal(req SealRequest) (*SealRecord, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return nil, fmt.Errorf("certstore: %w: the seal needs a name", ErrInvalidArgument)
	}
	region, err := s.Region()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	validEnd := req.ValidUntil
	if validEnd.IsZero() {
		validEnd = now.Add(DefaultSealValidity)
	}
	if !validEnd.After(now) {
		return nil, fmt.Errorf("certstore: %w: the seal's end of validity %s is not in the future", ErrInvalidArgument, validEnd.Format(time.RFC3339))
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		return nil, err
	}
	maker, err := smcrypto.ParseCertificate(region.MakerCert)
	if err != nil {
		return nil, err
	}
	if validEnd.After(root.NotAfter) {
		return nil, fmt.Errorf("certstore: %w: the seal cannot outlive the region root (valid until %s)", ErrInvalidArgument, root.NotAfter.Format(time.DateOnly))
	}
	rootKey, err := s.privateKey(region.RootKeyID)
	if err != nil {
		return nil, err
	}
	makerKey, err := s.privateKey(region.MakerKeyID)
	if err != nil {
		return nil, err
	}
	seq, err := s.peekSealSeq()
	if err != nil {
		return nil, err
	}
	esID, err := seal.NewESID(region.Code, uint32(seq))
	if err != nil {
		return nil, err
	}
	var pic seal.Picture
	var warnings []string
	if req.Picture != nil {
		if err := seal.ValidatePicture(*req.Picture); err != nil {
			return nil, fmt.Errorf("certstore: %w: seal image: %v", ErrInvalidArgument, err)
		}
		pic = *req.Picture
	} else {
		f := req.Font
		if f == nil {
			f, _ = seal.SystemCJKFont() // none: the picture says what it could not draw
		}
		agency, kind := seal.SplitSealName(name)
		if pic, warnings, err = seal.DrawPicture(seal.PictureOptions{Agency: agency, Kind: kind, Code: esID, SizeMM: 40, Font: f}); err != nil {
			return nil, err
		}
	}
	signerKey, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	signer, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject: pkix.Name{
			Country: []string{"CN"}, Organization: []string{region.Name},
			CommonName: name, SerialNumber: esID,
		},
		NotBefore: now.Add(-time.Minute),
		NotAfter:  validEnd,
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, signerKey.Public(), root, rootKey)
	if err != nil {
		return nil, fmt.Errorf("certstore: create seal signer certificate: %w", err)
	}
	sl, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: esID, Type: seal.DefaultSealType, Name: name, VendorID: seal.DefaultVendorID,
		SignerCerts: [][]byte{signer.Raw},
		CreateDate:  now, ValidStart: now, ValidEnd: validEnd,
		Picture: pic,
	}, maker.Raw, makerKey)
	if err != nil {
		return nil, fmt.Errorf("certstore: build seal: %w", err)
	}
	keyPEM, err := smcrypto.MarshalPKCS8PrivateKey(signerKey, s.passphrase)
	if err != nil {
		return nil, err
	}
	rec := &SealRecord{
		ESID: esID, Name: name, Type: sl.Type, ESL: sl.Raw, SignerCert: signer.Raw,
		SignerKeyID: fmt.Sprintf("%x", signer.SubjectKeyId), SignerSerial: smcrypto.SerialHex(signer.SerialNumber),
		ValidStart: now, ValidEnd: validEnd, Created: now, PictureWarnings: warnings,
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if cur := readSeq(meta.Get(keyNextSealSeq)); cur != seq {
			return fmt.Errorf("certstore: another seal was made at the same time; try again")
		}
		if err := meta.Put(keyNextSealSeq, uint64Key(seq+1)); err != nil {
			return err
		}
		if tx.Bucket(bucketSeals).Get([]byte(esID)) != nil {
			return fmt.Errorf("certstore: seal %s exists already", esID)
		}
		if err := putJSON(tx, bucketSeals, []byte(esID), rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketKeys).Put([]byte(rec.SignerKeyID), keyPEM); err != nil {
			return err
		}
		if err := putCert(tx, signer, root, RoleSealSigner, esID, now); err != nil {
			return err
		}
		return appendAudit(tx, now, s.actor, "seal.new", esID, fmt.Sprintf("seal %q; signer certificate serial %s valid until %s",
			name, rec.SignerSerial, validEnd.Format(time.RFC3339)))
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// peekSealSeq returns the next seal sequence number (starting at 1).
func (s *Store) peekSealSeq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = readSeq(tx.Bucket(bucketMeta).Get(keyNextSealSeq))
		return nil
	})
	return seq, err
}

func readSeq(v []byte) uint64 {
	if len(v) != 8 {
		return 1
	}
	return binary.BigEndian.Uint64(v)
}

// Seal returns the stored seal with the given esID.
func (s *Store) Seal(esID string) (*SealRecord, error) {
	var rec SealRecord
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx, bucketSeals, []byte(esID), &rec) })
	if err != nil {
		return nil, fmt.Errorf("certstore: seal %q: %w", esID, err)
	}
	return &rec, nil
}

// Seals lists the stored seals by esID.
func (s *Store) Seals() ([]SealRecord, error) {
	var out []SealRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeals).ForEach(func(k, v []byte) error {
			var rec SealRecord
			if err := decodeJSON(bucketSeals, k, v, &rec); err != nil {
				return err
			}
			out = append(out, rec)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ESID < out[j].ESID })
	return out, err
}

// SealSigner returns what the sign library needs to seal with esID: the seal's private key, the
// parsed seal, and the signer chain (signer certificate first, region root last). A seal whose
// signer certificate was revoked cannot sign: the error is then ErrSealRevoked, with when and
// why.
func (s *Store) SealSigner(esID string) (crypto.Signer, *seal.Seal, []*smcrypto.Certificate, error) {
	rec, err := s.Seal(esID)
	if err != nil {
		return nil, nil, nil, err
	}
	region, err := s.Region()
	if err != nil {
		return nil, nil, nil, err
	}
	sl, err := seal.ParseSeal(rec.ESL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certstore: stored seal %s: %w", esID, err)
	}
	signerCert, err := smcrypto.ParseCertificate(rec.SignerCert)
	if err != nil {
		return nil, nil, nil, err
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := s.CertificateStatus(signerCert, root)
	if err != nil {
		return nil, nil, nil, err
	}
	if st.Revoked {
		return nil, nil, nil, fmt.Errorf("certstore: seal %s cannot sign: its signer certificate was revoked on %s (%s) (%w)", esID,
			st.RevokedAt.UTC().Format(time.RFC3339), st.Reason, ErrSealRevoked)
	}
	var rev *SealRevocation
	if err := s.db.View(func(tx *bolt.Tx) (err error) { rev, err = sealRevocation(tx, esID); return err }); err != nil {
		return nil, nil, nil, err
	}
	if rev != nil {
		return nil, nil, nil, fmt.Errorf("certstore: seal %s cannot sign: it was revoked on %s (%s) (%w)", esID,
			rev.RevokedAt.UTC().Format(time.RFC3339), rev.Reason, ErrSealRevoked)
	}
	key, err := s.privateKey(rec.SignerKeyID)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, sl, []*smcrypto.Certificate{signerCert, root}, nil
}

package certstore

import (
	"crypto"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// Licence states: in force, and the four ends the regulation names (Art. 29): changed (变更,
// with its replacement), withdrawn (撤回), revoked (撤销), cancelled (注销).
const (
	LicenceInForce   = "in_force"
	LicenceChanged   = "changed"
	LicenceWithdrawn = "withdrawn"
	LicenceRevoked   = "revoked"
	LicenceCancelled = "cancelled"
)

// IssuanceRecord is one signature eseal made.
type IssuanceRecord struct {
	// ID is the hex digest the signature binds: the SM3 of the signed bytes (PDF), of
	// Signature.xml (OFD), or of the file (detached). Verifiers find the record by it.
	ID           string    `json:"id"`
	Format       string    `json:"format"` // PDF, OFD, detached
	Document     string    `json:"document,omitempty"`
	ESID         string    `json:"esID"`
	SignerSerial string    `json:"signerSerial"`
	SignedAt     time.Time `json:"signedAt"`
	LicenceID    string    `json:"licenceID,omitempty"`
	Holder       string    `json:"holder,omitempty"`
	LicenceType  string    `json:"licenceType,omitempty"`
	// Code is the signature's verification code (NewVerificationCode), when it was given one:
	// the link PUBLIC_URL/v/CODE, printed as a QR code on the document, shows its verification.
	Code string `json:"code,omitempty"`
}

// bucketIssuanceCodes indexes issuances by verification code: code → digest (hex).
var bucketIssuanceCodes = []byte("issuance_codes")

func init() { allBuckets = append(allBuckets, bucketIssuanceCodes) }

// NewVerificationCode makes a signature's verification code before it is signed (the code goes
// into the document's QR code): 16 characters of RFC 4648 base32 (A-Z, 2-7), 80 random bits, so
// that codes cannot be guessed or enumerated.
func NewVerificationCode() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base32.StdEncoding.EncodeToString(b[:]), nil
}

// validCode tells a verification code's form.
func validCode(code string) bool {
	if len(code) != 16 {
		return false
	}
	for _, c := range code {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// IssuanceByCode returns the record of the signature with this verification code; ErrNotFound
// when none has it (a malformed code is ErrNotFound too: it names nothing).
func (s *Store) IssuanceByCode(code string) (*IssuanceRecord, error) {
	if !validCode(code) {
		return nil, fmt.Errorf("certstore: no signature has the verification code %q: %w", code, ErrNotFound)
	}
	var rec IssuanceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIssuanceCodes)
		if b == nil || b.Get([]byte(code)) == nil {
			return fmt.Errorf("certstore: no signature has the verification code %s: %w", code, ErrNotFound)
		}
		return getJSON(tx, bucketIssuances, b.Get([]byte(code)), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// LicenceEvent is a step of a licence's history.
type LicenceEvent struct {
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Basis       string    `json:"basis,omitempty"` // the legal basis
	By          string    `json:"by,omitempty"`
	At          time.Time `json:"at"`
	Replacement string    `json:"replacement,omitempty"`
}

// LicenceRecord is a licence and its history.
type LicenceRecord struct {
	ID          string         `json:"id"`
	Holder      string         `json:"holder,omitempty"`
	Type        string         `json:"type,omitempty"`
	State       string         `json:"state"`
	Replacement string         `json:"replacement,omitempty"`
	Issuances   []string       `json:"issuances"`
	History     []LicenceEvent `json:"history"`
}

var (
	bucketIssuances = []byte("issuances")
	bucketLicences  = []byte("licences")
)

// e-licence identifiers of GB/T 36904: 1.2.156.3005.2.<type code: 18-character credit code and
// 3 digits>.<issuer: 18-character credit code>.<serial>.<3-digit version>.<check character>.
var licenceIDForm = regexp.MustCompile(`^1\.2\.156\.3005\.2\.[0-9A-Z]{18}[0-9]{3}\.[0-9A-Z]{18}\.[0-9A-Za-z]+\.[0-9]{3}\.[0-9A-Z]$`)

// ValidateLicenceID checks an e-licence identifier: the GB/T 36904 form when it starts as one
// (1.2.156.3005.2.), otherwise a local identifier of printable characters without spaces. The
// check character is not verified (implementations disagree on its details).
func ValidateLicenceID(id string) error {
	switch {
	case strings.HasPrefix(id, "1.2.156.3005.2."):
		if !licenceIDForm.MatchString(id) {
			return fmt.Errorf("certstore: %w: %q is not in the GB/T 36904 form 1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check character>", ErrInvalidArgument, id)
		}
	case id == "" || len(id) > 200 || strings.ContainsAny(id, " \t\r\n"):
		return fmt.Errorf("certstore: %w: licence identifier %q: 1 to 200 characters, no spaces", ErrInvalidArgument, id)
	}
	return nil
}

// RecordIssuance records a signature eseal made and, when it names a licence, the licence (in
// force from then, or one more signature of it).
func (s *Store) RecordIssuance(rec IssuanceRecord) error {
	return s.recordIssuances([]IssuanceRecord{rec}, false)
}

// ErrIssuanceExists is (wrapped in) RecordIssuances' error for a signature whose digest is
// already recorded.
var ErrIssuanceExists = errors.New("an issuance with this digest is already recorded")

// RecordIssuances records several signatures in one transaction, as RecordIssuance does each:
// all of them, or none when any is refused. A batch of signatures shares one commit (one disk
// sync) instead of paying one each.
//
// Unlike RecordIssuance, it refuses a digest already recorded, or twice in recs
// (ErrIssuanceExists): two identical PDFs sealed within the same second bind the same digest,
// and the second record would replace the first. The caller signs such a document again.
func (s *Store) RecordIssuances(recs []IssuanceRecord) error {
	return s.recordIssuances(recs, true)
}

func (s *Store) recordIssuances(recs []IssuanceRecord, refuseExisting bool) error {
	for i := range recs {
		if _, err := hex.DecodeString(recs[i].ID); err != nil || len(recs[i].ID) != 64 {
			return fmt.Errorf("certstore: %w: issuance ID %q is not a hex SM3 digest", ErrInvalidArgument, recs[i].ID)
		}
		if recs[i].LicenceID != "" {
			if err := ValidateLicenceID(recs[i].LicenceID); err != nil {
				return err
			}
		}
		if recs[i].Code != "" && !validCode(recs[i].Code) {
			return fmt.Errorf("certstore: %w: verification code %q is not 16 base32 characters", ErrInvalidArgument, recs[i].Code)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	_, eventKey, err := s.crlSigner()
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Second)
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, rec := range recs {
			if b := tx.Bucket(bucketIssuances); b != nil && b.Get([]byte(rec.ID)) != nil {
				if refuseExisting {
					return fmt.Errorf("certstore: %w: %s (%s) (%w)", ErrInvalidArgument, ErrIssuanceExists, rec.ID, ErrIssuanceExists)
				}
				// The same digest signed again (a detached signature of the same file, an
				// identical PDF within the same second): the record names the latest signature,
				// the audit and event logs keep every one; but a document issued as one licence
				// cannot be issued as another.
				var prev IssuanceRecord
				if err := getJSON(tx, bucketIssuances, []byte(rec.ID), &prev); err != nil {
					return err
				}
				if prev.LicenceID != "" && prev.LicenceID != rec.LicenceID {
					return fmt.Errorf("certstore: %w: this document was already issued as licence %s; it cannot be issued as %q (%w)", ErrInvalidArgument, prev.LicenceID, rec.LicenceID, ErrIssuanceExists)
				}
			}
			rec.SignedAt = rec.SignedAt.UTC()
			if err := recordIssuance(tx, s.actor, eventKey, now, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.eventsAppended()
	return nil
}

func recordIssuance(tx *bolt.Tx, actor string, eventKey crypto.Signer, now time.Time, rec IssuanceRecord) error {
	if err := putJSON(tx, bucketIssuances, []byte(rec.ID), rec); err != nil {
		return err
	}
	if rec.Code != "" {
		codes := tx.Bucket(bucketIssuanceCodes)
		if prev := codes.Get([]byte(rec.Code)); prev != nil && string(prev) != rec.ID {
			return fmt.Errorf("certstore: %w: verification code %s is taken", ErrInvalidArgument, rec.Code)
		}
		if err := codes.Put([]byte(rec.Code), []byte(rec.ID)); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("%s signature %s by seal %s", rec.Format, rec.ID[:16], rec.ESID)
	if rec.LicenceID != "" {
		var lic LicenceRecord
		switch err := getJSON(tx, bucketLicences, []byte(rec.LicenceID), &lic); {
		case errors.Is(err, ErrNotFound):
			lic = LicenceRecord{ID: rec.LicenceID, Holder: rec.Holder, Type: rec.LicenceType, State: LicenceInForce,
				History: []LicenceEvent{{State: LicenceInForce, Reason: "issued", At: rec.SignedAt}}}
		case err != nil:
			return err
		case lic.State != LicenceInForce:
			return fmt.Errorf("certstore: %w: licence %s is %s; it cannot be issued again", ErrInvalidArgument, rec.LicenceID, lic.State)
		}
		lic.Issuances = append(lic.Issuances, rec.ID)
		if err := putJSON(tx, bucketLicences, []byte(lic.ID), lic); err != nil {
			return err
		}
		detail += ", licence " + rec.LicenceID
	}
	if err := appendAudit(tx, now, actor, "issuance", rec.ID, detail); err != nil {
		return err
	}
	return appendEvent(tx, eventKey, now, eventlog.TypeIssuance, rec.ID, rec)
}

// Issuance returns the record of the signature that binds the hex digest id; ErrNotFound when
// this store recorded none.
func (s *Store) Issuance(id string) (*IssuanceRecord, error) {
	var rec IssuanceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketIssuances) == nil {
			return ErrNotFound
		}
		return getJSON(tx, bucketIssuances, []byte(id), &rec)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("certstore: no issuance %s was recorded here: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// LicenceAction is a change of a licence's state.
type LicenceAction struct {
	ID          string
	State       string // changed, withdrawn, revoked or cancelled
	Reason      string
	Basis       string // the legal basis, e.g. 《行政许可法》第六十九条
	By          string
	Replacement string // for changed: the licence that replaces it
}

// ChangeLicenceState moves a licence in force to one of its ends, with a reason, a legal basis
// and who did it; an end is final.
func (s *Store) ChangeLicenceState(a LicenceAction) (*LicenceRecord, error) {
	switch a.State {
	case LicenceChanged, LicenceWithdrawn, LicenceRevoked, LicenceCancelled:
	default:
		return nil, fmt.Errorf("certstore: %w: state %q (changed, withdrawn, revoked or cancelled)", ErrInvalidArgument, a.State)
	}
	if strings.TrimSpace(a.Reason) == "" || strings.TrimSpace(a.Basis) == "" {
		return nil, fmt.Errorf("certstore: %w: a reason and a legal basis are required", ErrInvalidArgument)
	}
	if a.State == LicenceChanged {
		if err := ValidateLicenceID(a.Replacement); err != nil || a.Replacement == a.ID {
			return nil, fmt.Errorf("certstore: %w: a changed licence names its replacement (another valid identifier)", ErrInvalidArgument)
		}
	}
	_, eventKey, err := s.crlSigner()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	var lic LicenceRecord
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx, bucketLicences, []byte(a.ID), &lic); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("certstore: no licence %s was issued here: %w", a.ID, ErrNotFound)
			}
			return err
		}
		if lic.State != LicenceInForce {
			return fmt.Errorf("certstore: %w: licence %s is already %s", ErrInvalidArgument, a.ID, lic.State)
		}
		lic.State, lic.Replacement = a.State, a.Replacement
		lic.History = append(lic.History, LicenceEvent{State: a.State, Reason: a.Reason, Basis: a.Basis, By: a.By, At: now, Replacement: a.Replacement})
		if err := putJSON(tx, bucketLicences, []byte(lic.ID), lic); err != nil {
			return err
		}
		if err := appendAudit(tx, now, s.actor, "licence."+a.State, a.ID, fmt.Sprintf("%s: %s (%s) by %s", a.State, a.Reason, a.Basis, a.By)); err != nil {
			return err
		}
		return appendEvent(tx, eventKey, now, eventlog.TypeLicencePrefix+a.State, a.ID, lic)
	})
	if err != nil {
		return nil, err
	}
	s.eventsAppended()
	return &lic, nil
}

// Licence returns a licence and its history.
func (s *Store) Licence(id string) (*LicenceRecord, error) {
	var lic LicenceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketLicences) == nil {
			return fmt.Errorf("certstore: no licence %s: %w", id, ErrNotFound)
		}
		if err := getJSON(tx, bucketLicences, []byte(id), &lic); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("certstore: no licence %s was issued here: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lic, nil
}

// LicenceStatus implements verify.LicenceChecker: the licence of the signature that binds
// digest, when this store recorded its issuance with one.
func (s *Store) LicenceStatus(digest []byte) (*verify.LicenceStatus, error) {
	var out *verify.LicenceStatus
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketIssuances) == nil {
			return nil
		}
		var rec IssuanceRecord
		switch err := getJSON(tx, bucketIssuances, []byte(hex.EncodeToString(digest)), &rec); {
		case errors.Is(err, ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		if rec.LicenceID == "" {
			return nil
		}
		var lic LicenceRecord
		if err := getJSON(tx, bucketLicences, []byte(rec.LicenceID), &lic); err != nil {
			return err
		}
		out = &verify.LicenceStatus{ID: lic.ID, State: lic.State, Replacement: lic.Replacement, Source: RevocationSource}
		if last := lic.History[len(lic.History)-1]; lic.State != LicenceInForce {
			out.Reason, out.Basis, out.At = last.Reason, last.Basis, last.At
		}
		return nil
	})
	return out, err
}

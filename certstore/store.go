package certstore

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this code reads and writes (see the package doc).
const SchemaVersion = "1"

// DBFileName and PassphraseFileName are the files a data directory holds.
const (
	DBFileName         = "eseal.db"
	PassphraseFileName = "key-passphrase"
)

var (
	bucketMeta        = []byte("meta")
	bucketKeys        = []byte("keys")
	bucketCerts       = []byte("certs")
	bucketSeals       = []byte("seals")
	bucketAnchors     = []byte("anchors")
	bucketRevocations = []byte("revocations")
	bucketBlockedKeys = []byte("blocked_keys")
	bucketAudit       = []byte("audit")
	bucketSealRevs    = []byte("seal_revocations")
	bucketCRLs        = []byte("crls")
	allBuckets        = [][]byte{bucketMeta, bucketKeys, bucketCerts, bucketSeals, bucketAnchors, bucketRevocations, bucketBlockedKeys, bucketAudit, bucketSealRevs, bucketCRLs, bucketIssuances, bucketLicences, bucketEvents, bucketWebhooks, bucketOutbox, bucketOCSP, bucketTokens}

	keySchemaVersion = []byte("schema_version")
	keyRegion        = []byte("region")
	keyNextSealSeq   = []byte("next_seal_seq")
)

// Errors a caller can test for with errors.Is.
var (
	ErrLocked             = errors.New("the data directory is in use by another eseal process")
	ErrNotInitialized     = errors.New("no region is set up in this data directory (run `eseal init`)")
	ErrAlreadyInitialized = errors.New("a region is already set up in this data directory")
	ErrNotFound           = errors.New("not found")
	ErrWrongPassphrase    = errors.New("the key passphrase does not decrypt the stored keys")
	ErrNoPassphrase       = errors.New("no key passphrase: set ESEAL_KEY_PASSPHRASE")
	ErrSchema             = errors.New("unsupported store schema")
	ErrInvalidArgument    = errors.New("invalid argument")
)

// Options configures Open.
type Options struct {
	// Passphrase encrypts private keys (from ESEAL_KEY_PASSPHRASE). Empty: use or create the
	// passphrase file in the data directory.
	Passphrase []byte
	// LockTimeout bounds the wait for another process's file lock; zero means 2 seconds.
	LockTimeout time.Duration
	// ReadOnly opens an existing file with a shared lock and no writes, for verification only:
	// private keys cannot be used.
	ReadOnly bool
	// Warn receives warnings meant for the operator (e.g. a generated passphrase file).
	Warn func(msg string)
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
	// Actor is who the audit log names for this process's changes (e.g. "cli:alice"); As
	// gives views that name someone else.
	Actor string
}

// Store is an open data directory. The views As returns share it.
type Store struct {
	*state
	// actor is who the audit records of this view's changes name (As); "" names no one.
	actor string
	view  bool
}

// state is what an open store and its views share.
type state struct {
	db         *bolt.DB
	dir        string
	passphrase []byte
	now        func() time.Time
	readOnly   bool

	// anchors caches the parsed trust anchors: every verification asks for them. Only this
	// process can write the file while it is open, so invalidating on our own writes suffices.
	anchorsMu sync.Mutex
	anchors   []*smcrypto.Certificate

	// tsaState is the region's timestamping authority, its key decrypted once.
	tsaMu    sync.Mutex
	tsaState *tsaSigner

	// sealESLs caches each seal's bytes by esID for SealStatus, which verification asks on every
	// signature: a seal record is written once and never changed, so the cache cannot go stale,
	// and decoding the whole record (its key included) each time cost a fifth of a licence
	// verification.
	sealESLs sync.Map // esID → []byte

	// root is the region root and its key, decrypted once: it signs CRLs, statuses and events.
	rootMu   sync.Mutex
	rootCert *smcrypto.Certificate
	rootKey  crypto.Signer

	// wake is signalled after a transaction that appended events (EventsAppended).
	wake chan struct{}
}

// As returns a view of the store whose changes the audit log attributes to actor (an API
// token's name, "cli:user", …). The view shares the open file; closing it does nothing.
func (s *Store) As(actor string) *Store {
	return &Store{state: s.state, actor: actor, view: true}
}

// Actor is who this view's changes are attributed to.
func (s *Store) Actor() string { return s.actor }

// Open opens (creating when needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("certstore: %w: empty data directory", ErrInvalidArgument)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	path := filepath.Join(dir, DBFileName)
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	if fresh && opts.ReadOnly {
		return nil, fmt.Errorf("certstore: %s: %w", path, ErrNotInitialized)
	}
	if fresh {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("certstore: create data directory: %w", err)
		}
	}
	// A read-only store is for verification: it never touches private keys, so it needs no passphrase.
	var passphrase []byte
	if !opts.ReadOnly {
		var err error
		if passphrase, err = resolvePassphrase(dir, opts.Passphrase, fresh, opts.Warn); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("certstore: %s: %w (waited %s for its lock)", path, ErrLocked, opts.LockTimeout)
		}
		return nil, fmt.Errorf("certstore: open %s: %w", path, err)
	}
	s := &Store{state: &state{db: db, dir: dir, passphrase: passphrase, now: opts.Now, readOnly: opts.ReadOnly, wake: make(chan struct{}, 1)}, actor: opts.Actor}
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := s.checkPassphrase(); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close releases the file and its lock; on a view (As) it does nothing.
func (s *Store) Close() error {
	if s.view {
		return nil
	}
	return s.db.Close()
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// resolvePassphrase picks the explicit passphrase, else the passphrase file, else (first start
// only) generates the file.
func resolvePassphrase(dir string, explicit []byte, fresh bool, warn func(string)) ([]byte, error) {
	if len(explicit) > 0 {
		return explicit, nil
	}
	path := filepath.Join(dir, PassphraseFileName)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		p := bytes.TrimSpace(data)
		if len(p) == 0 {
			return nil, fmt.Errorf("certstore: %s is empty: %w", path, ErrNoPassphrase)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			warn(fmt.Sprintf("%s is readable by other users (mode %v); it should be 0600", path, fi.Mode().Perm()))
		}
		return p, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("certstore: read %s: %w", path, err)
	case !fresh:
		return nil, fmt.Errorf("certstore: %w (the store in %s exists and %s is missing)", ErrNoPassphrase, dir, path)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	p := []byte(base64.RawURLEncoding.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("certstore: create %s: %w", path, err)
	}
	if _, err := f.Write(append(p, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("certstore: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("certstore: write %s: %w", path, err)
	}
	warn(fmt.Sprintf("ESEAL_KEY_PASSPHRASE is not set: generated a key passphrase into %s (mode 0600). Keep it safe and back it up: the private keys in this store cannot be used without it.", path))
	return p, nil
}

func (s *Store) checkSchema() error {
	if s.readOnly {
		return s.db.View(func(tx *bolt.Tx) error {
			m := tx.Bucket(bucketMeta)
			if m == nil {
				return fmt.Errorf("certstore: %w", ErrNotInitialized)
			}
			return checkVersion(m.Get(keySchemaVersion))
		})
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		v := m.Get(keySchemaVersion)
		if v == nil {
			return m.Put(keySchemaVersion, []byte(SchemaVersion))
		}
		return checkVersion(v)
	})
}

func checkVersion(v []byte) error {
	if string(v) != SchemaVersion {
		return fmt.Errorf("certstore: %w: file has schema version %q, this eseal reads %q", ErrSchema, v, SchemaVersion)
	}
	return nil
}

// getJSON reads key from bucket into v; ErrNotFound when absent.
func getJSON(tx *bolt.Tx, bucket, key []byte, v any) error {
	data := tx.Bucket(bucket).Get(key)
	if data == nil {
		return ErrNotFound
	}
	return decodeJSON(bucket, key, data, v)
}

// decodeJSON decodes data, the record stored under key in bucket, into v (for a walk over a
// bucket, which already has each record's bytes).
func decodeJSON(bucket, key, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("certstore: corrupt record %s/%s: %w", bucket, key, err)
	}
	return nil
}

func putJSON(tx *bolt.Tx, bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put(key, data)
}

func uint64Key(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// certKey is the key of certs and revocations: issuer key ID + "/" + canonical serial.
func certKey(issuerKeyID []byte, serialHex string) []byte {
	return []byte(fmt.Sprintf("%x/%s", issuerKeyID, serialHex))
}

// CanonicalSerial turns a serial number as a user may type it (hex, upper or lower case, with or
// without 0x, colons or spaces, leading zeros) into the project's canonical lower-case hex.
func CanonicalSerial(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "0x")
	t = strings.NewReplacer(":", "", " ", "").Replace(t)
	if t == "" {
		return "", fmt.Errorf("certstore: %w: empty serial number", ErrInvalidArgument)
	}
	for _, c := range t {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("certstore: %w: serial number %q is not hexadecimal", ErrInvalidArgument, s)
		}
	}
	t = strings.TrimLeft(t, "0")
	if t == "" {
		t = "0"
	}
	return t, nil
}

// Backup writes a consistent copy of the whole store file to w while it stays in use (a bbolt
// read transaction: writers are not blocked), first telling size (when not nil) how many bytes
// will follow. The copy opens as a data directory's eseal.db; its keys still need the store's
// passphrase. The backup is recorded in the audit log first, so that the copy holds its own
// record.
func (s *Store) Backup(w io.Writer, size func(int64)) (int64, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return appendAudit(tx, s.now().UTC(), s.actor, "store.backup", "", "an online copy of the store was taken")
	})
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.View(func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

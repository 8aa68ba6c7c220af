package certstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

var testNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.Passphrase == nil {
		opts.Passphrase = []byte("test passphrase")
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func initTest(t testing.TB) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), Options{})
	if _, err := s.InitRegion("330100", "杭州市行政审批局"); err != nil {
		t.Fatalf("InitRegion: %v", err)
	}
	return s
}

func TestGeneratedPassphraseFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var warnings []string
	s, err := Open(dir, Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InitRegion("330100", "Test"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(filepath.Join(dir, PassphraseFileName))
	if err != nil {
		t.Fatalf("passphrase file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file mode %v, want 0600", fi.Mode().Perm())
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], PassphraseFileName) {
		t.Errorf("warnings = %q, want one naming the passphrase file", warnings)
	}
	// The second start reads the file, without a new warning, and can use the keys.
	warnings = nil
	s, err = Open(dir, Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if len(warnings) != 0 {
		t.Errorf("unexpected warnings on reopen: %q", warnings)
	}
	if _, err := s.NewSeal(SealRequest{Name: "测试专用章"}); err != nil {
		t.Fatalf("NewSeal after reopen: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("wrong passphrase", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir, Options{Passphrase: []byte("right")})
		if _, err := s.InitRegion("330100", "Test"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err := Open(dir, Options{Passphrase: []byte("wrong")})
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("err = %v, want ErrWrongPassphrase", err)
		}
	})
	t.Run("passphrase file missing for an existing store", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir, Options{Passphrase: []byte("from env")})
		s.Close()
		_, err := Open(dir, Options{})
		if !errors.Is(err, ErrNoPassphrase) {
			t.Fatalf("err = %v, want ErrNoPassphrase", err)
		}
	})
	t.Run("empty passphrase file", func(t *testing.T) {
		dir := t.TempDir()
		openTest(t, dir, Options{Passphrase: []byte("x")}).Close()
		os.WriteFile(filepath.Join(dir, PassphraseFileName), []byte("\n"), 0o600)
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrNoPassphrase) {
			t.Fatalf("err = %v, want ErrNoPassphrase", err)
		}
	})
	t.Run("locked by another holder", func(t *testing.T) {
		dir := t.TempDir()
		openTest(t, dir, Options{})
		start := time.Now()
		_, err := Open(dir, Options{Passphrase: []byte("test passphrase"), LockTimeout: 200 * time.Millisecond})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("err = %v, want ErrLocked", err)
		}
		if !strings.Contains(err.Error(), DBFileName) {
			t.Errorf("error %q does not name the file", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("Open waited %v despite the 200ms lock timeout", time.Since(start))
		}
	})
	t.Run("read-only without a store", func(t *testing.T) {
		if _, err := Open(t.TempDir(), Options{ReadOnly: true}); !errors.Is(err, ErrNotInitialized) {
			t.Fatalf("err = %v, want ErrNotInitialized", err)
		}
	})
	t.Run("newer schema", func(t *testing.T) {
		dir := t.TempDir()
		openTest(t, dir, Options{}).Close()
		db, err := bolt.Open(filepath.Join(dir, DBFileName), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("99")) })
		db.Close()
		if _, err := Open(dir, Options{Passphrase: []byte("test passphrase")}); !errors.Is(err, ErrSchema) {
			t.Fatalf("err = %v, want ErrSchema", err)
		}
	})
	t.Run("empty dir name", func(t *testing.T) {
		if _, err := Open("", Options{}); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v, want ErrInvalidArgument", err)
		}
	})
}

func TestReadOnlyNeedsNoPassphrase(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{Passphrase: []byte("secret")})
	if _, err := s.InitRegion("330100", "Test"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer ro.Close()
	anchors, err := ro.TrustAnchors()
	if err != nil || len(anchors) != 1 {
		t.Fatalf("TrustAnchors = %d, %v; want the region root", len(anchors), err)
	}
	if _, err := ro.NewSeal(SealRequest{Name: "x"}); err == nil {
		t.Fatal("NewSeal on a read-only store succeeded")
	}
}

func TestInitRegion(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	for _, tc := range []struct{ code, name string }{
		{"33010", "short code"}, {"3301000", "long code"}, {"33O100", "letter O"}, {"330100", ""}, {"000000", "no province"},
	} {
		if _, err := s.InitRegion(tc.code, tc.name); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("InitRegion(%q, %q) = %v, want ErrInvalidArgument", tc.code, tc.name, err)
		}
	}
	if _, err := s.Region(); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Region before init = %v, want ErrNotInitialized", err)
	}
	r, err := s.InitRegion("330100", "杭州市行政审批局")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InitRegion("330100", "again"); !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("second InitRegion = %v, want ErrAlreadyInitialized", err)
	}
	root, err := smcrypto.ParseCertificate(r.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	if !root.IsCA || x509.KeyUsage(root.KeyUsage)&x509.KeyUsageCertSign == 0 || !smcrypto.IsSM2PublicKey(root.PublicKey) {
		t.Errorf("root: IsCA=%v KeyUsage=%v SM2=%v", root.IsCA, root.KeyUsage, smcrypto.IsSM2PublicKey(root.PublicKey))
	}
	if root.Subject.Organization[0] != "杭州市行政审批局" {
		t.Errorf("root subject %v does not name the region", root.Subject)
	}
	maker, err := smcrypto.ParseCertificate(r.MakerCert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smcrypto.BuildChain(maker, nil, []*smcrypto.Certificate{root}, testNow); err != nil {
		t.Errorf("seal-maker certificate does not chain to the root: %v", err)
	}
}

func TestNewSeal(t *testing.T) {
	s := initTest(t)
	validUntil := testNow.AddDate(2, 0, 0)
	rec, err := s.NewSeal(SealRequest{Name: "杭州市行政审批局行政审批专用章", ValidUntil: validUntil})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^330100\d{8}$`).MatchString(rec.ESID) {
		t.Errorf("esID %q is not the region code + 8 digits", rec.ESID)
	}
	rec2, err := s.NewSeal(SealRequest{Name: "第二枚章"})
	if err != nil {
		t.Fatal(err)
	}
	if rec2.ESID == rec.ESID || rec2.ESID < rec.ESID {
		t.Errorf("esIDs %s then %s: want increasing and distinct", rec.ESID, rec2.ESID)
	}
	if !rec2.ValidEnd.Equal(testNow.Add(DefaultSealValidity)) {
		t.Errorf("default validity end %v", rec2.ValidEnd)
	}

	key, sl, chain, err := s.SealSigner(rec.ESID)
	if err != nil {
		t.Fatal(err)
	}
	if sl.ESID != rec.ESID || sl.Name != rec.Name || sl.Version != 4 {
		t.Errorf("seal = %s %q v%d", sl.ESID, sl.Name, sl.Version)
	}
	if _, err := sl.VerifyMakerSignature(); err != nil {
		t.Errorf("maker signature: %v", err)
	}
	if ok, err := sl.AllowsSigner(chain[0].Raw); !ok || err != nil {
		t.Errorf("seal does not list its signer certificate: %v %v", ok, err)
	}
	if len(chain) != 2 {
		t.Fatalf("chain has %d certificates, want signer and root", len(chain))
	}
	if _, err := smcrypto.BuildChain(chain[0], nil, chain[1:], testNow); err != nil {
		t.Errorf("signer does not chain to the root: %v", err)
	}
	signer := chain[0]
	if signer.Subject.SerialNumber != rec.ESID || signer.Subject.CommonName != rec.Name {
		t.Errorf("signer subject %v should name the seal and esID", signer.Subject)
	}
	if x509.KeyUsage(signer.KeyUsage)&x509.KeyUsageDigitalSignature == 0 || x509.KeyUsage(signer.KeyUsage)&x509.KeyUsageContentCommitment == 0 {
		t.Errorf("signer key usage %v, want digitalSignature+nonRepudiation", signer.KeyUsage)
	}
	if !signer.NotAfter.Equal(validUntil) {
		t.Errorf("signer NotAfter %v, want %v", signer.NotAfter, validUntil)
	}
	msg := []byte("licence")
	sig, err := smcrypto.SignSM2(key, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smcrypto.VerifySM2(signer.PublicKey.(*ecdsa.PublicKey), nil, msg, sig); err != nil {
		t.Errorf("the stored key does not match the signer certificate: %v", err)
	}

	seals, err := s.Seals()
	if err != nil || len(seals) != 2 {
		t.Fatalf("Seals = %d, %v", len(seals), err)
	}
	if _, err := s.Seal("33010099999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown seal: %v, want ErrNotFound", err)
	}
}

func TestNewSealErrorsStoreNothing(t *testing.T) {
	s := initTest(t)
	before := snapshot(t, s)
	for name, req := range map[string]SealRequest{
		"empty name":        {Name: "  "},
		"end in the past":   {Name: "x", ValidUntil: testNow.Add(-time.Hour)},
		"outlives the root": {Name: "x", ValidUntil: testNow.AddDate(50, 0, 0)},
		"bad picture":       {Name: "x", Picture: &seal.Picture{Type: "PNG", Data: []byte("not a png"), WidthMM: 40, HeightMM: 40}},
	} {
		if _, err := s.NewSeal(req); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	if after := snapshot(t, s); !bytes.Equal(before, after) {
		t.Error("a failed NewSeal changed the store")
	}
	uninit := openTest(t, t.TempDir(), Options{})
	if _, err := uninit.NewSeal(SealRequest{Name: "x"}); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("NewSeal without a region: %v, want ErrNotInitialized", err)
	}
}

// snapshot serialises every bucket, to prove that a failed action wrote nothing.
func snapshot(t *testing.T, s *Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				buf.Write(name)
				buf.Write(k)
				buf.Write(v)
				return nil
			})
		})
	})
	return buf.Bytes()
}

// newTestSeal makes a seal and returns it with its signer certificate and the region root.
func newTestSeal(t testing.TB, s *Store) (*SealRecord, *smcrypto.Certificate, *smcrypto.Certificate) {
	t.Helper()
	rec, err := s.NewSeal(SealRequest{Name: "专用章"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, chain, err := s.SealSigner(rec.ESID)
	if err != nil {
		t.Fatal(err)
	}
	return rec, chain[0], chain[1]
}

func TestRevocation(t *testing.T) {
	s := initTest(t)
	rec, signer, root := newTestSeal(t, s)
	st, err := s.CertificateStatus(signer, root)
	if err != nil || !st.Known || st.Revoked {
		t.Fatalf("status before revocation = %+v, %v", st, err)
	}
	// The source is named by what it is: the store's path must not reach reports.
	if st.Source != RevocationSource || strings.Contains(st.Source, s.dir) {
		t.Errorf("source %q", st.Source)
	}

	// Serials as people type them all find the same certificate.
	upper := "0x" + strings.ToUpper(rec.SignerSerial)
	rev, err := s.RevokeCertificate(RevokeRequest{Serial: upper, Reason: verify.ReasonSuperseded})
	if err != nil {
		t.Fatal(err)
	}
	if rev.Serial != rec.SignerSerial || !rev.RevokedAt.Equal(testNow) {
		t.Errorf("revocation = %+v", rev)
	}
	st, err = s.CertificateStatus(signer, root)
	if err != nil || !st.Revoked || st.Reason != verify.ReasonSuperseded || !st.RevokedAt.Equal(testNow) {
		t.Fatalf("status after revocation = %+v, %v", st, err)
	}
	// A revoked seal hands out no key.
	if key, _, _, err := s.SealSigner(rec.ESID); !errors.Is(err, ErrSealRevoked) || key != nil || !strings.Contains(err.Error(), "superseded") {
		t.Errorf("SealSigner of a revoked seal = %v, %v; want ErrSealRevoked naming the reason", key, err)
	}
	// Idempotent.
	again, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonSuperseded})
	if err != nil || *again != *rev {
		t.Errorf("second identical revocation = %+v, %v", again, err)
	}
	// Another reason is refused, keyCompromise is allowed and keeps the date.
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonAffiliationChanged}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("reason change = %v, want ErrAlreadyRevoked", err)
	}
	s.now = func() time.Time { return testNow.Add(time.Hour) }
	kc, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonKeyCompromise, InvalidityDate: testNow.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !kc.RevokedAt.Equal(testNow) || kc.Reason != verify.ReasonKeyCompromise || !kc.InvalidityDate.Equal(testNow.Add(-24*time.Hour)) {
		t.Errorf("keyCompromise update = %+v", kc)
	}
	revs, err := s.Revocations()
	if err != nil || len(revs) != 1 {
		t.Errorf("Revocations = %d, %v", len(revs), err)
	}
	var blocked int
	s.db.View(func(tx *bolt.Tx) error { blocked = tx.Bucket(bucketBlockedKeys).Stats().KeyN; return nil })
	if blocked != 1 {
		t.Errorf("blocked keys = %d, want 1 after keyCompromise", blocked)
	}
}

func TestRevocationErrors(t *testing.T) {
	s := initTest(t)
	if _, err := s.NewSeal(SealRequest{Name: "专用章"}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)
	for _, tc := range []struct {
		req  RevokeRequest
		want error
	}{
		{RevokeRequest{Serial: "", Reason: verify.ReasonSuperseded}, ErrInvalidArgument},
		{RevokeRequest{Serial: "xyz", Reason: verify.ReasonSuperseded}, ErrInvalidArgument},
		{RevokeRequest{Serial: "abcdef", Reason: verify.ReasonSuperseded}, ErrNotFound},
		{RevokeRequest{Serial: "abcdef", Reason: verify.ReasonRemoveFromCRL}, ErrInvalidArgument},
		{RevokeRequest{Serial: "abcdef", Reason: verify.RevocationReason(7)}, ErrInvalidArgument},
		{RevokeRequest{Serial: "abcdef", Reason: verify.ReasonKeyCompromise, InvalidityDate: testNow.Add(time.Hour)}, ErrInvalidArgument},
	} {
		if _, err := s.RevokeCertificate(tc.req); !errors.Is(err, tc.want) {
			t.Errorf("RevokeCertificate(%+v) = %v, want %v", tc.req, err, tc.want)
		}
	}
	if !bytes.Equal(before, snapshot(t, s)) {
		t.Error("a failed revocation changed the store")
	}
}

func TestCanonicalSerial(t *testing.T) {
	for in, want := range map[string]string{"0A1B": "a1b", "0x00ff": "ff", "de:ad:be:ef": "deadbeef", "0": "0", " 12 ": "12"} {
		if got, err := CanonicalSerial(in); err != nil || got != want {
			t.Errorf("CanonicalSerial(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestForeignCertificateIsUnknown(t *testing.T) {
	s := initTest(t)
	key, _ := smcrypto.GenerateKey()
	other, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject: pkix.Name{CommonName: "other root"}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.AddDate(1, 0, 0),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign,
	}, key.Public(), nil, key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.CertificateStatus(other, other)
	if err != nil || st.Known {
		t.Errorf("status of a foreign certificate = %+v, %v; want Known=false", st, err)
	}

	// A certificate claiming one of ours (same issuer key ID, same serial) but with other bytes
	// is not ours either: the store does not vouch for it.
	rec, signer, root := newTestSeal(t, s)
	// Go writes a self-signed certificate's AuthorityKeyId from the template.
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: signer.SerialNumber, Subject: signer.Subject,
		NotBefore: signer.NotBefore, NotAfter: signer.NotAfter, AuthorityKeyId: root.SubjectKeyId}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	lookalike, err := smcrypto.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lookalike.AuthorityKeyId, signer.AuthorityKeyId) || smcrypto.SerialHex(lookalike.SerialNumber) != rec.SignerSerial {
		t.Fatal("the look-alike does not share the issuer key ID and serial")
	}
	if st, err := s.CertificateStatus(lookalike, root); err != nil || st.Known {
		t.Errorf("status of a look-alike of our certificate = %+v, %v; want Known=false", st, err)
	}
	if st, err := s.CertificateStatus(signer, root); err != nil || !st.Known {
		t.Errorf("status of our certificate = %+v, %v; want Known", st, err)
	}
}

func TestTrustAnchors(t *testing.T) {
	uninit := openTest(t, t.TempDir(), Options{})
	if anchors, err := uninit.TrustAnchors(); err != nil || len(anchors) != 0 {
		t.Fatalf("anchors before init = %d, %v", len(anchors), err)
	}
	if _, err := uninit.InitRegion("330100", "x"); err != nil {
		t.Fatal(err)
	}
	if anchors, err := uninit.TrustAnchors(); err != nil || len(anchors) != 1 {
		t.Fatalf("anchors after init = %d, %v: the cached empty list was not refreshed", len(anchors), err)
	}

	s := initTest(t)
	if anchors, err := s.TrustAnchors(); err != nil || len(anchors) != 1 {
		t.Fatalf("anchors = %d, %v", len(anchors), err)
	}
	key, _ := smcrypto.GenerateKey()
	tmpl := smcrypto.CertTemplate{Subject: pkix.Name{CommonName: "北京市 根CA"}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.AddDate(5, 0, 0), IsCA: true, KeyUsage: x509.KeyUsageCertSign}
	otherRoot, err := smcrypto.CreateCertificate(tmpl, key.Public(), nil, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTrustAnchor(otherRoot, "regional federation"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTrustAnchor(otherRoot, "twice"); err != nil {
		t.Fatalf("adding the same anchor twice: %v", err)
	}
	anchors, err := s.TrustAnchors()
	if err != nil || len(anchors) != 2 {
		t.Fatalf("TrustAnchors = %d, %v; want region root + 1", len(anchors), err)
	}
	tmpl.IsCA, tmpl.KeyUsage = false, x509.KeyUsageDigitalSignature
	leaf, err := smcrypto.CreateCertificate(tmpl, key.Public(), otherRoot, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTrustAnchor(leaf, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("non-CA anchor: %v, want ErrInvalidArgument", err)
	}
	if _, err := s.AddTrustAnchor(nil, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil anchor: %v, want ErrInvalidArgument", err)
	}
}

func TestAuditLog(t *testing.T) {
	s := initTest(t)
	rec, err := s.NewSeal(SealRequest{Name: "专用章"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonSuperseded}); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog()
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range log {
		actions = append(actions, r.Action)
	}
	if got := strings.Join(actions, ","); got != "region.init,seal.new,cert.revoke,crl.issue" {
		t.Errorf("audit actions = %s", got)
	}
	if err := s.VerifyAudit(); err != nil {
		t.Fatalf("VerifyAudit on an untouched log: %v", err)
	}
	// Changing a record is detected.
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		var r AuditRecord
		json.Unmarshal(b.Get(uint64Key(2)), &r)
		r.Detail = "nothing happened"
		data, _ := json.Marshal(r)
		return b.Put(uint64Key(2), data)
	})
	if err := s.VerifyAudit(); err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("VerifyAudit after tampering = %v, want an error naming record 2", err)
	}
	// Removing a record is detected.
	s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketAudit).Delete(uint64Key(2)) })
	if err := s.VerifyAudit(); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("VerifyAudit after deletion = %v, want missing record", err)
	}
}

// TestIssuedCertificatesWithOpenSSL checks every certificate a region issues, link by link, with
// OpenSSL 3 and the standard SM2 ID, as an outside oracle: `openssl verify` for each issued
// certificate against its issuer, and `openssl pkeyutl` for each signature over the TBS bytes,
// including the root's self-signature (which `openssl verify` does not check for a trust anchor,
// and whose -check_ss_sig does not pass the SM2 ID on).
func TestIssuedCertificatesWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is required (scripts/test installs it)")
	}
	s := initTest(t)
	rec, err := s.NewSeal(SealRequest{Name: "行政审批专用章"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.Region()
	dir := t.TempDir()
	openssl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil {
			t.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root, err := smcrypto.ParseCertificate(r.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	rootPEM := write("root.pem", smcrypto.EncodeCertificatePEM(root))
	rootPub := write("root-pub.pem", []byte(openssl("x509", "-in", rootPEM, "-pubkey", "-noout")))
	for name, der := range map[string][]byte{"root": r.RootCert, "maker": r.MakerCert, "signer": rec.SignerCert} {
		c, err := smcrypto.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		certPEM := write(name+".pem", smcrypto.EncodeCertificatePEM(c))
		if name != "root" {
			out := openssl("verify", "-vfyopt", "distid:1234567812345678", "-attime", fmt.Sprint(testNow.Add(time.Hour).Unix()), "-CAfile", rootPEM, certPEM)
			if !strings.Contains(out, ": OK") {
				t.Errorf("openssl verify %s: %s", name, out)
			}
		}
		tbs := write(name+".tbs", c.RawTBSCertificate)
		sig := write(name+".sig", c.Signature)
		out := openssl("pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
			"-pubin", "-inkey", rootPub, "-in", tbs, "-sigfile", sig)
		if !strings.Contains(out, "Signature Verified Successfully") {
			t.Errorf("openssl pkeyutl on the %s certificate's signature: %s", name, out)
		}
	}
}

// TestAmbiguousSerial: when certificates of two issuers share a serial, revocation needs the
// issuer key ID and names the problem instead of guessing.
func TestAmbiguousSerial(t *testing.T) {
	s := initTest(t)
	rec, err := s.NewSeal(SealRequest{Name: "专用章"})
	if err != nil {
		t.Fatal(err)
	}
	// Another issuer's certificate with the same serial (as an imported history would have).
	s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx, bucketCerts, []byte("00ff/"+rec.SignerSerial), CertRecord{DER: rec.SignerCert, Serial: rec.SignerSerial, IssuerKeyID: "00ff", Subject: "other"})
	})
	before := snapshot(t, s)
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonSuperseded}); !errors.Is(err, ErrAmbiguousSerial) {
		t.Fatalf("err = %v, want ErrAmbiguousSerial", err)
	}
	if !bytes.Equal(before, snapshot(t, s)) {
		t.Error("an ambiguous revocation changed the store")
	}
	rev, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, IssuerKeyID: "00FF", Reason: verify.ReasonSuperseded})
	if err != nil || rev.IssuerKeyID != "00ff" {
		t.Fatalf("revocation with the issuer key ID = %+v, %v", rev, err)
	}
}

// TestCorruptRecords: a record that is not JSON is reported, naming it, by every walk over a
// bucket (and by a lookup of the region).
func TestCorruptRecords(t *testing.T) {
	for _, tc := range []struct {
		bucket []byte
		key    string
		call   func(s *Store) error
	}{
		{bucketSeals, "33010000000001", func(s *Store) error { _, err := s.Seals(); return err }},
		{bucketAnchors, "ffff", func(s *Store) error { _, err := s.TrustAnchors(); return err }},
		{bucketRevocations, "aa/1", func(s *Store) error { _, err := s.Revocations(); return err }},
		{bucketCerts, "aa/1", func(s *Store) error {
			_, err := s.RevokeCertificate(RevokeRequest{Serial: "1", Reason: verify.ReasonSuperseded})
			return err
		}},
	} {
		t.Run(string(tc.bucket), func(t *testing.T) {
			s := initTest(t)
			if err := s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(tc.bucket).Put([]byte(tc.key), []byte("{not json"))
			}); err != nil {
				t.Fatal(err)
			}
			err := tc.call(s)
			want := fmt.Sprintf("corrupt record %s/%s", tc.bucket, tc.key)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error containing %q", err, want)
			}
		})
	}
}

// TestRemoteTrustAnchor: an anchor's status URL is validated, set when the anchor is first added
// or later, and listed by RemoteRegions.
func TestRemoteTrustAnchor(t *testing.T) {
	s := initTest(t)
	other := initTest(t)
	root, err := other.RootCertificate()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ftp://x", "x", "https://"} {
		if _, err := s.AddRemoteTrustAnchor(root, "", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := s.AddTrustAnchor(root, "federation"); err != nil {
		t.Fatal(err)
	}
	if regions, err := s.RemoteRegions(); err != nil || len(regions) != 0 {
		t.Fatalf("without a URL: %+v %v", regions, err)
	}
	rec, err := s.AddRemoteTrustAnchor(root, "", "https://eseal.example.gov.cn/")
	if err != nil || rec.StatusURL != "https://eseal.example.gov.cn" || rec.Note != "federation" {
		t.Fatalf("URL added later: %+v %v", rec, err)
	}
	regions, err := s.RemoteRegions()
	if err != nil || len(regions) != 1 || regions[0].URL != "https://eseal.example.gov.cn" || !regions[0].Root.Equal(root) {
		t.Fatalf("regions: %+v %v", regions, err)
	}
	if rec, err := s.AddTrustAnchor(root, ""); err != nil || rec.StatusURL != "https://eseal.example.gov.cn" {
		t.Errorf("added again without a URL keeps it: %+v %v", rec, err)
	}
}

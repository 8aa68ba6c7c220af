package certstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/verify"
)

// TestSealRevocationRules: a seal is revoked by its esID with the rules of certificates; a
// revoked seal hands out no key; the status names it for verifiers, only for its exact bytes.
func TestSealRevocationRules(t *testing.T) {
	s := initTest(t)
	rec, _, _ := newTestSeal(t, s)
	if st, err := s.SealStatus(rec.ESID, rec.ESL); err != nil || !st.Known || st.Revoked || st.Source != RevocationSource {
		t.Fatalf("before: %+v %v", st, err)
	}
	rev, err := s.RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonCessationOfOperation})
	if err != nil || rev.ESID != rec.ESID || rev.Name != rec.Name || !rev.RevokedAt.Equal(testNow) {
		t.Fatalf("revoke: %+v %v", rev, err)
	}
	st, err := s.SealStatus(rec.ESID, rec.ESL)
	if err != nil || !st.Revoked || st.Reason != verify.ReasonCessationOfOperation || !st.RevokedAt.Equal(testNow) {
		t.Errorf("after: %+v %v", st, err)
	}
	// Another seal that reuses the esID (another region's) is not this store's to judge.
	other, err := seal.ParseSeal(rec.ESL)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.SealStatus(rec.ESID, append([]byte{0}, other.Raw...)); err != nil || st.Known {
		t.Errorf("other bytes: %+v %v", st, err)
	}
	if key, _, _, err := s.SealSigner(rec.ESID); !errors.Is(err, ErrSealRevoked) || key != nil || !strings.Contains(err.Error(), "cessationOfOperation") {
		t.Errorf("SealSigner: %v %v", key, err)
	}
	// Idempotent; an upgrade to keyCompromise keeps the first time; nothing else changes it.
	if again, err := s.RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonCessationOfOperation}); err != nil || *again != *rev {
		t.Errorf("again: %+v %v", again, err)
	}
	if _, err := s.RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonSuperseded}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("another reason: %v", err)
	}
	s.now = func() time.Time { return testNow.Add(time.Hour) }
	up, err := s.RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonKeyCompromise, InvalidityDate: testNow.Add(-24 * time.Hour)})
	if err != nil || up.Reason != verify.ReasonKeyCompromise || !up.RevokedAt.Equal(testNow) || !up.InvalidityDate.Equal(testNow.Add(-24*time.Hour)) {
		t.Errorf("upgrade: %+v %v", up, err)
	}
	list, err := s.SealRevocations()
	if err != nil || len(list) != 1 || list[0].Reason != verify.ReasonKeyCompromise {
		t.Errorf("list: %+v %v", list, err)
	}
	// Bad requests.
	for _, req := range []SealRevokeRequest{
		{ESID: "99999999999999", Reason: verify.ReasonSuperseded},
		{ESID: rec.ESID, Reason: verify.RevocationReason(99)},
		{ESID: rec.ESID, Reason: verify.ReasonSuperseded, InvalidityDate: testNow.Add(48 * time.Hour)},
	} {
		if _, err := s.RevokeSeal(req); err == nil {
			t.Errorf("%+v: no error", req)
		}
	}
}

// TestRevokeCertificatesAllOrNone: a bulk revocation with one serial that is not ours revokes
// nothing.
func TestRevokeCertificatesAllOrNone(t *testing.T) {
	s := initTest(t)
	a, _, _ := newTestSeal(t, s)
	b, _, _ := newTestSeal(t, s)
	if _, err := s.RevokeCertificates([]RevokeRequest{{Serial: a.SignerSerial, Reason: verify.ReasonSuperseded}, {Serial: "abcdef", Reason: verify.ReasonSuperseded}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("one unknown serial: %v", err)
	}
	if revs, _ := s.Revocations(); len(revs) != 0 {
		t.Fatalf("%d revoked after a failed bulk revocation", len(revs))
	}
	revs, err := s.RevokeCertificates([]RevokeRequest{{Serial: a.SignerSerial, Reason: verify.ReasonSuperseded}, {Serial: b.SignerSerial, Reason: verify.ReasonSuperseded}})
	if err != nil || len(revs) != 2 {
		t.Fatalf("%+v %v", revs, err)
	}
}

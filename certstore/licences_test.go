package certstore

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

const gbLicenceID = "1.2.156.3005.2.11100000000013338W011.91110108MA01ABCD2X.0001.001.K"

func digestOf(s string) string {
	d := smcrypto.SM3([]byte(s))
	return hex.EncodeToString(d[:])
}

// TestLicenceLifecycle: a licence issued with a signature is in force; each of its ends needs a
// reason and a legal basis, is recorded in its history, and is final; verifiers find it by the
// signature's digest.
func TestLicenceLifecycle(t *testing.T) {
	for _, end := range []string{LicenceChanged, LicenceWithdrawn, LicenceRevoked, LicenceCancelled} {
		t.Run(end, func(t *testing.T) {
			s := initTest(t)
			id := digestOf("licence document " + end)
			if err := s.RecordIssuance(IssuanceRecord{ID: id, Format: "PDF", ESID: "33010000000001", SignedAt: testNow,
				LicenceID: gbLicenceID, Holder: "杭州某某贸易有限公司", LicenceType: "食品经营许可证"}); err != nil {
				t.Fatal(err)
			}
			digest, _ := hex.DecodeString(id)
			st, err := s.LicenceStatus(digest)
			if err != nil || st == nil || st.State != LicenceInForce || st.ID != gbLicenceID {
				t.Fatalf("in force: %+v %v", st, err)
			}
			a := LicenceAction{ID: gbLicenceID, State: end, Reason: "未履行承诺", Basis: "《条例》第三十二条", By: "审批科"}
			if end == LicenceChanged {
				a.Replacement = "LOCAL-2026-0002"
			}
			if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: end, Reason: "x"}); err == nil {
				t.Error("no legal basis: no error")
			}
			lic, err := s.ChangeLicenceState(a)
			if err != nil || lic.State != end || len(lic.History) != 2 || lic.History[1].Basis != a.Basis || lic.History[1].By != "审批科" {
				t.Fatalf("%s: %+v %v", end, lic, err)
			}
			st, err = s.LicenceStatus(digest)
			if err != nil || st.State != end || st.Reason != "未履行承诺" || st.Basis != a.Basis || !st.At.Equal(testNow) || st.Replacement != a.Replacement {
				t.Errorf("status after: %+v %v", st, err)
			}
			if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: LicenceRevoked, Reason: "again", Basis: "b"}); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("an end is final: %v", err)
			}
			if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("another"), Format: "PDF", SignedAt: testNow, LicenceID: gbLicenceID}); err == nil {
				t.Error("a licence no longer in force issued again")
			}
		})
	}
}

func TestLicenceErrors(t *testing.T) {
	s := initTest(t)
	for _, id := range []string{"1.2.156.3005.2.short", "has space", ""} {
		if err := ValidateLicenceID(id); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: %v", id, err)
		}
	}
	if err := ValidateLicenceID(gbLicenceID); err != nil {
		t.Error(err)
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: "not hex", SignedAt: time.Now()}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad issuance ID: %v", err)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: "NOPE", State: LicenceRevoked, Reason: "r", Basis: "b"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown licence: %v", err)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: "suspended", Reason: "r", Basis: "b"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown state: %v", err)
	}
	if st, err := s.LicenceStatus(make([]byte, 32)); err != nil || st != nil {
		t.Errorf("unknown digest: %+v %v", st, err)
	}
}

// TestRecordIssuances: several signatures recorded in one transaction are each found by their
// digest and each make an event; a batch with one refused record records none of it.
func TestRecordIssuances(t *testing.T) {
	s := initTest(t)
	before, err := s.Events(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var recs []IssuanceRecord
	for _, name := range []string{"许可证一.pdf", "许可证二.pdf", "许可证三.ofd"} {
		recs = append(recs, IssuanceRecord{ID: digestOf(name), Format: "PDF", Document: name, ESID: "33010000000001", SignedAt: testNow})
	}
	if err := s.RecordIssuances(recs); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		got, err := s.Issuance(r.ID)
		if err != nil || got.Document != r.Document || !got.SignedAt.Equal(testNow) {
			t.Errorf("%s: %+v %v", r.Document, got, err)
		}
	}
	after, err := s.Events(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(after)-len(before) != len(recs) {
		t.Errorf("%d events for %d issuances", len(after)-len(before), len(recs))
	}
	if _, err := s.Issuance(digestOf("never signed")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unrecorded issuance: %v", err)
	}

	// A licence no longer in force refuses the whole batch: the good record beside it is not kept.
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("ended"), Format: "PDF", SignedAt: testNow, LicenceID: gbLicenceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: LicenceRevoked, Reason: "r", Basis: "b"}); err != nil {
		t.Fatal(err)
	}
	bad := []IssuanceRecord{
		{ID: digestOf("good"), Format: "PDF", SignedAt: testNow},
		{ID: digestOf("again"), Format: "PDF", SignedAt: testNow, LicenceID: gbLicenceID},
	}
	if err := s.RecordIssuances(bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a refused record in the batch: %v", err)
	}
	if _, err := s.Issuance(bad[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the batch was half recorded: %v", err)
	}
	if err := s.RecordIssuances([]IssuanceRecord{bad[0], {ID: "not hex"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a malformed ID in the batch: %v", err)
	}
	if _, err := s.Issuance(bad[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the batch with a malformed ID was half recorded: %v", err)
	}

	// A digest already recorded, or twice in the batch, is refused, not replaced.
	if err := s.RecordIssuances([]IssuanceRecord{bad[0], {ID: recs[1].ID, Format: "PDF", Document: "同一秒.pdf", SignedAt: testNow}}); !errors.Is(err, ErrIssuanceExists) {
		t.Errorf("a digest already recorded: %v", err)
	}
	if err := s.RecordIssuances([]IssuanceRecord{bad[0], bad[0]}); !errors.Is(err, ErrIssuanceExists) {
		t.Errorf("a digest twice in the batch: %v", err)
	}
	if got, err := s.Issuance(recs[1].ID); err != nil || got.Document != recs[1].Document {
		t.Errorf("the first record was replaced: %+v %v", got, err)
	}
	if _, err := s.Issuance(bad[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused batch was half recorded: %v", err)
	}
}

// TestIssuanceSameDigest: signing the same digest again (a detached signature of the same file)
// keeps one record naming the latest signature and logs both; naming another licence for it is
// refused, and nothing is recorded.
func TestIssuanceSameDigest(t *testing.T) {
	s := initTest(t)
	id := digestOf("the same file")
	if err := s.RecordIssuance(IssuanceRecord{ID: id, Format: "detached", SignedAt: testNow, LicenceID: "LOCAL-2026-0100"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: id, Format: "detached", SignedAt: testNow.Add(time.Minute), LicenceID: "LOCAL-2026-0100"}); err != nil {
		t.Fatalf("the same licence again: %v", err)
	}
	before, _ := s.Events(0, 0)
	err := s.RecordIssuance(IssuanceRecord{ID: id, Format: "detached", SignedAt: testNow.Add(2 * time.Minute), LicenceID: "LOCAL-2026-0200"})
	if !errors.Is(err, ErrIssuanceExists) || !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "LOCAL-2026-0100") {
		t.Fatalf("another licence for the same document: %v", err)
	}
	after, _ := s.Events(0, 0)
	rec, _ := s.Issuance(id)
	if len(after) != len(before) || len(before) != 2 || rec.LicenceID != "LOCAL-2026-0100" || !rec.SignedAt.Equal(testNow.Add(time.Minute)) {
		t.Errorf("events %d→%d, record %+v", len(before), len(after), rec)
	}
	if _, err := s.Licence("LOCAL-2026-0200"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused licence was recorded: %v", err)
	}
}

// TestVerificationCode: a signature recorded with a verification code is found by it; a code is
// never reused for another signature; malformed codes name nothing.
func TestVerificationCode(t *testing.T) {
	s := initTest(t)
	code, err := NewVerificationCode()
	if err != nil || !validCode(code) {
		t.Fatalf("NewVerificationCode = %q, %v", code, err)
	}
	other, _ := NewVerificationCode()
	if other == code {
		t.Fatal("two codes alike")
	}
	id := digestOf("licence with a QR code")
	if err := s.RecordIssuance(IssuanceRecord{ID: id, Format: "PDF", SignedAt: testNow, LicenceID: "LOCAL-2026-0300", Code: code}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.IssuanceByCode(code)
	if err != nil || rec.ID != id || rec.LicenceID != "LOCAL-2026-0300" {
		t.Fatalf("IssuanceByCode = %+v, %v", rec, err)
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("another"), Format: "PDF", SignedAt: testNow, Code: code}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a code reused: %v", err)
	}
	for _, bad := range []string{"", "abc", strings.ToLower(code), code + "A", "0000000000000000", other} {
		if _, err := s.IssuanceByCode(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("IssuanceByCode(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("bad code"), Format: "PDF", SignedAt: testNow, Code: "not-a-code"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a malformed code recorded: %v", err)
	}
}

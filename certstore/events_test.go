package certstore

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// TestEventLog: every issuance and every lifecycle change is an event, in order, chained and
// signed by the root; an unchanged repeat or a refused change adds none; an edited event is
// detected.
func TestEventLog(t *testing.T) {
	s := initTest(t)
	rec, _, root := newTestSeal(t, s)
	other, _, _ := newTestSeal(t, s)
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("licence"), Format: "PDF", ESID: rec.ESID, SignedAt: testNow, LicenceID: gbLicenceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: other.SignerSerial, Reason: verify.ReasonSuperseded}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: other.SignerSerial, Reason: verify.ReasonSuperseded}); err != nil {
		t.Fatal(err) // the same again: no change, no event
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: other.SignerSerial, Reason: verify.ReasonCessationOfOperation}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("refused change: %v", err)
	}
	if _, err := s.RevokeSeal(SealRevokeRequest{ESID: other.ESID, Reason: verify.ReasonKeyCompromise}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: "LOCAL-NONE", State: LicenceRevoked, Reason: "r", Basis: "b"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown licence: %v", err)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: LicenceRevoked, Reason: "未履行承诺", Basis: "《条例》第三十二条", By: "审批科"}); err != nil {
		t.Fatal(err)
	}
	events, err := s.Events(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type+" "+e.Subject)
	}
	want := []string{"issuance " + digestOf("licence"), "certificate.revoked ", "seal.revoked " + other.ESID, "licence.revoked " + gbLicenceID}
	if len(types) != len(want) {
		t.Fatalf("events %q, want %q", types, want)
	}
	for i := range want {
		if !strings.HasPrefix(types[i], want[i]) {
			t.Errorf("event %d: %q, want %q…", i+1, types[i], want[i])
		}
	}
	if err := eventlog.VerifyChain(events, root, 0, ""); err != nil {
		t.Fatalf("the chain: %v", err)
	}
	var lic LicenceRecord
	if err := json.Unmarshal(events[3].Data, &lic); err != nil || lic.State != LicenceRevoked || lic.History[1].Basis != "《条例》第三十二条" {
		t.Errorf("licence event data: %+v %v", lic, err)
	}
	if page, err := s.Events(2, 1); err != nil || len(page) != 1 || page[0].Seq != 3 {
		t.Errorf("after 2, one: %+v %v", page, err)
	}
	if err := eventlog.VerifyChain(events[2:], root, events[1].Seq, events[1].Hash); err != nil {
		t.Errorf("a page after a known event: %v", err)
	}

	// Someone with the file edits an event: its hash (and signature) no longer match.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		e := events[2]
		e.Subject = "33019999999999"
		return putJSON(tx, bucketEvents, uint64Key(e.Seq), e)
	}); err != nil {
		t.Fatal(err)
	}
	edited, _ := s.Events(0, 0)
	if err := eventlog.VerifyChain(edited, root, 0, ""); err == nil || !strings.Contains(err.Error(), "event 3") {
		t.Errorf("an edited event: %v", err)
	}
}

// TestWebhookOutbox: a webhook gets every event after its registration, in order; a failed
// attempt holds back the events behind it until its retry is due; acknowledged ones leave the
// outbox; removing the webhook drops its queue.
func TestWebhookOutbox(t *testing.T) {
	s := initTest(t)
	rec, _, _ := newTestSeal(t, s)
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("before"), Format: "PDF", ESID: rec.ESID, SignedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "ftp://x/", "/relative", "http://", "not a url\x7f"} {
		if _, err := s.AddWebhook(bad, ""); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("webhook %q: %v", bad, err)
		}
	}
	wh, err := s.AddWebhook("https://dept.example.gov.cn/eseal", "市场监管局")
	if err != nil || wh.FromSeq != 2 {
		t.Fatalf("add: %+v %v", wh, err)
	}
	for i := range 3 {
		if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("after" + string(rune('a'+i))), Format: "PDF", ESID: rec.ESID, SignedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-s.EventsAppended():
	default:
		t.Error("no wake-up after events were appended")
	}
	due, err := s.DueDeliveries(testNow, 10)
	if err != nil || len(due) != 1 || len(due[0]) != 3 || due[0][0].Event.Seq != 2 || due[0][2].Event.Seq != 4 || due[0][0].URL != wh.URL {
		t.Fatalf("due: %+v %v", due, err)
	}
	if err := s.DeliveryFailed(wh.ID, 2, testNow.Add(time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(testNow, 10); len(due) != 0 {
		t.Errorf("while the head waits for its retry: %+v", due)
	}
	list, err := s.Webhooks()
	if err != nil || len(list) != 1 || list[0].Pending != 3 || list[0].LastError != "503" || !list[0].NextAttempt.Equal(testNow.Add(time.Minute)) {
		t.Errorf("list: %+v %v", list, err)
	}
	due, _ = s.DueDeliveries(testNow.Add(time.Minute), 2)
	if len(due) != 1 || len(due[0]) != 2 || due[0][0].Attempts != 1 || due[0][1].Event.Seq != 3 {
		t.Fatalf("after the wait: %+v", due)
	}
	if err := s.Delivered(wh.ID, 2, 3); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(testNow.Add(time.Minute), 10); len(due) != 1 || len(due[0]) != 1 || due[0][0].Event.Seq != 4 {
		t.Errorf("the last one: %+v", due)
	}
	if err := s.RemoveWebhook(wh.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveWebhook(wh.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	if due, _ := s.DueDeliveries(testNow.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("after removal: %+v", due)
	}
	if err := s.DeliveryFailed(wh.ID, 4, testNow, "gone"); err != nil {
		t.Errorf("a failure reported for a removed webhook: %v", err)
	}
}

// TestEventsNeedTheRootKey: a change whose event cannot be signed is not made.
func TestEventsNeedTheRootKey(t *testing.T) {
	s := initTest(t)
	rec, _, _ := newTestSeal(t, s)
	s.rootMu.Lock()
	s.rootCert, s.rootKey = nil, nil
	s.rootMu.Unlock()
	s.passphrase = []byte("wrong")
	if _, err := s.RevokeSeal(SealRevokeRequest{ESID: rec.ESID, Reason: verify.ReasonKeyCompromise}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("revoke without the root key: %v", err)
	}
	if st, err := s.SealStatus(rec.ESID, nil); err != nil || st.Revoked {
		t.Errorf("the seal after a refused revocation: %+v %v", st, err)
	}
	if events, _ := s.Events(0, 0); len(events) != 0 {
		t.Errorf("events: %+v", events)
	}
}

var _ eventlog.Outbox = (*Store)(nil)

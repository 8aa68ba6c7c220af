package certstore

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/status"
	"github.com/eseal/eseal/verify"
)

// TestSignedStatus: the region signs, with its root, what it knows of a certificate, a seal and
// a licence (good, revoked with reason and dates, a licence's end with its basis, unknown), and a
// relying party holding only the root checks it.
func TestSignedStatus(t *testing.T) {
	s := initTest(t)
	rec, signer, root := newTestSeal(t, s)
	other, _, _ := newTestSeal(t, s)
	roots := []*smcrypto.Certificate{root}
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	check := func(kind, id string) *status.Status {
		t.Helper()
		body, err := s.SignedStatus(kind, id)
		if err != nil {
			t.Fatalf("%s %s: %v", kind, id, err)
		}
		st, err := status.Verify(body, roots, testNow)
		if err != nil {
			t.Fatalf("%s %s: %v", kind, id, err)
		}
		if st.Type != kind || !st.ProducedAt.Equal(testNow) || !st.NextUpdate.Equal(testNow.Add(StatusValidity)) {
			t.Errorf("%s %s: %+v", kind, id, st)
		}
		return st
	}
	certID := issuer + "/" + strings.ToUpper(fmt.Sprintf("%x", signer.SerialNumber))
	if st := check(StatusCertificate, certID); st.State != "good" || st.ID != strings.ToLower(certID) {
		t.Errorf("good certificate: %+v", st)
	}
	if st := check(StatusSeal, rec.ESID); st.State != "good" {
		t.Errorf("good seal: %+v", st)
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonKeyCompromise, InvalidityDate: testNow.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if st := check(StatusCertificate, certID); st.State != "revoked" || st.Reason != "keyCompromise" ||
		!st.RevokedAt.Equal(testNow) || !st.InvalidityDate.Equal(testNow.Add(-time.Hour)) {
		t.Errorf("revoked certificate: %+v", st)
	}
	if _, err := s.RevokeSeal(SealRevokeRequest{ESID: other.ESID, Reason: verify.ReasonCessationOfOperation}); err != nil {
		t.Fatal(err)
	}
	if st := check(StatusSeal, other.ESID); st.State != "revoked" || st.Reason != "cessationOfOperation" {
		t.Errorf("revoked seal: %+v", st)
	}
	if st := check(StatusCertificate, issuer+"/0abc"); st.State != "unknown" {
		t.Errorf("unknown certificate: %+v", st)
	}
	if st := check(StatusSeal, "no such seal"); st.State != "unknown" {
		t.Errorf("unknown seal: %+v", st)
	}
	if st := check(StatusLicence, gbLicenceID); st.State != "unknown" {
		t.Errorf("licence before issuance: %+v", st)
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("licence"), Format: "PDF", SignedAt: testNow, LicenceID: gbLicenceID}); err != nil {
		t.Fatal(err)
	}
	if st := check(StatusLicence, gbLicenceID); st.State != LicenceInForce || st.Reason != "" {
		t.Errorf("licence in force: %+v", st)
	}
	if _, err := s.ChangeLicenceState(LicenceAction{ID: gbLicenceID, State: LicenceChanged, Reason: "名称变更", Basis: "《行政许可法》第四十九条", Replacement: "LOCAL-2026-0002"}); err != nil {
		t.Fatal(err)
	}
	if st := check(StatusLicence, gbLicenceID); st.State != LicenceChanged || st.Reason != "名称变更" || st.Basis != "《行政许可法》第四十九条" || st.Replacement != "LOCAL-2026-0002" {
		t.Errorf("changed licence: %+v", st)
	}

	// The licence a signature issued, by the digest it binds.
	if st := check(StatusIssuance, digestOf("licence")); st.State != LicenceChanged || st.Licence != gbLicenceID || st.Replacement != "LOCAL-2026-0002" {
		t.Errorf("issuance of a changed licence: %+v", st)
	}
	if err := s.RecordIssuance(IssuanceRecord{ID: digestOf("no licence"), Format: "detached", SignedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if st := check(StatusIssuance, digestOf("no licence")); st.State != "issued" || st.Licence != "" {
		t.Errorf("issuance without a licence: %+v", st)
	}
	if st := check(StatusIssuance, strings.ToUpper(digestOf("never"))); st.State != "unknown" || st.ID != digestOf("never") {
		t.Errorf("unknown issuance: %+v", st)
	}
	for _, bad := range []struct{ kind, id string }{
		{StatusCertificate, "no-slash"},
		{StatusCertificate, issuer + "/not-hex"},
		{"passport", "x"},
		{StatusIssuance, "abc"},
		{StatusIssuance, strings.Repeat("zz", 32)},
	} {
		if _, err := s.SignedStatus(bad.kind, bad.id); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s %q: %v, want ErrInvalidArgument", bad.kind, bad.id, err)
		}
	}
}

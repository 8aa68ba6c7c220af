package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/api"
	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// twoRegions is region A (its store behind its service) and region B (its store, trusting A's
// root with A's service as its status URL).
type twoRegions struct {
	a, b    *certstore.Store
	srv     *httptest.Server
	down    atomic.Bool
	rootA   *smcrypto.Certificate
	seal    *certstore.SealRecord
	signer  *smcrypto.Certificate
	maker   *smcrypto.Certificate
	signed  []byte
	checker *Checker
	now     time.Time
}

func newTwoRegions(t *testing.T) *twoRegions {
	t.Helper()
	r := &twoRegions{now: time.Now()}
	var err error
	if r.a, err = certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.a.Close() })
	if r.b, err = certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.b.Close() })
	if _, err := r.a.InitRegion("330100", "杭州市行政审批局"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.b.InitRegion("110108", "北京市海淀区政务服务管理局"); err != nil {
		t.Fatal(err)
	}
	if r.seal, err = r.a.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"}); err != nil {
		t.Fatal(err)
	}
	key, sl, chain, err := r.a.SealSigner(r.seal.ESID)
	if err != nil {
		t.Fatal(err)
	}
	r.signer, r.rootA = chain[0], chain[1]
	var out bytes.Buffer
	res, err := sign.SignPDF(bytes.NewReader(testpdf.DefaultLicence.Bytes()), &out, sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}},
		sign.PDFOptions{TimeStamp: r.a.TimestampSignature})
	if err != nil {
		t.Fatal(err)
	}
	r.signed = out.Bytes()
	if err := r.a.RecordIssuance(certstore.IssuanceRecord{ID: hex.EncodeToString(res.Digest), Format: "PDF", ESID: r.seal.ESID,
		SignedAt: res.SigningTime, LicenceID: "LOCAL-2026-0001", Holder: "杭州某某有限公司"}); err != nil {
		t.Fatal(err)
	}
	handler := api.NewRouter(api.Config{Anchors: r.a, Revocation: r.a, CRLs: r.a, Status: r.a, TempDir: t.TempDir()})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	if _, err := r.a.IssueCRL(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.b.AddRemoteTrustAnchor(r.rootA, "杭州", r.srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	regions, err := r.b.RemoteRegions()
	if err != nil || len(regions) != 1 || regions[0].URL != r.srv.URL {
		t.Fatalf("remote regions: %+v %v", regions, err)
	}
	r.checker = &Checker{Regions: []Region{{Root: regions[0].Root, URL: regions[0].URL}}, Timeout: 2 * time.Second, Now: func() time.Time { return r.now }}
	return r
}

func (r *twoRegions) verify(t *testing.T) *verify.Report {
	t.Helper()
	rep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(r.signed), int64(len(r.signed)),
		verify.Options{Anchors: r.b, Revocation: Fallback{Local: r.b, Remote: r.checker}, CurrentTime: r.now})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRemoteRevocation: region B verifies region A's licence with A's published CRL and seal
// status: passed while nothing is revoked; A's revocation reaches B at the next refresh; A's
// service down, or a CRL past its next update, is INDETERMINATE (TRY_LATER), never a pass.
func TestRemoteRevocation(t *testing.T) {
	r := newTwoRegions(t)
	if rep := r.verify(t); rep.Indication != verify.TotalPassed {
		t.Fatalf("nothing revoked: %s/%s %+v", rep.Indication, rep.Signatures[0].SubIndication, rep.Signatures[0].Revocation)
	}
	if rep := r.verify(t); !strings.Contains(rep.Signatures[0].Revocation.Source, "CRL of") {
		t.Errorf("the source named: %+v", rep.Signatures[0].Revocation)
	}
	if lic := r.verify(t).Signatures[0].Licence; lic == nil || lic.ID != "LOCAL-2026-0001" || lic.State != "in_force" || !strings.Contains(lic.Source, "signed status") {
		t.Errorf("the licence, from A: %+v", lic)
	}

	// A revokes its seal; B sees it once its cached answers are due again.
	// The licence carries a trusted timestamp: a revocation in a later second would come after
	// it and leave the signature valid; the key's compromise dates from before the signing.
	if _, err := r.a.RevokeSeal(certstore.SealRevokeRequest{ESID: r.seal.ESID, Reason: verify.ReasonKeyCompromise, InvalidityDate: r.now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if rep := r.verify(t); rep.Indication != verify.TotalPassed {
		t.Errorf("within the refresh interval, the cached answer: %s", rep.Indication)
	}
	r.now = r.now.Add(6 * time.Minute)
	if rep := r.verify(t); rep.Indication == verify.TotalPassed {
		t.Errorf("after A revoked the seal: %s", rep.Indication)
	}

	// A's service goes down: nothing can be known, so nothing passes.
	r.down.Store(true)
	r.now = r.now.Add(6 * time.Minute)
	rep := r.verify(t)
	if rep.Indication != verify.Indeterminate || rep.Signatures[0].SubIndication != verify.TryLater {
		t.Errorf("A down: %s/%s", rep.Indication, rep.Signatures[0].SubIndication)
	}
}

func TestCheckerErrors(t *testing.T) {
	r := newTwoRegions(t)
	sealDER := func() []byte {
		_, sl, _, err := r.a.SealSigner(r.seal.ESID)
		if err != nil {
			t.Fatal(err)
		}
		return sl.Raw
	}()
	st, err := r.checker.CertificateStatus(r.signer, r.rootA)
	if err != nil || !st.Known || st.Revoked {
		t.Fatalf("good: %+v %v", st, err)
	}
	// A certificate of a region the checker does not know: not its business.
	if st, err := r.checker.CertificateStatus(r.signer, r.signer); err != nil || st.Known {
		t.Errorf("another issuer: %+v %v", st, err)
	}
	// Revoked with an invalidity date, seen after the refresh interval.
	if _, err := r.a.RevokeCertificate(certstore.RevokeRequest{Serial: r.seal.SignerSerial, Reason: verify.ReasonKeyCompromise, InvalidityDate: r.now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(10 * time.Minute)
	st, err = r.checker.CertificateStatus(r.signer, r.rootA)
	if err != nil || !st.Revoked || st.Reason != verify.ReasonKeyCompromise || st.InvalidityDate.IsZero() {
		t.Errorf("revoked: %+v %v", st, err)
	}
	// Stale: past the CRL's next update, and A not reissuing.
	r.now = r.now.Add(certstore.CRLValidity)
	if _, err := r.checker.CertificateStatus(r.signer, r.rootA); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Errorf("stale CRL: %v", err)
	}
	r.now = time.Now()
	if st, err := r.checker.SealStatus(r.seal.ESID, sealDER); err != nil || !st.Known || st.Revoked {
		t.Errorf("seal good: %+v %v", st, err)
	}
	if st, err := r.checker.SealStatus(r.seal.ESID, []byte("not a seal")); err != nil || st.Known {
		t.Errorf("not a seal: %+v %v", st, err)
	}

	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"not found", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, "404"},
		{"not a CRL", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>")) }, "CRL from"},
		{"another signer", func(w http.ResponseWriter, _ *http.Request) {
			rec, err := r.b.IssueCRL()
			if err != nil {
				t.Error(err)
			}
			w.Write(rec.DER)
		}, "not signed by"},
		{"too large", func(w http.ResponseWriter, _ *http.Request) { w.Write(make([]byte, MaxCRLSize+1)) }, "more than"},
		{"too slow", func(w http.ResponseWriter, req *http.Request) {
			select {
			case <-req.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "could not be fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			// Only the slow server needs a short timeout; the others get one that a busy machine
			// meets (the large answer is MaxCRLSize bytes).
			timeout := 30 * time.Second
			if tc.name == "too slow" {
				timeout = 300 * time.Millisecond
			}
			c := &Checker{Regions: []Region{{Root: r.rootA, URL: srv.URL}}, Timeout: timeout}
			if _, err := c.CertificateStatus(r.signer, r.rootA); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			if _, err := c.SealStatus(r.seal.ESID, sealDER); err == nil {
				t.Error("seal status: no error")
			}
		})
	}
	// A status about another seal, signed and all, is not an answer.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		body, _ := r.a.SignedStatus(certstore.StatusSeal, "33010000000099")
		w.Write(body)
	}))
	defer other.Close()
	c := &Checker{Regions: []Region{{Root: r.rootA, URL: other.URL}}}
	if _, err := c.SealStatus(r.seal.ESID, sealDER); err == nil || !strings.Contains(err.Error(), "not seal") {
		t.Errorf("a status about another seal: %v", err)
	}
}

// TestRemoteLicence: B reports the licence A's signature issued, from A's signed issuance status,
// and A's revocation of the licence (撤销) at the next refresh.
func TestRemoteLicence(t *testing.T) {
	r := newTwoRegions(t)
	if rep := r.verify(t); rep.Indication != verify.TotalPassed || rep.Signatures[0].Licence == nil {
		t.Fatalf("in force: %s %+v", rep.Indication, rep.Signatures[0].Licence)
	}
	// A revokes the licence (撤销): B reports it not in force at the next refresh.
	if _, err := r.a.ChangeLicenceState(certstore.LicenceAction{ID: "LOCAL-2026-0001", State: certstore.LicenceRevoked, Reason: "未履行承诺", Basis: "《条例》第三十二条"}); err != nil {
		t.Fatal(err)
	}
	r.now = r.now.Add(6 * time.Minute)
	if rep := r.verify(t); rep.Indication != verify.TotalFailed || rep.Signatures[0].SubIndication != verify.SigConstraintsFailure ||
		rep.Signatures[0].Licence == nil || rep.Signatures[0].Licence.Basis != "《条例》第三十二条" {
		t.Errorf("licence revoked at A: %s/%s %+v", rep.Indication, rep.Signatures[0].SubIndication, rep.Signatures[0].Licence)
	}

	// A signer of no remote region: no licence is asked for; a digest A never signed: none.
	rootB, err := r.b.RootCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if lic, err := r.checker.LicenceStatusForSigner(make([]byte, 32), rootB); err != nil || lic != nil {
		t.Errorf("a signer of no region: %+v %v", lic, err)
	}
	if lic, err := r.checker.LicenceStatusForSigner(make([]byte, 32), r.signer); err != nil || lic != nil {
		t.Errorf("a signer of no region: %+v %v", lic, err)
	}
}

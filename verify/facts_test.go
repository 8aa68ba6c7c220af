package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpki"
)

// TestReportFacts: what the checks find is in the report as data, not only in the details:
// the revocation status with its reason and times, the certificate that is out of its validity
// and the time it was judged at, the proof of existence, the seal's dates.
func TestReportFacts(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	sealFrom, sealUntil := tRootStart, tRootStart.AddDate(5, 0, 0)
	seal := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, sealFrom, sealUntil)

	t.Run("revoked after signing", func(t *testing.T) {
		rep := verifyBytes(t, sealedDoc(t, p, sigOpts{seal: seal}).bytes(), Options{Anchors: anchors, Revocation: revokedAt(p.Signer, tSign.Add(24*time.Hour), ReasonSuperseded)})
		s := rep.Signatures[0]
		want := RevocationInfo{Status: RevocationRevoked, Reason: "superseded", RevokedAt: tSign.Add(24 * time.Hour), Source: "test store", AsOf: tNow}
		if s.Revocation == nil || *s.Revocation != want {
			t.Errorf("revocation %+v, want %+v", s.Revocation, want)
		}
		if len(s.Chain) != 2 || s.Chain[0].Revocation == nil || *s.Chain[0].Revocation != want || s.Chain[1].Revocation != nil {
			t.Errorf("chain %+v: the signer's revocation on its entry, none on the anchor", s.Chain)
		}
		if s.Seal == nil || !s.Seal.ValidStart.Equal(sealFrom) || !s.Seal.ValidEnd.Equal(sealUntil) || !s.Seal.Created.Equal(sealFrom) {
			t.Errorf("seal %+v", s.Seal)
		}
		if s.Seal.MakerRevocation == nil || s.Seal.MakerRevocation.Status != RevocationGood {
			t.Errorf("seal maker revocation %+v", s.Seal.MakerRevocation)
		}
		if s.Type != TypeSignature || s.ProofOfExistence != nil {
			t.Errorf("type %q, proof %+v", s.Type, s.ProofOfExistence)
		}
	})
	t.Run("no revocation source", func(t *testing.T) {
		rep := verifyBytes(t, sealedDoc(t, p, sigOpts{seal: seal}).bytes(), Options{Anchors: anchors})
		if r := rep.Signatures[0].Revocation; r == nil || r.Status != RevocationUnknown || r.UnknownBecause != UnknownNoSource {
			t.Errorf("revocation %+v", r)
		}
	})
	t.Run("source does not know the certificate", func(t *testing.T) {
		rep := verifyBytes(t, sealedDoc(t, p, sigOpts{seal: seal}).bytes(), Options{Anchors: anchors, Revocation: &fakeRevocation{unknown: true}})
		if r := rep.Signatures[0].Revocation; r == nil || r.Status != RevocationUnknown || r.UnknownBecause != UnknownNotKnown {
			t.Errorf("revocation %+v", r)
		}
	})

	expiring := newPKI(t, &testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, 0, 7)})
	expSeal := makeSeal(t, expiring, []*smcrypto.Certificate{expiring.Signer}, sealFrom, sealUntil)
	expAnchors := anchorList{certs: []*smcrypto.Certificate{expiring.Root}}
	t.Run("expired since signing", func(t *testing.T) {
		rep := verifyBytes(t, sealedDoc(t, expiring, sigOpts{seal: expSeal}).bytes(), Options{Anchors: expAnchors, Revocation: &fakeRevocation{}})
		v := rep.Signatures[0].Validity
		if v == nil || v.Status != ValidityExpired || !v.At.Equal(tNow) || v.AtSource != AtValidationTime || v.Certificate == nil ||
			v.Certificate.Serial != smcrypto.SerialHex(expiring.Signer.SerialNumber) || !v.Certificate.NotAfter.Equal(tSign.AddDate(0, 0, 7)) {
			t.Errorf("validity %+v (certificate %+v)", v, v.Certificate)
		}
	})
	t.Run("expired since signing, timestamped", func(t *testing.T) {
		rep := verifyBytes(t, sealedDoc(t, expiring, sigOpts{seal: expSeal, cms: withTimestampCMS(expiring, tSign, nil)}).bytes(), Options{Anchors: expAnchors, Revocation: &fakeRevocation{}})
		s := rep.Signatures[0]
		if v := s.Validity; v == nil || v.Status != ValidityValid || !v.At.Truncate(time.Second).Equal(tSign) || v.AtSource != AtProofOfExistence || v.Certificate != nil {
			t.Errorf("validity %+v", v)
		}
		if s.ProofOfExistence == nil || !s.ProofOfExistence.Time.Truncate(time.Second).Equal(tSign) || !strings.Contains(s.ProofOfExistence.Source, "signature timestamp") {
			t.Errorf("proof of existence %+v", s.ProofOfExistence)
		}
	})
	t.Run("expired before signing", func(t *testing.T) {
		old := newPKI(t, &testpki.CertOptions{NotBefore: tRootStart, NotAfter: tSign.AddDate(0, -1, 0)})
		rep := verifyBytes(t, sealedDoc(t, old, sigOpts{seal: makeSeal(t, old, []*smcrypto.Certificate{old.Signer}, sealFrom, sealUntil)}).bytes(),
			Options{Anchors: anchorList{certs: []*smcrypto.Certificate{old.Root}}, Revocation: &fakeRevocation{}})
		v := rep.Signatures[0].Validity
		if v == nil || v.Status != ValidityExpired || !v.At.Equal(tSign) || v.AtSource != AtClaimedSigningTime || v.Certificate == nil {
			t.Errorf("validity %+v", v)
		}
	})
	t.Run("details in the zone asked for", func(t *testing.T) {
		cst := time.FixedZone("CST", 8*3600)
		rep := verifyBytes(t, sealedDoc(t, p, sigOpts{seal: seal}).bytes(), Options{Anchors: anchors, TimeZone: cst,
			Revocation: revokedAt(p.Signer, tSign.Add(-24*time.Hour), ReasonKeyCompromise)})
		s := rep.Signatures[0]
		rev := checkNamed(s, RevocationCheck)
		if !strings.Contains(rev.Detail, "2026-04-30 20:00:00 CST") || strings.Contains(rev.Detail, "UTC") {
			t.Errorf("revocation detail %q: want the time in CST", rev.Detail)
		}
		if s.SigningTime.Location() != time.UTC || s.Revocation.RevokedAt.Location() != time.UTC {
			t.Error("the report's time fields are not UTC")
		}
	})
}

package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// TestProductionTimestamps: a signature timestamp made by smcrypto.BuildTimestampToken (what
// eseal's TSA issues) proves when the signature existed, and revocation is judged against it:
// revoked after the trusted time, still valid with the revocation noted; revoked before it,
// TOTAL_FAILED (REVOKED); revoked with no trusted time, INDETERMINATE (REVOKED_NO_POE).
func TestProductionTimestamps(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	seal := makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	stamped := sealedDoc(t, p, sigOpts{seal: seal, stamp: true}).bytes()
	plain := sealedDoc(t, p, sigOpts{seal: seal}).bytes()
	for _, tc := range []struct {
		name    string
		doc     []byte
		stamped bool
		rev     *fakeRevocation
		ind     Indication
		sub     SubIndication
	}{
		{"stamped, revoked after", stamped, true, revokedAt(p.Signer, tSign.Add(time.Hour), ReasonKeyCompromise), TotalPassed, ""},
		{"stamped, revoked before", stamped, true, revokedAt(p.Signer, tSign.Add(-time.Hour), ReasonKeyCompromise), TotalFailed, Revoked},
		{"not stamped, revoked after", plain, false, revokedAt(p.Signer, tSign.Add(time.Hour), ReasonKeyCompromise), Indeterminate, RevokedNoPOE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(t, tc.doc, Options{Anchors: anchors, Revocation: tc.rev})
			s := rep.Signatures[0]
			if s.Indication != tc.ind || s.SubIndication != tc.sub {
				t.Errorf("%s %s, want %s %s\n%+v", s.Indication, s.SubIndication, tc.ind, tc.sub, s.Checks)
			}
			if !tc.stamped {
				return
			}
			if s.ProofOfExistence == nil || !s.ProofOfExistence.Time.Equal(tSign) {
				t.Errorf("proof of existence %+v", s.ProofOfExistence)
			}
			found := false
			for _, c := range s.Checks {
				if c.Name == TimestampCheck {
					found = true
					if c.Status != CheckPassed || !strings.Contains(c.Detail, "TSA") {
						t.Errorf("timestamp check %s: %s", c.Status, c.Detail)
					}
				}
			}
			if !found {
				t.Error("no timestamp check")
			}
		})
	}
}

package verify

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/pdf"

	"github.com/eseal/eseal/internal/smcrypto"
)

// licenceRegistry is a revocation source that also knows licences, by the digest a signature
// binds.
type licenceRegistry struct {
	fakeRevocation
	digest []byte
	lic    *LicenceStatus
	err    error
}

func (r *licenceRegistry) LicenceStatus(digest []byte) (*LicenceStatus, error) {
	if r.err != nil {
		return nil, r.err
	}
	if bytes.Equal(digest, r.digest) {
		return r.lic, nil
	}
	return nil, nil
}

// TestLicenceStatus: a sound seal on a licence that is no longer in force is not one to rely on
// (TOTAL_FAILED, the licence check says why); in force, the check passes; a registry that
// cannot answer leaves it undecided; an unknown document has no licence check.
func TestLicenceStatus(t *testing.T) {
	p := newPKI(t, nil)
	anchors := anchorList{certs: []*smcrypto.Certificate{p.Root}}
	doc := sealedDoc(t, p, sigOpts{seal: makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))}).bytes()
	// The registry knows the document by the digest its signature binds: the messageDigest.
	digest := messageDigestOf(t, doc)
	for _, tc := range []struct {
		name string
		reg  *licenceRegistry
		ind  Indication
		sub  SubIndication
		says string
	}{
		{"in force", &licenceRegistry{digest: digest, lic: &LicenceStatus{ID: "L-1", State: "in_force", Source: "test"}}, TotalPassed, "", "is in force"},
		{"revoked", &licenceRegistry{digest: digest, lic: &LicenceStatus{ID: "L-1", State: "revoked", Reason: "未履行承诺", Basis: "《条例》第三十二条", At: tNow}}, TotalFailed, SigConstraintsFailure, "was revoked (撤销)"},
		{"changed", &licenceRegistry{digest: digest, lic: &LicenceStatus{ID: "L-1", State: "changed", Reason: "变更经营范围", Basis: "b", Replacement: "L-2", At: tNow}}, TotalFailed, SigConstraintsFailure, "replaced by L-2"},
		{"registry fails", &licenceRegistry{err: errors.New("registry down")}, Indeterminate, TryLater, "could not be asked"},
		{"unknown document", &licenceRegistry{digest: []byte("other")}, TotalPassed, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(t, doc, Options{Anchors: anchors, Revocation: tc.reg})
			s := rep.Signatures[0]
			if s.Indication != tc.ind || s.SubIndication != tc.sub {
				t.Errorf("%s %s, want %s %s", s.Indication, s.SubIndication, tc.ind, tc.sub)
			}
			var c *Check
			for i := range s.Checks {
				if s.Checks[i].Name == LicenceCheck {
					c = &s.Checks[i]
				}
			}
			switch {
			case tc.says == "" && c != nil:
				t.Errorf("a licence check for a document the registry does not know: %+v", c)
			case tc.says != "" && (c == nil || !strings.Contains(c.Detail, tc.says)):
				t.Errorf("licence check %+v does not say %q", c, tc.says)
			}
		})
	}
}

// messageDigestOf reads the messageDigest of the document's one signature.
func messageDigestOf(t *testing.T, doc []byte) []byte {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	sd, err := smcrypto.ParseSignedData(d.Signatures[0].Contents)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Signers[0].MessageDigest
}

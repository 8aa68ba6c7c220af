package certstore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/trustbundle"
)

// TestTrustBundleExportImport: region A exports signed bundles with a sequence number that only
// grows, also across reopening; region B imports them against A's root fingerprint, trusts A's
// root with A's service as its status URL, and refuses an older, replayed, expired, foreign or
// own bundle, storing nothing when it refuses.
func TestTrustBundleExportImport(t *testing.T) {
	dirA := t.TempDir()
	clock := testNow
	a := openTest(t, dirA, Options{Now: func() time.Time { return clock }})
	if _, err := a.InitRegion("330100", "杭州市行政审批局"); err != nil {
		t.Fatal(err)
	}
	b := initTestRegion(t, "110108", "北京市海淀区行政审批局")
	root, err := a.RootCertificate()
	if err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256(root.Raw)

	// Without a public URL there is nothing to tell other regions where to ask.
	if _, _, err := a.ExportTrustBundle(0); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "public URL") {
		t.Errorf("export without a public URL: %v", err)
	}
	for _, bad := range []string{"", "eseal.hangzhou.example", "ftp://eseal.hangzhou.example", "https://"} {
		if _, err := a.SetPublicURL(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SetPublicURL(%q): %v", bad, err)
		}
	}
	if u, err := a.SetPublicURL("https://eseal.hangzhou.example/"); err != nil || u != "https://eseal.hangzhou.example" {
		t.Fatalf("SetPublicURL: %q %v", u, err)
	}
	for _, bad := range []time.Duration{time.Minute, trustbundle.MaxValidity + time.Hour, -time.Hour} {
		if _, _, err := a.ExportTrustBundle(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("validity %s: %v", bad, err)
		}
	}

	export := func(s *Store) ([]byte, *trustbundle.Bundle) {
		t.Helper()
		data, bundle, err := s.ExportTrustBundle(0)
		if err != nil {
			t.Fatal(err)
		}
		return data, bundle
	}
	data1, b1 := export(a)
	data2, b2 := export(a)
	if b1.Sequence != 1 || b2.Sequence != 2 {
		t.Errorf("sequences %d, %d", b1.Sequence, b2.Sequence)
	}
	if b1.RegionCode != "330100" || b1.RegionName != "杭州市行政审批局" || b1.StatusURL != "https://eseal.hangzhou.example" ||
		!strings.HasPrefix(b1.CRLURL, "https://eseal.hangzhou.example/v1/crl/") || !b1.NextUpdate.Equal(testNow.Add(DefaultTrustBundleValidity)) {
		t.Errorf("bundle: %+v", b1)
	}
	if len(b1.TSAs) != 1 || len(b1.SealMakers) != 1 || b1.TSAs[0].CheckSignatureFrom(root) != nil {
		t.Errorf("the bundle's authorities: %d TSAs, %d seal makers", len(b1.TSAs), len(b1.SealMakers))
	}
	// The sequence survives reopening.
	a.Close()
	a = openTest(t, dirA, Options{Now: func() time.Time { return clock }})
	data3, b3 := export(a)
	if b3.Sequence != 3 {
		t.Errorf("after reopening: sequence %d, want 3", b3.Sequence)
	}

	// B imports sequence 2.
	res, err := b.ImportTrustBundle(data2, fp, "区域互认")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || len(res.AlreadyTrusted) != 0 || res.Previous != 0 || res.Added[0].Fingerprint != Fingerprint(root.Raw) ||
		res.Added[0].StatusURL != "https://eseal.hangzhou.example" || !strings.Contains(res.Added[0].Note, "杭州市行政审批局") {
		t.Errorf("import: %+v %+v", res, res.Added)
	}
	anchors, err := b.TrustAnchors()
	if err != nil || !containsCert(anchors, root) {
		t.Errorf("A's root is not among B's anchors: %v", err)
	}
	regions, err := b.RemoteRegions()
	if err != nil || len(regions) != 1 || !regions[0].Root.Equal(root) || regions[0].URL != "https://eseal.hangzhou.example" {
		t.Errorf("remote regions: %+v %v", regions, err)
	}

	// Refusals store nothing.
	before := snapshot(t, b)
	for name, tc := range map[string]struct {
		data []byte
		fp   [sha256.Size]byte
		want func(error) bool
	}{
		"older":    {data1, fp, func(err error) bool { return errors.Is(err, ErrStaleBundle) }},
		"replayed": {data2, fp, func(err error) bool { return errors.Is(err, ErrStaleBundle) }},
		"other fingerprint": {data3, sha256.Sum256([]byte("another root")), func(err error) bool {
			var be *trustbundle.Error
			return errors.As(err, &be) && be.Reason == trustbundle.FingerprintMismatch
		}},
		"tampered": {bytes.Replace(data3, []byte(`"signature": "`), []byte(`"signature": "A`), 1), fp, func(err error) bool {
			var be *trustbundle.Error
			return errors.As(err, &be) && (be.Reason == trustbundle.BadSignature || be.Reason == trustbundle.Malformed)
		}},
	} {
		if _, err := b.ImportTrustBundle(tc.data, tc.fp, ""); !tc.want(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !bytes.Equal(before, snapshot(t, b)) {
		t.Error("a refused import changed the store")
	}
	if _, err := a.ImportTrustBundle(data3, fp, ""); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "own") {
		t.Errorf("A imports its own bundle: %v", err)
	}

	// Sequence 3: newer, the root already trusted.
	res, err = b.ImportTrustBundle(data3, fp, "")
	if err != nil || len(res.Added) != 0 || len(res.AlreadyTrusted) != 1 || res.Previous != 2 {
		t.Fatalf("sequence 3: %+v %v", res, err)
	}
	// A moves its service: the next bundle moves B's status URL with it.
	if _, err := a.SetPublicURL("https://eseal2.hangzhou.example"); err != nil {
		t.Fatal(err)
	}
	data5, _ := export(a)
	res, err = b.ImportTrustBundle(data5, fp, "")
	if err != nil || len(res.AlreadyTrusted) != 1 || res.AlreadyTrusted[0].StatusURL != "https://eseal2.hangzhou.example" || res.Previous != 3 {
		t.Fatalf("sequence 4, moved: %+v %v", res, err)
	}
	if regions, err := b.RemoteRegions(); err != nil || len(regions) != 1 || regions[0].URL != "https://eseal2.hangzhou.example" {
		t.Errorf("remote regions after the move: %+v %v", regions, err)
	}
	// The bundle of sequence 3 is older now.
	if _, err := b.ImportTrustBundle(data3, fp, ""); !errors.Is(err, ErrStaleBundle) {
		t.Errorf("sequence 3 after 4: %v", err)
	}
	bundles, err := b.TrustBundles()
	if err != nil || len(bundles) != 1 || bundles[0].Sequence != 4 || bundles[0].RegionName != "杭州市行政审批局" || !bytes.Equal(bundles[0].Raw, data5) {
		t.Errorf("trust bundles: %+v %v", bundles, err)
	}

	// Past its next update, a bundle is refused.
	clock = testNow.Add(DefaultTrustBundleValidity + time.Hour)
	data4, _ := export(a)
	c := openTest(t, t.TempDir(), Options{Now: func() time.Time { return clock.Add(DefaultTrustBundleValidity) }})
	var be *trustbundle.Error
	if _, err := c.ImportTrustBundle(data4, fp, ""); !errors.As(err, &be) || be.Reason != trustbundle.Expired {
		t.Errorf("expired: %v", err)
	}

	// The audit logs say what happened.
	for s, want := range map[*Store][]string{a: {"region.url", "bundle.export"}, b: {"bundle.import", "anchor.add"}} {
		recs, err := s.AuditLog()
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(actions, " "), w) {
				t.Errorf("audit log %v lacks %s", actions, w)
			}
		}
	}
}

func initTestRegion(t *testing.T, code, name string) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), Options{})
	if _, err := s.InitRegion(code, name); err != nil {
		t.Fatal(err)
	}
	return s
}

func containsCert(certs []*smcrypto.Certificate, c *smcrypto.Certificate) bool {
	for _, x := range certs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

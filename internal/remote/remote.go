// Package remote asks other regions' eseal services about their certificates and seals, so that
// verification here can rely on revocations made there: the issuing root's CRL
// (GET {url}/v1/crl/{issuer key ID}) and the region's signed seal status
// (GET {url}/v1/status/seal/{esID}), each checked against the root this region trusts it by.
// Every fetch has a timeout; an answer that cannot be had, does not verify or is stale is an error,
// which verification reports as INDETERMINATE (TRY_LATER), never as "not revoked".
package remote

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/status"
	"github.com/eseal/eseal/verify"
)

// Region is another region: its root, trusted here, and the base URL of its eseal service.
type Region struct {
	Root *smcrypto.Certificate
	URL  string
}

// Limits on what is fetched.
const (
	MaxCRLSize    = 32 << 20
	MaxStatusSize = 64 << 10
)

// Checker implements verify.RevocationChecker and verify.SealRevocationChecker for the
// certificates and seals of Regions; about anything else it says it does not know.
type Checker struct {
	Regions []Region
	// Source, when set, gives the regions at each question instead (a store whose trust
	// anchors change while a service runs).
	Source func() ([]Region, error)
	Client *http.Client // nil: a client with Timeout
	// Timeout bounds each fetch; zero: 5 seconds.
	Timeout time.Duration
	// RefreshAfter is how long a fetched CRL or status is used before it is asked for again
	// (a CRL with If-None-Match); zero: 5 minutes. Nothing is used past its nextUpdate.
	RefreshAfter time.Duration
	Now          func() time.Time

	mu    sync.Mutex
	cache map[string]*entry // by URL
}

// entry is one cached fetch; its mutex makes concurrent verifications wait for one fetch.
type entry struct {
	mu      sync.Mutex
	fetched time.Time
	etag    string
	crl     *fetchedCRL
	status  *status.Status
}

type fetchedCRL struct {
	list    *smcrypto.RevocationList
	revoked map[string]smcrypto.RevocationListEntry // by lower-case hex serial
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) entry(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil {
		c.cache = map[string]*entry{}
	}
	e := c.cache[key]
	if e == nil {
		e = &entry{}
		c.cache[key] = e
	}
	return e
}

func (c *Checker) refreshAfter() time.Duration {
	if c.RefreshAfter > 0 {
		return c.RefreshAfter
	}
	return 5 * time.Minute
}

// get fetches url with the timeout; a 304 answer (to etag) returns notModified.
func (c *Checker) get(rawURL, etag string, limit int64) (body []byte, newETag string, notModified bool, err error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", false, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		return nil, etag, true, nil
	case resp.StatusCode != http.StatusOK:
		return nil, "", false, fmt.Errorf("%s answered %s", host(rawURL), resp.Status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", false, err
	}
	if int64(len(body)) > limit {
		return nil, "", false, fmt.Errorf("%s sent more than %d bytes", host(rawURL), limit)
	}
	return body, resp.Header.Get("ETag"), false, nil
}

func host(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return "the remote service"
}

func (c *Checker) regions() ([]Region, error) {
	if c.Source != nil {
		return c.Source()
	}
	return c.Regions, nil
}

func (c *Checker) regionOf(issuer *smcrypto.Certificate) (*Region, error) {
	regions, err := c.regions()
	if err != nil {
		return nil, err
	}
	for i := range regions {
		if bytes.Equal(regions[i].Root.Raw, issuer.Raw) {
			return &regions[i], nil
		}
	}
	return nil, nil
}

// CertificateStatus looks cert up in its issuer's CRL, when the issuer is a remote region's root.
func (c *Checker) CertificateStatus(cert, issuer *smcrypto.Certificate) (verify.RevocationStatus, error) {
	r, err := c.regionOf(issuer)
	if r == nil || err != nil {
		return verify.RevocationStatus{}, err
	}
	crl, err := c.crl(r)
	if err != nil {
		return verify.RevocationStatus{}, err
	}
	st := verify.RevocationStatus{Known: true, ProducedAt: crl.list.ThisUpdate,
		Source: fmt.Sprintf("the CRL of %s (number %v, from %s)", r.Root.Subject.CommonName, crl.list.Number, host(r.URL))}
	if e, ok := crl.revoked[smcrypto.SerialHex(cert.SerialNumber)]; ok {
		st.Revoked, st.RevokedAt, st.Reason = true, e.RevocationTime, verify.RevocationReason(e.ReasonCode)
		for _, ext := range e.Extensions {
			if ext.Id.Equal(smcrypto.OIDInvalidityDate) {
				var t time.Time
				if _, err := asn1.UnmarshalWithParams(ext.Value, &t, "generalized"); err == nil {
					st.InvalidityDate = t
				}
			}
		}
	}
	return st, nil
}

// crl is the region root's current CRL, fetched again after RefreshAfter.
func (c *Checker) crl(r *Region) (*fetchedCRL, error) {
	u := fmt.Sprintf("%s/v1/crl/%x", r.URL, r.Root.SubjectKeyId)
	e := c.entry(u)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.crl != nil && now.Sub(e.fetched) < c.refreshAfter() && now.Before(e.crl.list.NextUpdate) {
		return e.crl, nil
	}
	body, etag, notModified, err := c.get(u, e.etag, MaxCRLSize)
	if err != nil {
		return nil, fmt.Errorf("the CRL of %s could not be fetched: %w", r.Root.Subject.CommonName, err)
	}
	if !notModified || e.crl == nil {
		list, err := smcrypto.ParseCRL(body)
		if err != nil {
			return nil, fmt.Errorf("the CRL from %s: %w", host(u), err)
		}
		if err := list.CheckSignatureFrom(r.Root); err != nil {
			return nil, fmt.Errorf("the CRL from %s is not signed by %s: %w", host(u), r.Root.Subject.CommonName, err)
		}
		fc := &fetchedCRL{list: list, revoked: map[string]smcrypto.RevocationListEntry{}}
		for _, re := range list.RevokedCertificateEntries {
			fc.revoked[smcrypto.SerialHex(re.SerialNumber)] = re
		}
		if e.crl != nil && list.Number != nil && e.crl.list.Number != nil && list.Number.Cmp(e.crl.list.Number) < 0 {
			return nil, fmt.Errorf("the CRL from %s (number %v) is older than one already seen (number %v)", host(u), list.Number, e.crl.list.Number)
		}
		e.crl, e.etag = fc, etag
	}
	e.fetched = now
	if !now.Before(e.crl.list.NextUpdate) {
		return nil, fmt.Errorf("the CRL of %s is stale: its next update was due %s", r.Root.Subject.CommonName, e.crl.list.NextUpdate.UTC().Format(time.RFC3339))
	}
	return e.crl, nil
}

// SealStatus asks the region whose root certified the seal's maker for the seal's signed status.
func (c *Checker) SealStatus(esID string, sealDER []byte) (verify.RevocationStatus, error) {
	sl, err := seal.ParseSeal(sealDER)
	if err != nil || len(sl.MakerCert) == 0 {
		return verify.RevocationStatus{}, nil
	}
	maker, err := smcrypto.ParseCertificate(sl.MakerCert)
	if err != nil {
		return verify.RevocationStatus{}, nil
	}
	r, err := c.regionOfSigner(maker)
	if r == nil || err != nil {
		return verify.RevocationStatus{}, err
	}
	st, u, err := c.signedStatus(r, "seal", esID)
	if err != nil {
		return verify.RevocationStatus{}, err
	}
	out := verify.RevocationStatus{ProducedAt: st.ProducedAt, Source: fmt.Sprintf("the signed status of %s (from %s)", r.Root.Subject.CommonName, host(u))}
	switch st.State {
	case "good":
		out.Known = true
	case "revoked":
		reason, err := verify.ParseRevocationReason(st.Reason)
		if err != nil {
			return verify.RevocationStatus{}, fmt.Errorf("the status of seal %s: reason %q: %w", esID, st.Reason, err)
		}
		out.Known, out.Revoked, out.RevokedAt, out.Reason, out.InvalidityDate = true, true, st.RevokedAt, reason, st.InvalidityDate
	case "unknown":
	default:
		return verify.RevocationStatus{}, fmt.Errorf("the status of seal %s: state %q", esID, st.State)
	}
	return out, nil
}

// signedStatus is region r's signed status of kind ("seal", "issuance") id, fetched again after
// RefreshAfter or past its nextUpdate; u is where it came from.
func (c *Checker) signedStatus(r *Region, kind, id string) (st *status.Status, u string, err error) {
	u = r.URL + "/v1/status/" + kind + "/" + url.PathEscape(id)
	e := c.entry(u)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.status != nil && now.Sub(e.fetched) < c.refreshAfter() && now.Before(e.status.NextUpdate) {
		return e.status, u, nil
	}
	body, _, _, err := c.get(u, "", MaxStatusSize)
	if err != nil {
		return nil, u, fmt.Errorf("the status of %s %s could not be fetched: %w", kind, id, err)
	}
	got, err := status.Verify(body, []*smcrypto.Certificate{r.Root}, now)
	if err != nil {
		return nil, u, fmt.Errorf("the status of %s %s from %s: %w", kind, id, host(u), err)
	}
	if got.Type != kind || got.ID != id {
		return nil, u, fmt.Errorf("%s answered about %s %s, not %s %s", host(u), got.Type, got.ID, kind, id)
	}
	e.status, e.fetched = got, now
	return got, u, nil
}

// regionOfSigner is the region whose root issued signer.
func (c *Checker) regionOfSigner(signer *smcrypto.Certificate) (*Region, error) {
	regions, err := c.regions()
	if err != nil {
		return nil, err
	}
	for i := range regions {
		if bytes.Equal(signer.RawIssuer, regions[i].Root.RawSubject) && signer.CheckSignatureFrom(regions[i].Root) == nil {
			return &regions[i], nil
		}
	}
	return nil, nil
}

// LicenceStatusForSigner asks the region whose root certified signer which licence the
// signature binding digest issued, and its state; nil when that region knows of none.
func (c *Checker) LicenceStatusForSigner(digest []byte, signer *smcrypto.Certificate) (*verify.LicenceStatus, error) {
	r, err := c.regionOfSigner(signer)
	if r == nil || err != nil {
		return nil, err
	}
	st, u, err := c.signedStatus(r, "issuance", hex.EncodeToString(digest))
	if err != nil {
		return nil, err
	}
	switch st.State {
	case "unknown", "issued":
		return nil, nil
	case "in_force", "changed", "withdrawn", "revoked", "cancelled":
	default:
		return nil, fmt.Errorf("the licence status from %s: state %q", host(u), st.State)
	}
	return &verify.LicenceStatus{ID: st.Licence, State: st.State, Reason: st.Reason, Basis: st.Basis, Replacement: st.Replacement,
		At: st.RevokedAt, Source: fmt.Sprintf("the signed status of %s (from %s)", r.Root.Subject.CommonName, host(u))}, nil
}

// Fallback asks Local first and Remote about what Local does not know; it passes licence
// questions to Local.
type Fallback struct {
	Local  verify.RevocationChecker // may be nil
	Remote *Checker
}

func (f Fallback) CertificateStatus(cert, issuer *smcrypto.Certificate) (verify.RevocationStatus, error) {
	if f.Local != nil {
		st, err := f.Local.CertificateStatus(cert, issuer)
		if err != nil || st.Known {
			return st, err
		}
	}
	return f.Remote.CertificateStatus(cert, issuer)
}

func (f Fallback) SealStatus(esID string, sealDER []byte) (verify.RevocationStatus, error) {
	if local, ok := f.Local.(verify.SealRevocationChecker); ok {
		st, err := local.SealStatus(esID, sealDER)
		if err != nil || st.Known {
			return st, err
		}
	}
	return f.Remote.SealStatus(esID, sealDER)
}

func (f Fallback) LicenceStatus(digest []byte) (*verify.LicenceStatus, error) {
	if local, ok := f.Local.(verify.LicenceChecker); ok {
		return local.LicenceStatus(digest)
	}
	return nil, nil
}

// LicenceStatusForSigner asks Local's registry, then the signer's region.
func (f Fallback) LicenceStatusForSigner(digest []byte, signer *smcrypto.Certificate) (*verify.LicenceStatus, error) {
	if lic, err := f.LicenceStatus(digest); lic != nil || err != nil {
		return lic, err
	}
	return f.Remote.LicenceStatusForSigner(digest, signer)
}

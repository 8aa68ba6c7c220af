// Package trustbundle is the signed trust bundle one region hands to another, so that the other
// region can verify its seals and signatures and ask its service about revocations: what the
// region is, the certificates of its authorities, where it publishes its CRL and statuses, and
// how current that is, signed by the region's root.
//
// # Format (version 1)
//
// A bundle is a JSON envelope:
//
//	{"format":"eseal-trust-bundle/1","payload":"<base64>","signature":"<base64>"}
//
// payload is the base64 (standard, padded) of the payload JSON; signature is the base64 of the
// DER SM2-with-SM3 signature (signer ID 1234567812345678) over the payload's exact bytes, made
// with the key of the root certificate that the payload carries. The payload:
//
//	{"region":{"code":"330100","name":"杭州市行政审批局"},
//	 "sequence":3,                           monotonic per region, from 1
//	 "issued":"2026-12-05T08:00:00Z",
//	 "nextUpdate":"2027-01-04T08:00:00Z",    the bundle is not imported after this
//	 "root":"<base64 DER>",                  the region root: the trust anchor, and the signer
//	 "sealMakers":["<base64 DER>",…],        the root's seal-making authorities (sign seals)
//	 "tsas":["<base64 DER>",…],              the root's timestamping authorities
//	 "statusURL":"https://…",                base URL of the region's eseal service
//	 "crlURL":"https://…/v1/crl/<key ID>"}   the root's CRL
//
// Unknown fields, in the envelope or the payload, are an error: a new format gets a new version.
//
// # Contract
//
// Verify trusts nothing in a bundle until the root it carries has the SHA-256 fingerprint given
// out of band; then it checks the signature with that root's key, that every other certificate
// was issued by that root, and the times. It never panics on any input, reads at most MaxSize
// bytes, and reports every refusal as an *Error with a Reason. Replays (a sequence number not
// above one already imported) are the importer's to refuse: only it knows what it imported.
package trustbundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// FormatV1 is the envelope's format field.
const FormatV1 = "eseal-trust-bundle/1"

// Limits on what Verify accepts.
const (
	MaxSize            = 1 << 20              // the whole bundle
	MaxCertificates    = 16                   // in each of sealMakers and tsas
	MaxCertificateSize = 16 << 10             // one DER certificate
	MaxNameLength      = 256                  // bytes of the region's name
	MaxURLLength       = 2048                 // bytes of each URL
	MaxValidity        = 366 * 24 * time.Hour // from issued to nextUpdate
	// ClockSkew is how far in the future an issue time may be (the two regions' clocks differ).
	ClockSkew = 5 * time.Minute
)

// Bundle is a region's trust bundle, as signed.
type Bundle struct {
	RegionCode string // 6-digit administrative division code
	RegionName string
	Sequence   uint64
	Issued     time.Time
	NextUpdate time.Time
	Root       *smcrypto.Certificate
	SealMakers []*smcrypto.Certificate
	TSAs       []*smcrypto.Certificate
	StatusURL  string
	CRLURL     string
}

// RootFingerprint is the SHA-256 of the root certificate's DER, in lower-case hex.
func (b *Bundle) RootFingerprint() string {
	sum := sha256.Sum256(b.Root.Raw)
	return hex.EncodeToString(sum[:])
}

// Reason says why a bundle was refused.
type Reason int

const (
	Malformed           Reason = iota + 1 // not a bundle, or not one of this format
	TooLarge                              // over a limit
	FingerprintMismatch                   // its root is not the one given out of band
	BadSignature                          // the root's signature does not verify
	BadCertificate                        // a certificate is unusable or not the root's
	Expired                               // its next update has passed
	NotYetValid                           // issued in the future
)

func (r Reason) String() string {
	switch r {
	case Malformed:
		return "malformed"
	case TooLarge:
		return "too large"
	case FingerprintMismatch:
		return "fingerprint mismatch"
	case BadSignature:
		return "bad signature"
	case BadCertificate:
		return "bad certificate"
	case Expired:
		return "expired"
	case NotYetValid:
		return "not yet valid"
	}
	return fmt.Sprintf("reason %d", int(r))
}

// Error is a refused bundle.
type Error struct {
	Reason Reason
	Detail string
	Err    error // the underlying error, if any
}

func (e *Error) Error() string {
	msg := "trust bundle refused (" + e.Reason.String() + "): " + e.Detail
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func refuse(r Reason, err error, format string, args ...any) error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...), Err: err}
}

type envelope struct {
	Format    string `json:"format"`
	Payload   []byte `json:"payload"`
	Signature []byte `json:"signature"`
}

type payload struct {
	Region struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"region"`
	Sequence   uint64    `json:"sequence"`
	Issued     time.Time `json:"issued"`
	NextUpdate time.Time `json:"nextUpdate"`
	Root       []byte    `json:"root"`
	SealMakers [][]byte  `json:"sealMakers"`
	TSAs       [][]byte  `json:"tsas"`
	StatusURL  string    `json:"statusURL"`
	CRLURL     string    `json:"crlURL"`
}

// Sign makes the bundle b, signed by key, the private key of b.Root. It checks b as Verify
// would (except the times against a clock), so that it never writes a bundle nobody can import.
func Sign(b *Bundle, key crypto.Signer) ([]byte, error) {
	if b.Root == nil {
		return nil, errors.New("trustbundle: no root certificate")
	}
	var p payload
	p.Region.Code, p.Region.Name = b.RegionCode, b.RegionName
	p.Sequence, p.Issued, p.NextUpdate = b.Sequence, b.Issued.UTC(), b.NextUpdate.UTC()
	p.Root, p.StatusURL, p.CRLURL = b.Root.Raw, b.StatusURL, b.CRLURL
	p.SealMakers, p.TSAs = [][]byte{}, [][]byte{}
	for _, c := range b.SealMakers {
		p.SealMakers = append(p.SealMakers, c.Raw)
	}
	for _, c := range b.TSAs {
		p.TSAs = append(p.TSAs, c.Raw)
	}
	if _, err := check(&p); err != nil {
		return nil, fmt.Errorf("trustbundle: %w", err)
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || !pub.Equal(b.Root.PublicKey) {
		return nil, errors.New("trustbundle: the key is not the root certificate's")
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	sig, err := smcrypto.SignSM2(key, nil, raw)
	if err != nil {
		return nil, fmt.Errorf("trustbundle: sign: %w", err)
	}
	out, err := json.MarshalIndent(envelope{Format: FormatV1, Payload: raw, Signature: sig}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// ParseFingerprint reads a SHA-256 fingerprint as people copy it: 64 hex digits, upper or lower
// case, with or without colons between the bytes (as OpenSSL prints it).
func ParseFingerprint(s string) ([sha256.Size]byte, error) {
	var fp [sha256.Size]byte
	t := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(t) != 2*sha256.Size {
		return fp, fmt.Errorf("a SHA-256 fingerprint is 64 hex digits (colons allowed), not %q", s)
	}
	if _, err := hex.Decode(fp[:], []byte(t)); err != nil {
		return fp, fmt.Errorf("a SHA-256 fingerprint is 64 hex digits (colons allowed), not %q", s)
	}
	return fp, nil
}

// Read reads a bundle from r, at most MaxSize bytes, for Verify.
func Read(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, refuse(TooLarge, nil, "more than %d bytes", MaxSize)
	}
	return data, nil
}

// Verify checks data, a bundle, against the SHA-256 fingerprint of the region's root given out
// of band, at now, and returns what it says. See the package doc for what is checked.
func Verify(data []byte, rootFingerprint [sha256.Size]byte, now time.Time) (*Bundle, error) {
	if len(data) > MaxSize {
		return nil, refuse(TooLarge, nil, "%d bytes, over the limit of %d", len(data), MaxSize)
	}
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, refuse(Malformed, err, "not a trust bundle")
	}
	if env.Format != FormatV1 {
		return nil, refuse(Malformed, nil, "format %q, not %q", truncate(env.Format, 64), FormatV1)
	}
	if len(env.Payload) == 0 || len(env.Signature) == 0 {
		return nil, refuse(Malformed, nil, "no payload or no signature")
	}
	var p payload
	if err := decodeStrict(env.Payload, &p); err != nil {
		return nil, refuse(Malformed, err, "the payload")
	}
	// Nothing in the payload counts until its root is the one given out of band.
	if len(p.Root) == 0 {
		return nil, refuse(Malformed, nil, "no root certificate")
	}
	if got := sha256.Sum256(p.Root); got != rootFingerprint {
		return nil, refuse(FingerprintMismatch, nil, "its root has SHA-256 %x, not the %x given", got, rootFingerprint)
	}
	b, err := check(&p)
	if err != nil {
		return nil, err
	}
	pub := b.Root.PublicKey.(*ecdsa.PublicKey) // check made sure
	if _, err := smcrypto.VerifySM2(pub, nil, env.Payload, env.Signature); err != nil {
		return nil, refuse(BadSignature, err, "the signature of %s over the payload does not verify", b.Root.Subject.CommonName)
	}
	if b.Issued.After(now.Add(ClockSkew)) {
		return nil, refuse(NotYetValid, nil, "issued %s, later than now (%s)", b.Issued.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(b.NextUpdate) {
		return nil, refuse(Expired, nil, "its next update was due %s: ask region %s for a current bundle", b.NextUpdate.Format(time.RFC3339), b.RegionCode)
	}
	if now.Before(b.Root.NotBefore) || now.After(b.Root.NotAfter) {
		return nil, refuse(BadCertificate, nil, "the root %s is valid from %s to %s, not now", b.Root.Subject.CommonName,
			b.Root.NotBefore.UTC().Format(time.RFC3339), b.Root.NotAfter.UTC().Format(time.RFC3339))
	}
	return b, nil
}

// check validates the payload's content (not its signature, not against a clock) and parses it.
func check(p *payload) (*Bundle, error) {
	if err := seal.ValidateRegionCode(p.Region.Code); err != nil {
		return nil, refuse(Malformed, err, "region code %q", truncate(p.Region.Code, 16))
	}
	switch name := p.Region.Name; {
	case name == "":
		return nil, refuse(Malformed, nil, "no region name")
	case len(name) > MaxNameLength:
		return nil, refuse(TooLarge, nil, "a region name of %d bytes, over %d", len(name), MaxNameLength)
	case strings.ContainsRune(name, utf8.RuneError) || strings.ContainsFunc(name, unicode.IsControl):
		// JSON decoding turns bytes that are not UTF-8 (a name in GBK) into U+FFFD.
		return nil, refuse(Malformed, nil, "the region name is not printable UTF-8")
	}
	if p.Sequence == 0 {
		return nil, refuse(Malformed, nil, "sequence number 0 (they start at 1)")
	}
	if p.Issued.IsZero() || !p.NextUpdate.After(p.Issued) {
		return nil, refuse(Malformed, nil, "next update %s is not after the issue time %s", p.NextUpdate.Format(time.RFC3339), p.Issued.Format(time.RFC3339))
	}
	if p.NextUpdate.Sub(p.Issued) > MaxValidity {
		return nil, refuse(Malformed, nil, "valid from %s to %s, longer than %s", p.Issued.Format(time.RFC3339), p.NextUpdate.Format(time.RFC3339), MaxValidity)
	}
	if err := checkURL("status URL", p.StatusURL); err != nil {
		return nil, err
	}
	if err := checkURL("CRL URL", p.CRLURL); err != nil {
		return nil, err
	}
	root, err := parseCert("the root", p.Root)
	if err != nil {
		return nil, err
	}
	if !root.IsCA {
		return nil, refuse(BadCertificate, nil, "the root %s is not a CA certificate", root.Subject.CommonName)
	}
	if !bytes.Equal(root.RawIssuer, root.RawSubject) || root.CheckSignatureFrom(root) != nil {
		return nil, refuse(BadCertificate, nil, "the root %s is not self-signed", root.Subject.CommonName)
	}
	b := &Bundle{RegionCode: p.Region.Code, RegionName: p.Region.Name, Sequence: p.Sequence, Issued: p.Issued.UTC(),
		NextUpdate: p.NextUpdate.UTC(), Root: root, StatusURL: p.StatusURL, CRLURL: p.CRLURL}
	if b.SealMakers, err = parseIssued("seal maker", p.SealMakers, root, nil); err != nil {
		return nil, err
	}
	if b.TSAs, err = parseIssued("timestamping authority", p.TSAs, root, func(c *smcrypto.Certificate) bool {
		for _, u := range c.ExtKeyUsage {
			if int(u) == int(x509.ExtKeyUsageTimeStamping) { // the same RFC 5280 numbering
				return true
			}
		}
		return false
	}); err != nil {
		return nil, err
	}
	return b, nil
}

func parseCert(what string, der []byte) (*smcrypto.Certificate, error) {
	if len(der) > MaxCertificateSize {
		return nil, refuse(TooLarge, nil, "%s: a certificate of %d bytes, over %d", what, len(der), MaxCertificateSize)
	}
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		return nil, refuse(BadCertificate, err, "%s", what)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || !smcrypto.IsSM2PublicKey(pub) {
		return nil, refuse(BadCertificate, nil, "%s %s has no SM2 key", what, c.Subject.CommonName)
	}
	return c, nil
}

// parseIssued parses certificates that root must have issued; usable, when set, says whether a
// certificate may serve as what.
func parseIssued(what string, ders [][]byte, root *smcrypto.Certificate, usable func(*smcrypto.Certificate) bool) ([]*smcrypto.Certificate, error) {
	if len(ders) > MaxCertificates {
		return nil, refuse(TooLarge, nil, "%d %s certificates, over %d", len(ders), what, MaxCertificates)
	}
	var out []*smcrypto.Certificate
	for i, der := range ders {
		c, err := parseCert(fmt.Sprintf("%s certificate %d", what, i+1), der)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(c.RawIssuer, root.RawSubject) || c.CheckSignatureFrom(root) != nil {
			return nil, refuse(BadCertificate, nil, "%s %s was not issued by the root %s", what, c.Subject.CommonName, root.Subject.CommonName)
		}
		if usable != nil && !usable(c) {
			return nil, refuse(BadCertificate, nil, "%s %s is not certified for that use", what, c.Subject.CommonName)
		}
		out = append(out, c)
	}
	return out, nil
}

func checkURL(what, s string) error {
	if len(s) > MaxURLLength {
		return refuse(TooLarge, nil, "a %s of %d bytes, over %d", what, len(s), MaxURLLength)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return refuse(Malformed, nil, "the %s is not an absolute http or https URL: %q", what, truncate(s, 128))
	}
	return nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields and nothing after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

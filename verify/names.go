package verify

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// This file turns certificates, times, digests and OIDs into the words a report uses.

// attributeLabels are the short labels of RFC 4514 plus the ones people know from certificates.
var attributeLabels = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
	"2.5.4.42": "GN", "2.5.4.97": "organizationIdentifier", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID", "1.2.840.113549.1.9.1": "E",
}

// nameString renders a distinguished name most specific first (CN first), as people read it,
// with every attribute decoded (Go's pkix.Name.String prints unknown ones, such as the e-mail
// address, as hex).
func nameString(n pkix.Name) string {
	if len(n.Names) == 0 {
		return n.String()
	}
	parts := make([]string, 0, len(n.Names))
	for i := len(n.Names) - 1; i >= 0; i-- {
		atv := n.Names[i]
		label, ok := attributeLabels[atv.Type.String()]
		if !ok {
			label = atv.Type.String()
		}
		parts = append(parts, label+"="+fmt.Sprint(atv.Value))
	}
	return strings.Join(parts, ", ")
}

func subjectOf(c *smcrypto.Certificate) string {
	if c == nil {
		return "(unknown)"
	}
	return cachedWords(c.RawSubject, 's', func() string { return nameString(c.Subject) })
}

func issuerOf(c *smcrypto.Certificate) string {
	if c == nil {
		return "(unknown)"
	}
	return cachedWords(c.RawIssuer, 's', func() string { return nameString(c.Issuer) })
}

// certLabel names a certificate in a detail: its subject and serial.
func certLabel(c *smcrypto.Certificate) string {
	if c == nil {
		return "(no certificate)"
	}
	return cachedWords(c.Raw, 'l', func() string {
		return fmt.Sprintf("%q (serial %s)", subjectOf(c), smcrypto.SerialHex(c.SerialNumber))
	})
}

// words remembers how names and certificates are written: a report names the same few
// certificates many times, and rendering a name is not cheap. Keyed by kind and DER, it holds
// at most 256 entries of each kind (a few hundred KiB) for the whole process.
var words = struct {
	sync.Mutex
	m map[byte]map[string]string
}{m: map[byte]map[string]string{'s': {}, 'l': {}}}

func cachedWords(der []byte, kind byte, render func() string) string {
	words.Lock()
	s, ok := words.m[kind][string(der)]
	words.Unlock()
	if ok {
		return s
	}
	s = render()
	words.Lock()
	m := words.m[kind]
	if len(m) >= 256 {
		clear(m)
	}
	m[string(der)] = s
	words.Unlock()
	return s
}

// commonName is the CN of a certificate, or its whole subject when it has none.
func commonName(c *smcrypto.Certificate) string {
	if c == nil {
		return ""
	}
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return subjectOf(c)
}

func partyOf(c *smcrypto.Certificate) *Party {
	if c == nil {
		return nil
	}
	return &Party{
		Subject:    subjectOf(c),
		CommonName: c.Subject.CommonName,
		Issuer:     issuerOf(c),
		Serial:     smcrypto.SerialHex(c.SerialNumber),
		NotBefore:  c.NotBefore.UTC(),
		NotAfter:   c.NotAfter.UTC(),
	}
}

// fmtTime is the form of every time in a detail: exact and unambiguous, in Options.TimeZone
// (UTC by default), with the zone's name.
func (v *verifier) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "(no time)"
	}
	return t.In(v.zone).Format("2006-01-02 15:04:05 MST")
}

// digestPrefix shows the first bytes of a digest, enough to compare by eye.
func digestPrefix(d []byte) string {
	if len(d) == 0 {
		return "(empty)"
	}
	if len(d) > 8 {
		return hex.EncodeToString(d[:8]) + "…"
	}
	return hex.EncodeToString(d)
}

var oidNames = map[smcrypto.OID]string{
	smcrypto.OIDSM3: "SM3", smcrypto.OIDSHA1: "SHA-1", smcrypto.OIDSHA224: "SHA-224",
	smcrypto.OIDSHA256: "SHA-256", smcrypto.OIDSHA384: "SHA-384", smcrypto.OIDSHA512: "SHA-512",
	smcrypto.OIDSM2WithSM3: "SM2-with-SM3", smcrypto.OIDSM2Sign: "SM2 (sm2-1)",
	smcrypto.OIDRSAEncryption: "RSA", smcrypto.OIDSHA1WithRSA: "SHA-1 with RSA",
	smcrypto.OIDSHA224WithRSA: "SHA-224 with RSA", smcrypto.OIDSHA256WithRSA: "SHA-256 with RSA",
	smcrypto.OIDSHA384WithRSA: "SHA-384 with RSA", smcrypto.OIDSHA512WithRSA: "SHA-512 with RSA",
	smcrypto.OIDRSASSAPSS: "RSASSA-PSS", smcrypto.OIDECPublicKey: "ECDSA",
	smcrypto.OIDECDSAWithSHA1: "ECDSA with SHA-1", smcrypto.OIDECDSAWithSHA224: "ECDSA with SHA-224",
	smcrypto.OIDECDSAWithSHA256: "ECDSA with SHA-256", smcrypto.OIDECDSAWithSHA384: "ECDSA with SHA-384",
	smcrypto.OIDECDSAWithSHA512: "ECDSA with SHA-512",
	smcrypto.OIDData:            "id-data", smcrypto.OIDGMData: "GM/T 0010 data",
	smcrypto.OIDSignedData: "id-signedData", smcrypto.OIDGMSignedData: "GM/T 0010 signedData",
	oidTSTInfo: "id-ct-TSTInfo",
}

// oidName is "Name (dotted)" for a known OID, the dotted form otherwise.
func oidName(o smcrypto.OID) string {
	if n, ok := oidNames[o]; ok {
		return fmt.Sprintf("%s (%s)", n, o)
	}
	return string(o)
}

// shortOIDName is the name alone when known.
func shortOIDName(o smcrypto.OID) string {
	if n, ok := oidNames[o]; ok {
		return n
	}
	return string(o)
}

// keyDescription names a public key's type and size.
func keyDescription(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d-bit", k.N.BitLen())
	case *ecdsa.PublicKey:
		if smcrypto.IsSM2PublicKey(k) {
			return "SM2 256-bit"
		}
		if k.Curve != nil {
			return "ECDSA " + k.Curve.Params().Name
		}
	}
	return fmt.Sprintf("%T", pub)
}

// reasonName is a reason as details write it: "keyCompromise (1)".
func reasonName(r RevocationReason) string {
	if _, ok := reasonNames[r]; ok {
		return fmt.Sprintf("%s (%d)", r, int(r))
	}
	return r.String()
}

// oidFromASN1 converts an encoding/asn1 identifier to the project's OID type.
func oidFromASN1(o asn1.ObjectIdentifier) smcrypto.OID { return smcrypto.OID(o.String()) }

// plural writes "1 revision" or "2 revisions".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// pkixName parses a raw DER Name.
type pkixName struct{ pkix.Name }

func (n *pkixName) parse(raw []byte) error {
	var rdn pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &rdn)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%d bytes after the name", len(rest))
	}
	n.Name.FillFromRDNSequence(&rdn)
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

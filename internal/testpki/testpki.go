// Package testpki builds the small SM2 PKIs the tests use: a region root, a seal holder's
// signing certificate, a seal maker, a timestamping authority, and GB/T 38540 seals made by
// that maker for chosen signers. Every package above internal/smcrypto and internal/seal builds
// its certificates and seals here (those two test their own primitives with their own minimal
// helpers, since this package is built on them).
//
// The default timeline is fixed, so that validity and revocation tests are exact: the root is
// valid from RootStart for ten years, the signer from a month later for three years, documents
// are signed at SignTime and verified at Now.
package testpki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"sync"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The default timeline.
var (
	RootStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	SignTime  = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) // the claimed signing time
	Now       = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)  // the validation time
)

// CertOptions changes a certificate's validity and key usage.
type CertOptions struct {
	NotBefore, NotAfter time.Time
	KeyUsage            x509.KeyUsage
}

// Options configures New; the zero value is the default PKI.
type Options struct {
	// RootCN is the root's common name; "" means "Test Region Root".
	RootCN string
	// Start is when the root, the seal maker and the TSA become valid (for ten years); zero
	// means RootStart.
	Start time.Time
	// Signer changes the signer's certificate; nil means valid from a month after RootStart
	// for three years, any key usage.
	Signer *CertOptions
}

// PKI is a root and the certificates it issued, with their keys.
type PKI struct {
	RootKey, SignerKey, MakerKey, TSAKey crypto.Signer
	Root, Signer, Maker, TSA             *smcrypto.Certificate
}

// New makes a root, a signer (CN 审批专用章), a seal maker and a TSA (timeStamping extended key
// usage), all under O=某市行政审批局.
func New(t testing.TB, o Options) *PKI {
	t.Helper()
	p := &PKI{}
	for _, k := range []*crypto.Signer{&p.RootKey, &p.SignerKey, &p.MakerKey, &p.TSAKey} {
		*k = Key(t)
	}
	cn := o.RootCN
	if cn == "" {
		cn = "Test Region Root"
	}
	start := o.Start
	if start.IsZero() {
		start = RootStart
	}
	var err error
	p.Root, err = smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{"测试政务CA"}, CommonName: cn},
		NotBefore: start, NotAfter: start.AddDate(10, 0, 0), IsCA: true,
	}, p.RootKey.Public(), nil, p.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	so := CertOptions{NotBefore: start.AddDate(0, 1, 0), NotAfter: start.AddDate(3, 0, 0)}
	if o.Signer != nil {
		so = *o.Signer
	}
	p.Signer = p.Issue(t, "审批专用章", p.SignerKey, so.NotBefore, so.NotAfter, so.KeyUsage, nil)
	p.Maker = p.Issue(t, "Seal Maker", p.MakerKey, start, start.AddDate(10, 0, 0), 0, nil)
	p.TSA = p.Issue(t, "Test TSA", p.TSAKey, start, start.AddDate(10, 0, 0), x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping})
	return p
}

// Key returns a new SM2 key.
func Key(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Issue makes a certificate for key, signed by the root.
func (p *PKI) Issue(t testing.TB, cn string, key crypto.Signer, notBefore, notAfter time.Time, ku x509.KeyUsage, eku []x509.ExtKeyUsage) *smcrypto.Certificate {
	t.Helper()
	c, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{"某市行政审批局"}, CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: ku, ExtKeyUsage: eku,
	}, key.Public(), p.Root, p.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Chain is the signer's chain, signer first.
func (p *PKI) Chain() []*smcrypto.Certificate { return []*smcrypto.Certificate{p.Signer, p.Root} }

// SealOptions describes a seal; the zero value is the default seal.
type SealOptions struct {
	// Name is the seal's name; "" means 某市行政审批局审批专用章.
	Name string
	// ESID is the seal's code; "" means 33010000000001.
	ESID string
	// Allowed are the certificates that may sign with the seal; nil means the PKI's signer.
	Allowed []*smcrypto.Certificate
	// From and Until bound the seal's validity (From is also its creation date); zero means
	// RootStart and five years after.
	From, Until time.Time
	// Picture is the seal's picture; nil means a generated 20 mm one.
	Picture *seal.Picture
}

var (
	pictureOnce sync.Once
	picture     seal.Picture
	pictureErr  error
)

// Seal makes a version 4 seal with the PKI's seal maker; its DER is Raw.
func (p *PKI) Seal(t testing.TB, o SealOptions) *seal.Seal {
	t.Helper()
	if o.Name == "" {
		o.Name = "某市行政审批局审批专用章"
	}
	if o.ESID == "" {
		o.ESID = "33010000000001"
	}
	if o.Allowed == nil {
		o.Allowed = []*smcrypto.Certificate{p.Signer}
	}
	if o.From.IsZero() {
		o.From = RootStart
	}
	if o.Until.IsZero() {
		o.Until = o.From.AddDate(5, 0, 0)
	}
	pictureOnce.Do(func() { picture, pictureErr = seal.GeneratePicture("审批专用章", "33010000000001", 20) })
	if pictureErr != nil {
		t.Fatal(pictureErr)
	}
	pic := picture
	if o.Picture != nil {
		pic = *o.Picture
	}
	var ders [][]byte
	for _, c := range o.Allowed {
		ders = append(ders, c.Raw)
	}
	s, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: o.ESID, Name: o.Name, SignerCerts: ders,
		CreateDate: o.From, ValidStart: o.From, ValidEnd: o.Until, Picture: pic,
	}, p.Maker.Raw, p.MakerKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SESignature is an SES_Signature (seal.BuildSignature) by the signer with sealDER over content,
// naming it name, made at signedAt.
func (p *PKI) SESignature(t testing.TB, sealDER, content []byte, name string, signedAt time.Time) []byte {
	t.Helper()
	sum := smcrypto.SM3(content)
	sig, err := seal.BuildSignature(seal.NewSignatureOptions{Seal: sealDER, TimeInfo: signedAt, DataHash: sum[:], PropertyInfo: name}, p.Signer.Raw, p.SignerKey)
	if err != nil {
		t.Fatal(err)
	}
	return sig.Raw
}

// SESignatureUnchecked is SESignature without BuildSignature's rules: the seal need not list
// the signer. It makes the signatures a verifier must refuse.
func (p *PKI) SESignatureUnchecked(t testing.TB, sealDER, content []byte, name string, signedAt time.Time) []byte {
	t.Helper()
	sum := smcrypto.SM3(content)
	var tbs cryptobyte.Builder
	tbs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(4)
		b.AddBytes(sealDER)
		b.AddASN1GeneralizedTime(signedAt.UTC())
		b.AddASN1BitString(sum[:])
		b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
	})
	tbsDER := tbs.BytesOrPanic()
	value, err := smcrypto.SignSM2(p.SignerKey, nil, tbsDER)
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		b.AddASN1OctetString(p.Signer.Raw)
		b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501})
		b.AddASN1BitString(value)
	})
	return b.BytesOrPanic()
}

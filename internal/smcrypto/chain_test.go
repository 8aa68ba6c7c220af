package smcrypto

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

func chainNames(chain []*Certificate) string {
	var names []string
	for _, c := range chain {
		names = append(names, c.Subject.CommonName)
	}
	return strings.Join(names, " → ")
}

func TestBuildChainValid(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name          string
		intermediates []*Certificate
		roots         []*Certificate
		at            time.Time
		want          []*Certificate
	}{
		{"three levels", []*Certificate{p.inter}, []*Certificate{p.root}, testNow, []*Certificate{p.leaf, p.inter, p.root}},
		{"zero time means now", []*Certificate{p.inter}, []*Certificate{p.root}, time.Time{}, []*Certificate{p.leaf, p.inter, p.root}},
		{"intermediate trusted: shortest chain", []*Certificate{p.inter}, []*Certificate{p.root, p.inter}, testNow, []*Certificate{p.leaf, p.inter}},
		{"leaf itself trusted", nil, []*Certificate{p.leaf}, testNow, []*Certificate{p.leaf}},
		{"unrelated extras ignored", []*Certificate{p.root, p.inter, nil}, []*Certificate{nil, p.root}, testNow, []*Certificate{p.leaf, p.inter, p.root}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := BuildChain(p.leaf, tt.intermediates, tt.roots, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if chainNames(chain) != chainNames(tt.want) {
				t.Fatalf("chain %s, want %s", chainNames(chain), chainNames(tt.want))
			}
		})
	}
}

func TestBuildChainErrors(t *testing.T) {
	p := newTestPKI(t)
	otherKey := mustKey(t)
	otherRoot := mustCert(t, caTemplate("Other Root"), otherKey.Public(), nil, otherKey)

	// An intermediate that expired yesterday, with a leaf that is still valid.
	expiredKey := mustKey(t)
	expTmpl := caTemplate("Expired CA")
	expTmpl.NotBefore, expTmpl.NotAfter = testNow.Add(-72*time.Hour), testNow.Add(-24*time.Hour)
	expiredCA := mustCert(t, expTmpl, expiredKey.Public(), p.root, p.rootKey)
	underExpired := mustCert(t, leafTemplate("under expired"), mustKey(t).Public(), expiredCA, expiredKey)

	// A certificate issued by the leaf (not a CA).
	fromLeaf := issueUnchecked(t, "issued by leaf", p.leaf, p.leafKey)

	// A CA whose keyUsage lacks keyCertSign.
	noSignKey := mustKey(t)
	noSignTmpl := caTemplate("No keyCertSign CA")
	noSignTmpl.KeyUsage = x509.KeyUsageDigitalSignature
	noSignCA := mustCert(t, noSignTmpl, noSignKey.Public(), p.root, p.rootKey)
	underNoSign := issueUnchecked(t, "under noSign", noSignCA, noSignKey)

	// pathLenConstraint 0 on the root, yet an intermediate below it.
	plRootKey, plInterKey := mustKey(t), mustKey(t)
	plTmpl := caTemplate("PathLen0 Root")
	plTmpl.MaxPathLenZero = true
	plRoot := mustCert(t, plTmpl, plRootKey.Public(), nil, plRootKey)
	plInter := mustCert(t, caTemplate("PathLen Inter"), plInterKey.Public(), plRoot, plRootKey)
	plLeaf := mustCert(t, leafTemplate("PathLen Leaf"), mustKey(t).Public(), plInter, plInterKey)

	// Tampered leaf: one byte of the subject name changed after signing.

	tamperedDER := append([]byte{}, p.leaf.Raw...)
	idx := strings.Index(string(tamperedDER), "Test Seal")
	tamperedDER[idx] = 'B'
	tampered, err := ParseCertificate(tamperedDER)
	if err != nil {
		t.Fatal(err)
	}
	// Tampered signature value.
	badSigDER := append([]byte{}, p.leaf.Raw...)
	badSigDER[len(badSigDER)-3] ^= 0x40
	badSig, err := ParseCertificate(badSigDER)
	if err != nil {
		t.Fatal(err)
	}

	// A leaf with an unknown critical extension.
	critTmpl := &smx509.Certificate{
		SerialNumber: p.leaf.SerialNumber, Subject: pkix.Name{CommonName: "critical"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}},
	}
	critDER, err := smx509.CreateCertificate(rand.Reader, critTmpl, p.inter, mustKey(t).Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	crit, err := ParseCertificate(critDER)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		leaf          *Certificate
		intermediates []*Certificate
		roots         []*Certificate
		at            time.Time
		reason        ChainErrorReason
		cert          *Certificate // the certificate the error must name
	}{
		{"expired intermediate", underExpired, []*Certificate{expiredCA}, []*Certificate{p.root}, testNow, ChainExpired, expiredCA},
		{"expired leaf", p.leaf, []*Certificate{p.inter}, []*Certificate{p.root}, testNow.Add(60 * 24 * time.Hour), ChainExpired, p.leaf},
		{"leaf not yet valid", p.leaf, []*Certificate{p.inter}, []*Certificate{p.root}, testNow.Add(-2 * time.Hour), ChainExpired, p.leaf},
		{"untrusted root", p.leaf, []*Certificate{p.inter}, []*Certificate{otherRoot}, testNow, ChainNoPath, p.inter},
		{"root only as intermediate", p.leaf, []*Certificate{p.inter, p.root}, []*Certificate{otherRoot}, testNow, ChainNoPath, p.root},
		{"missing intermediate", p.leaf, nil, []*Certificate{p.root}, testNow, ChainNoPath, p.leaf},
		{"no trust anchors", p.leaf, []*Certificate{p.inter}, nil, testNow, ChainNoPath, p.leaf},
		{"leaf used as issuer", fromLeaf, []*Certificate{p.leaf, p.inter}, []*Certificate{p.root}, testNow, ChainNotAuthorized, p.leaf},
		{"CA without keyCertSign", underNoSign, []*Certificate{noSignCA}, []*Certificate{p.root}, testNow, ChainNotAuthorized, noSignCA},
		{"path length exceeded", plLeaf, []*Certificate{plInter}, []*Certificate{plRoot}, testNow, ChainNotAuthorized, plRoot},
		{"tampered subject", tampered, []*Certificate{p.inter}, []*Certificate{p.root}, testNow, ChainBadSignature, tampered},
		{"tampered signature", badSig, []*Certificate{p.inter}, []*Certificate{p.root}, testNow, ChainBadSignature, badSig},
		{"unhandled critical extension", crit, []*Certificate{p.inter}, []*Certificate{p.root}, testNow, ChainOther, p.leaf},
		{"nil leaf", nil, nil, []*Certificate{p.root}, testNow, ChainOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := BuildChain(tt.leaf, tt.intermediates, tt.roots, tt.at)
			if err == nil {
				t.Fatalf("no error, chain %s", chainNames(chain))
			}
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ChainError: %v", err, err)
			}
			if ce.Reason != tt.reason {
				t.Fatalf("reason %v, want %v (%v)", ce.Reason, tt.reason, err)
			}
			if tt.reason != ChainOther && tt.cert != nil && (ce.Cert == nil || !ce.Cert.Equal(tt.cert)) {
				got := "<nil>"
				if ce.Cert != nil {
					got = ce.Cert.Subject.CommonName
				}
				t.Errorf("error names %s, want %s", got, tt.cert.Subject.CommonName)
			}
			if !strings.Contains(err.Error(), tt.reason.String()) {
				t.Errorf("message %q lacks the reason", err)
			}
		})
	}
}

func TestChainErrorReasonString(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range []ChainErrorReason{ChainOther, ChainNoPath, ChainExpired, ChainNotAuthorized, ChainBadSignature} {
		s := r.String()
		if s == "" || seen[s] {
			t.Errorf("reason %d: string %q empty or duplicated", int(r), s)
		}
		seen[s] = true
	}
	if ChainErrorReason(99).String() != ChainOther.String() {
		t.Error("unknown reason should read as the generic failure")
	}
}

func TestChainErrorUnwrap(t *testing.T) {
	p := newTestPKI(t)
	_, err := BuildChain(p.leaf, []*Certificate{p.inter}, []*Certificate{p.root}, testNow.Add(-48*time.Hour))
	var inv smx509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != smx509.Expired {
		t.Errorf("underlying smx509 error not reachable: %v", err)
	}
	if !strings.Contains(err.Error(), SerialHex(p.leaf.SerialNumber)) {
		t.Errorf("message lacks the serial: %v", err)
	}
}

// TestBuildChainCorpus: the signer of a real SM2 PDF chains to the corpus root at signing time.
func TestBuildChainCorpus(t *testing.T) {
	sd, err := ParseSignedData(readTestdata(t, "cms/pdf-15-sig1.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := ParseCertificates(readTestdata(t, "sm2-test-root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	signer := sd.SignerCertificate(si)
	chain, err := BuildChain(signer, sd.Certificates, roots, si.SigningTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[1].Equal(roots[0]) {
		t.Errorf("chain %s", chainNames(chain))
	}
	if _, err := BuildChain(signer, nil, roots, signer.NotAfter.Add(time.Hour)); err == nil {
		t.Error("expired signer accepted")
	}
}

// issueUnchecked issues a leaf with smx509 directly, for issuers CreateCertificate refuses.
func issueUnchecked(t *testing.T, cn string, issuer *Certificate, issuerKey crypto.Signer) *Certificate {
	t.Helper()
	tmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: cn},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, issuer, mustKey(t).Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

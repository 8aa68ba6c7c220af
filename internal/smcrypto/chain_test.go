package smcrypto

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"sync"
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
		{"expired leaf whose issuer is missing", p.leaf, nil, []*Certificate{p.root}, testNow.Add(60 * 24 * time.Hour), ChainNoPath, p.leaf},
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
	for _, r := range []ChainErrorReason{ChainOther, ChainNoPath, ChainExpired, ChainNotAuthorized, ChainBadSignature, ChainWeakAlgorithm} {
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
	return createParsed(t, tmpl, issuer, mustKey(t).Public(), issuerKey)
}

// createParsed creates a certificate with smx509 and parses it back.
func createParsed(t *testing.T, tmpl, parent *Certificate, pub any, key crypto.Signer) *Certificate {
	t.Helper()
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFindChainTimes: the path search does not depend on time; the validity periods are judged
// afterwards, at each time asked, and a path whose certificates were never valid together fails.
func TestFindChainTimes(t *testing.T) {
	p := newTestPKI(t)
	b := NewChainBuilder([]*Certificate{p.root})
	later := testNow.Add(60 * 24 * time.Hour) // the leaf has expired, its issuers have not
	chain, err := b.FindChain(p.leaf, []*Certificate{p.inter}, ChainOptions{Prefer: []time.Time{later}})
	if err != nil {
		t.Fatal(err)
	}
	if chainNames(chain) != chainNames([]*Certificate{p.leaf, p.inter, p.root}) {
		t.Fatalf("chain %s", chainNames(chain))
	}
	if err := CheckValidityAt(chain, testNow); err != nil {
		t.Errorf("valid now: %v", err)
	}
	err = CheckValidityAt(chain, later)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Reason != ChainExpired || !ce.Cert.Equal(p.leaf) || !strings.Contains(ce.Detail, "after its validity ended") {
		t.Errorf("at %v: %v, want the leaf expired", later, err)
	}
	err = CheckValidityAt(chain, testNow.Add(-48*time.Hour))
	if !errors.As(err, &ce) || ce.Reason != ChainExpired || !ce.Cert.Equal(p.leaf) || !strings.Contains(ce.Detail, "before its validity starts") {
		t.Errorf("before: %v, want the leaf not yet valid", err)
	}

	// A CA that expired before the certificate it issued became valid.
	oldKey := mustKey(t)
	oldTmpl := caTemplate("Old CA")
	oldTmpl.NotBefore, oldTmpl.NotAfter = testNow.Add(-72*time.Hour), testNow.Add(-48*time.Hour)
	oldCA := mustCert(t, oldTmpl, oldKey.Public(), p.root, p.rootKey)
	afterCA := issueUnchecked(t, "issued by the old CA", oldCA, oldKey)
	_, err = b.FindChain(afterCA, []*Certificate{oldCA}, ChainOptions{})
	if !errors.As(err, &ce) || ce.Reason != ChainExpired || !ce.Cert.Equal(oldCA) || !strings.Contains(ce.Detail, "no time at which the path's certificates were valid together") {
		t.Errorf("disjoint validity: %v", err)
	}
	// The same path with a forged signature is reported as forged, not as a matter of time.
	forgedDER := append([]byte{}, afterCA.Raw...)
	forgedDER[len(forgedDER)-3] ^= 0x40
	forged, err := ParseCertificate(forgedDER)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = b.FindChain(forged, []*Certificate{oldCA}, ChainOptions{}); !errors.As(err, &ce) || ce.Reason != ChainBadSignature || !ce.Cert.Equal(forged) {
		t.Errorf("disjoint validity and forged: %v", err)
	}
}

// TestChainBuilderRemembers: a builder verifies each path once, however often it is asked, and
// however the certificates are passed (the anchor among the intermediates, as CMS carry it).
func TestChainBuilderRemembers(t *testing.T) {
	p := newTestPKI(t)
	b := NewChainBuilder([]*Certificate{p.root})
	for i := range 3 {
		chain, err := b.FindChain(p.leaf, []*Certificate{p.leaf, p.inter, p.root}, ChainOptions{Prefer: []time.Time{testNow}})
		if err != nil || len(chain) != 3 {
			t.Fatalf("call %d: %s, %v", i+1, chainNames(chain), err)
		}
	}
	if _, err := b.FindChain(p.inter, []*Certificate{p.root}, ChainOptions{}); err != nil {
		t.Fatal(err)
	}
	if b.runs != 2 {
		t.Errorf("%d path verifications, want 2 (leaf→inter→root, inter→root)", b.runs)
	}
	tampered := append([]byte{}, p.leaf.Raw...)
	tampered[len(tampered)-3] ^= 0x40
	bad, err := ParseCertificate(tampered)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var ce *ChainError
		if _, err := b.FindChain(bad, []*Certificate{p.inter}, ChainOptions{}); !errors.As(err, &ce) || ce.Reason != ChainBadSignature {
			t.Fatalf("tampered leaf: %v", err)
		}
	}
	if b.runs != 3 {
		t.Errorf("%d path verifications, want 3: a failure is remembered too", b.runs)
	}
}

// pdf08Chain returns the signer of pdf-08 (John B Harris), the certificates its CMS carries,
// and the Adobe Root CA among them: a real 2009 chain signed with SHA-1.
func pdf08Chain(t *testing.T) (signer *Certificate, certs []*Certificate, root *Certificate) {
	t.Helper()
	sd, err := ParseSignedData(readTestdata(t, "cms/pdf-08-sig1.p7s"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sd.Certificates {
		if c.Subject.CommonName == "Adobe Root CA" {
			root = c
		}
	}
	signer = sd.SignerCertificate(sd.Signers[0])
	if root == nil || signer == nil {
		t.Fatal("pdf-08's CMS lacks the Adobe root or the signer")
	}
	return signer, sd.Certificates, root
}

// TestBuildChainWeakAlgorithm: a real 2009 chain signed with SHA-1 (John B Harris → GeoTrust CA
// for Adobe → Adobe Root CA, from pdf-08) is refused for its algorithm, not reported as forged.
func TestBuildChainWeakAlgorithm(t *testing.T) {
	signer, certs, root := pdf08Chain(t)
	_, err := BuildChain(signer, certs, []*Certificate{root}, time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC))
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Reason != ChainWeakAlgorithm || !ce.Cert.Equal(signer) {
		t.Fatalf("error %v, want %v naming the signer", err, ChainWeakAlgorithm)
	}
	if !strings.Contains(err.Error(), "weak algorithm") || !strings.Contains(ce.Detail, "SHA1-RSA") {
		t.Errorf("message %q", err)
	}
}

// TestChainBuilderConcurrent: callers asking for the same path at once share one verification.
func TestChainBuilderConcurrent(t *testing.T) {
	p := newTestPKI(t)
	b := NewChainBuilder([]*Certificate{p.root})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chain, err := b.FindChain(p.leaf, []*Certificate{p.inter, p.root}, ChainOptions{})
			if err == nil && len(chain) != 3 {
				err = errors.New("chain " + chainNames(chain))
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if b.runs != 1 {
		t.Errorf("%d path verifications, want 1", b.runs)
	}
}

// TestFindChainAllowSHA1: with AllowSHA1 a SHA-1 path is checked here (signatures, CA bits,
// path length), MD5 stays refused, and constraints this package does not evaluate are refused.
func TestFindChainAllowSHA1(t *testing.T) {
	harris, certs, adobe := pdf08Chain(t)
	sha1 := ChainOptions{AllowSHA1: true}
	chain, err := NewChainBuilder([]*Certificate{adobe}).FindChain(harris, certs, sha1)
	if err != nil || chainNames(chain) != "John B Harris → GeoTrust CA for Adobe → Adobe Root CA" {
		t.Fatalf("pdf-08 with SHA-1 allowed: %s, %v", chainNames(chain), err)
	}

	newRSA := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rootKey := newRSA()
	issue := func(tmpl *smx509.Certificate, pub any, parent *smx509.Certificate, key crypto.Signer) *Certificate {
		t.Helper()
		tmpl.NotBefore, tmpl.NotAfter = testNow.Add(-time.Hour), testNow.Add(time.Hour)
		if parent == nil {
			parent = tmpl
		}
		return createParsed(t, tmpl, parent, pub, key)
	}
	ca := func(cn string, serial int64) *smx509.Certificate {
		return &smx509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign, MaxPathLen: -1}
	}
	root := issue(ca("RSA Root", 1), rootKey.Public(), nil, rootKey)
	interKey := newRSA()
	interTmpl := ca("SHA-1 CA", 2)
	interTmpl.SignatureAlgorithm = smx509.SHA1WithRSA
	inter := issue(interTmpl, interKey.Public(), root, rootKey)
	leafOf := func(cn string, alg smx509.SignatureAlgorithm, issuer *Certificate, key crypto.Signer) *Certificate {
		return issue(&smx509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: cn}, SignatureAlgorithm: alg},
			mustKey(t).Public(), issuer, key)
	}
	leaf := leafOf("SHA-1 leaf", smx509.SHA1WithRSA, inter, interKey)
	// Go no longer signs with MD5: the algorithm of a SHA-1 certificate is relabelled
	// md5WithRSAEncryption (1.2.840.113549.1.1.4), in the TBS and outside.
	sha1OID := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}
	md5OID := append(append([]byte{}, sha1OID[:10]...), 0x04)
	md5DER := bytes.ReplaceAll(leafOf("MD5 leaf", smx509.SHA1WithRSA, inter, interKey).Raw, sha1OID, md5OID)
	md5Leaf, err := ParseCertificate(md5DER)
	if err != nil || md5Leaf.SignatureAlgorithm != smx509.MD5WithRSA {
		t.Fatalf("MD5 certificate: %v", err)
	}
	forgedDER := append([]byte{}, leaf.Raw...)
	forgedDER[len(forgedDER)-5] ^= 0x10
	forged, err := ParseCertificate(forgedDER)
	if err != nil {
		t.Fatal(err)
	}
	// An end-entity certificate (no CA bit) that signed another with SHA-1.
	eeKey := newRSA()
	ee := issue(&smx509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "not a CA"},
		SignatureAlgorithm: smx509.SHA1WithRSA, BasicConstraintsValid: true}, eeKey.Public(), root, rootKey)
	underEE := leafOf("under an end entity", smx509.SHA1WithRSA, ee, eeKey)
	// A CA issued by that end entity: smx509 stops at the SHA-1 signature below it, so the
	// end entity is this package's own finding.
	caUnderEEKey := newRSA()
	caUnderEETmpl := ca("CA under an end entity", 8)
	caUnderEETmpl.SignatureAlgorithm = smx509.SHA1WithRSA
	caUnderEE := issue(caUnderEETmpl, caUnderEEKey.Public(), ee, eeKey)
	belowIt := leafOf("below it", smx509.SHA1WithRSA, caUnderEE, caUnderEEKey)
	// A CA with name constraints, and one with pathLenConstraint 0 above another CA.
	ncKey := newRSA()
	ncTmpl := ca("Constrained CA", 5)
	ncTmpl.SignatureAlgorithm, ncTmpl.PermittedDNSDomains = smx509.SHA1WithRSA, []string{"example.cn"}
	nc := issue(ncTmpl, ncKey.Public(), root, rootKey)
	underNC := leafOf("under constraints", smx509.SHA1WithRSA, nc, ncKey)
	pl0Key := newRSA()
	pl0Tmpl := ca("PathLen0 CA", 6)
	pl0Tmpl.SignatureAlgorithm, pl0Tmpl.MaxPathLen, pl0Tmpl.MaxPathLenZero = smx509.SHA1WithRSA, 0, true
	pl0 := issue(pl0Tmpl, pl0Key.Public(), root, rootKey)
	subKey := newRSA()
	subTmpl := ca("Sub CA", 7)
	subTmpl.SignatureAlgorithm = smx509.SHA1WithRSA
	sub := issue(subTmpl, subKey.Public(), pl0, pl0Key)
	underSub := leafOf("too deep", smx509.SHA1WithRSA, sub, subKey)

	tests := []struct {
		name   string
		leaf   *Certificate
		inters []*Certificate
		opts   ChainOptions
		reason ChainErrorReason // ChainOther with ok: no error
		ok     bool
		cert   *Certificate
	}{
		{"SHA-1 refused by default", leaf, []*Certificate{inter}, ChainOptions{}, ChainWeakAlgorithm, false, leaf},
		{"SHA-1 allowed", leaf, []*Certificate{inter}, sha1, 0, true, nil},
		{"MD5 stays refused", md5Leaf, []*Certificate{inter}, sha1, ChainWeakAlgorithm, false, md5Leaf},
		{"forged SHA-1 signature", forged, []*Certificate{inter}, sha1, ChainBadSignature, false, forged},
		{"issuer is not a CA", underEE, []*Certificate{ee}, sha1, ChainNotAuthorized, false, ee},
		{"an issuer further up is not a CA", belowIt, []*Certificate{caUnderEE, ee}, sha1, ChainNotAuthorized, false, ee},
		{"name constraints not evaluated", underNC, []*Certificate{nc}, sha1, ChainOther, false, nc},
		{"path length exceeded", underSub, []*Certificate{sub, pl0}, sha1, ChainNotAuthorized, false, pl0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := NewChainBuilder([]*Certificate{root}).FindChain(tt.leaf, tt.inters, tt.opts)
			if tt.ok {
				if err != nil || len(chain) != len(tt.inters)+2 {
					t.Fatalf("chain %s, %v", chainNames(chain), err)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Reason != tt.reason || !ce.Cert.Equal(tt.cert) {
				t.Fatalf("error %v, want %v about %s", err, tt.reason, tt.cert.Subject.CommonName)
			}
		})
	}
	// The same end entity as a trust anchor: an anchor must be a CA to issue certificates too.
	var ce *ChainError
	if _, err := NewChainBuilder([]*Certificate{ee}).FindChain(belowIt, []*Certificate{caUnderEE}, sha1); !errors.As(err, &ce) || ce.Reason != ChainNotAuthorized || !ce.Cert.Equal(ee) {
		t.Errorf("an anchor that is not a CA: %v", err)
	}
	// One builder keeps the two outcomes apart.
	b := NewChainBuilder([]*Certificate{root})
	if _, err := b.FindChain(leaf, []*Certificate{inter}, ChainOptions{}); err == nil {
		t.Error("SHA-1 accepted without AllowSHA1")
	}
	if _, err := b.FindChain(leaf, []*Certificate{inter}, sha1); err != nil {
		t.Errorf("SHA-1 refused with AllowSHA1 after a call without: %v", err)
	}
}

// TestPathCacheShared: builders sharing a PathCache verify each path once between them, give
// back the asking builder's own certificates, remember failures with the failing certificate,
// and a cache at its bound starts over rather than growing.
func TestPathCacheShared(t *testing.T) {
	p := newTestPKI(t)
	cache := NewPathCache(0)
	first := NewChainBuilderWithCache([]*Certificate{p.root}, cache)
	if _, err := first.FindChain(p.leaf, []*Certificate{p.inter}, ChainOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second document: the same certificates, parsed again (other pointers).
	reparse := func(c *Certificate) *Certificate {
		t.Helper()
		n, err := ParseCertificate(c.Raw)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	leaf2, inter2, root2 := reparse(p.leaf), reparse(p.inter), reparse(p.root)
	second := NewChainBuilderWithCache([]*Certificate{root2}, cache)
	chain, err := second.FindChain(leaf2, []*Certificate{inter2}, ChainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if second.runs != 0 || cache.Hits() != 1 {
		t.Errorf("second builder verified %d paths, cache hits %d; want 0 and 1", second.runs, cache.Hits())
	}
	if len(chain) != 3 || chain[0] != leaf2 || chain[1] != inter2 || chain[2] != root2 {
		t.Errorf("chain from the cache = %s, not the second document's own certificates", chainNames(chain))
	}

	tampered := append([]byte{}, p.leaf.Raw...)
	tampered[len(tampered)-3] ^= 0x40
	bad1, _ := ParseCertificate(tampered)
	bad2, _ := ParseCertificate(tampered)
	if _, err := first.FindChain(bad1, []*Certificate{p.inter}, ChainOptions{}); err == nil {
		t.Fatal("tampered leaf verified")
	}
	var ce *ChainError
	_, err = second.FindChain(bad2, []*Certificate{inter2}, ChainOptions{})
	if !errors.As(err, &ce) || ce.Reason != ChainBadSignature || ce.Cert != bad2 {
		t.Fatalf("remembered failure = %v (cert %p, want %p)", err, ce.Cert, bad2)
	}
	if second.runs != 0 {
		t.Errorf("the failure was verified again (%d runs)", second.runs)
	}

	// Without a shared cache nothing is shared.
	alone := NewChainBuilder([]*Certificate{root2})
	if _, err := alone.FindChain(leaf2, []*Certificate{inter2}, ChainOptions{}); err != nil || alone.runs != 1 {
		t.Errorf("builder without cache: %v, %d runs", err, alone.runs)
	}

	small := NewPathCache(1)
	b := NewChainBuilderWithCache([]*Certificate{p.root}, small)
	b.FindChain(p.leaf, []*Certificate{p.inter}, ChainOptions{})
	b.FindChain(p.inter, nil, ChainOptions{})
	if small.Len() != 1 {
		t.Errorf("cache of bound 1 holds %d outcomes", small.Len())
	}
}

package smcrypto

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// Interoperability with tjfoc/gmsm v1.4.1, common in existing government Go code. Its traps,
// avoided here: its certificates are only correctly signed when the template sets
// SignatureAlgorithm; ToX509Certificate mislabels SM2 keys (not used); its verifier accepts
// trailing garbage, so it is only used as a positive oracle plus a changed-message check.

func tjPublicKey(t *testing.T, pub *tjsm2.PublicKey) *ecdsa.PublicKey {
	t.Helper()
	return &ecdsa.PublicKey{Curve: sm2.P256(), X: pub.X, Y: pub.Y}
}

func TestTjfocKeysAndCertificatesLoadHere(t *testing.T) {
	rootKey, err := tjsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := tjsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rootTmpl := &tjx509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tjfoc root"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: tjx509.KeyUsageCertSign,
		SubjectKeyId:       []byte{1, 2, 3, 4},
		SignatureAlgorithm: tjx509.SM2WithSM3, // without it tjfoc signs wrongly
	}
	rootDER, err := tjx509.CreateCertificate(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	tjRoot, err := tjx509.ParseCertificate(rootDER)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &tjx509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "tjfoc leaf"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour),
		KeyUsage: tjx509.KeyUsageDigitalSignature, SignatureAlgorithm: tjx509.SM2WithSM3,
	}
	leafDER, err := tjx509.CreateCertificate(leafTmpl, tjRoot, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ParseCertificate(rootDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := BuildChain(leaf, nil, []*Certificate{root}, testNow)
	if err != nil || len(chain) != 2 {
		t.Fatalf("tjfoc chain: %v", err)
	}
	if !IsSM2PublicKey(leaf.PublicKey) || !leaf.PublicKey.(*ecdsa.PublicKey).Equal(tjPublicKey(t, &leafKey.PublicKey)) {
		t.Error("tjfoc leaf key not read as the SM2 key")
	}

	// tjfoc's PKCS#8 key files, plain and encrypted (PBES2, PBKDF2-SHA1, AES-256-CBC).
	for name, pwd := range map[string][]byte{"plain": nil, "encrypted": []byte("tjfoc-pw")} {
		pemKey, err := tjx509.WritePrivateKeyToPem(leafKey, pwd)
		if err != nil {
			t.Fatal(err)
		}
		key, err := ParsePKCS8PrivateKey(pemKey, pwd)
		if err != nil {
			t.Fatalf("%s tjfoc key: %v", name, err)
		}
		if !samePublic(key.Public(), leaf.PublicKey) {
			t.Fatalf("%s tjfoc key: wrong key", name)
		}
		// It signs here, and the result is what tjfoc's certificate vouches for.
		d := SM3([]byte("doc"))
		der, err := BuildDetachedSignedData(d[:], key, []*Certificate{leaf, root}, SignedDataOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sd, err := ParseSignedData(der)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sd.Signers[0].VerifySignature(leaf); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// tjfoc's SM2 signature (default ID) verifies here.
	msg := []byte("signed by tjfoc")
	sig, err := leafKey.Sign(rand.Reader, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySM2(leaf.PublicKey.(*ecdsa.PublicKey), nil, msg, sig); err != nil {
		t.Errorf("tjfoc signature: %v", err)
	}
}

func TestOurCertificatesAndSignaturesVerifyWithTjfoc(t *testing.T) {
	p := newTestPKI(t)
	tjRoot, err := tjx509.ParseCertificate(p.root.Raw)
	if err != nil {
		t.Fatal(err)
	}
	tjInter, err := tjx509.ParseCertificate(p.inter.Raw)
	if err != nil {
		t.Fatal(err)
	}
	tjLeaf, err := tjx509.ParseCertificate(p.leaf.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := tjInter.CheckSignatureFrom(tjRoot); err != nil {
		t.Errorf("tjfoc: intermediate: %v", err)
	}
	if err := tjLeaf.CheckSignatureFrom(tjInter); err != nil {
		t.Errorf("tjfoc: leaf: %v", err)
	}
	if err := tjLeaf.CheckSignatureFrom(tjRoot); err == nil {
		t.Error("tjfoc verified the leaf under the wrong issuer: oracle not discriminating")
	}
	tjPub, ok := tjLeaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("tjfoc reads our leaf key as %T", tjLeaf.PublicKey)
	}
	pub := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: tjPub.X, Y: tjPub.Y}

	// A plain signature and the CMS signed-attributes signature.
	msg := []byte("signed by eseal")
	sig, err := SignSM2(p.leafKey, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Verify(msg, sig) {
		t.Error("tjfoc rejects our SM2 signature")
	}
	if pub.Verify([]byte("signed by someone else"), sig) {
		t.Error("tjfoc accepted a changed message: oracle not discriminating")
	}
	d := SM3([]byte("pdf"))
	sd, err := ParseSignedData(buildTestCMS(t, p, d[:], SignedDataOptions{ESeal: testSeal}))
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if !pub.Verify(si.SignedAttrsDER, si.Signature) {
		t.Error("tjfoc rejects our CMS signature over the signed attributes")
	}
}

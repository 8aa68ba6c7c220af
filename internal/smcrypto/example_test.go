package smcrypto_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// Example signs a document's digest as a detached SM2 SignedData carrying a seal, then verifies
// it the way a verifier does: parse, find the signer certificate, hash the content once,
// compare messageDigest, check the signature and the chain at the signing time.
func Example() {
	now := time.Now()
	rootKey, _ := smcrypto.GenerateKey()
	root, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject: pkix.Name{CommonName: "Region Root"}, IsCA: true,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}, rootKey.Public(), nil, rootKey)
	if err != nil {
		log.Fatal(err)
	}
	sealKey, _ := smcrypto.GenerateKey()
	sealCert, err := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{CommonName: "Some Bureau Seal"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, sealKey.Public(), root, rootKey)
	if err != nil {
		log.Fatal(err)
	}

	document := []byte("the bytes a PDF ByteRange covers")
	digest := smcrypto.SM3(document)
	cms, err := smcrypto.BuildDetachedSignedData(digest[:], sealKey, []*smcrypto.Certificate{sealCert, root},
		smcrypto.SignedDataOptions{Convention: smcrypto.ConventionPKCS7, ESeal: []byte{0x30, 0x00}})
	if err != nil {
		log.Fatal(err)
	}

	sd, err := smcrypto.ParseSignedData(cms)
	if err != nil {
		log.Fatal(err)
	}
	si := sd.Signers[0]
	cert := sd.SignerCertificate(si)
	h, _ := si.NewContentHash(cert)
	h.Write(document) // stream a large document here
	fmt.Println("content intact:", bytes.Equal(h.Sum(nil), si.MessageDigest))
	check, err := si.VerifySignature(cert)
	fmt.Println("signature:", check.Algorithm, check.Encoding, check.SignerID, err)
	chain, err := smcrypto.BuildChain(cert, sd.Certificates, []*smcrypto.Certificate{root}, si.SigningTime)
	fmt.Println("chain length:", len(chain), err)
	fmt.Println("seal bytes:", len(si.ESeal))
	// Output:
	// content intact: true
	// signature: SM2-with-SM3 DER 1234567812345678 <nil>
	// chain length: 2 <nil>
	// seal bytes: 2
}

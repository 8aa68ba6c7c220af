package sign_test

import (
	"crypto/x509/pkix"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
)

// Sealing a licence: in eseal, certstore supplies the key, the seal and the chain for an
// esID; here they are made on the spot.
func ExampleSignPDFFile() {
	now := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	rootKey, _ := smcrypto.GenerateKey()
	root, _ := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject: pkix.Name{CommonName: "Example region root"}, IsCA: true,
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
	}, rootKey.Public(), nil, rootKey)
	key, _ := smcrypto.GenerateKey()
	cert, _ := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{CommonName: "11010800000001"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(2, 0, 0),
	}, key.Public(), root, rootKey)
	picture, _ := seal.GeneratePicture("海淀区市场监督管理局", "11010800000001", 42)
	s, err := seal.BuildSeal(seal.NewSealOptions{
		ESID: "11010800000001", Name: "海淀区市场监督管理局", SignerCerts: [][]byte{cert.Raw},
		CreateDate: now.AddDate(0, -1, 0), ValidEnd: now.AddDate(3, 0, 0), Picture: picture,
	}, root.Raw, rootKey) // the root doubles as seal maker here
	if err != nil {
		log.Fatal(err)
	}

	out := filepath.Join(os.TempDir(), "licence-sealed-example.pdf")
	defer os.Remove(out)
	res, err := sign.SignPDFFile("testdata/licence.pdf", out, sign.Sealer{
		Signer: key, Seal: s.Raw, Chain: [][]byte{cert.Raw, root.Raw},
	}, sign.PDFOptions{Reason: "登记核准", Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s on page %d at %v, signed %s\n", res.FieldName, res.Page, res.Rect, res.SigningTime.Format(time.RFC3339))
	fmt.Println("signed bytes cover the whole file:", res.ByteRange[2]+res.ByteRange[3] == res.Size)
	// Output:
	// Signature 1 on page 1 at [419.25 56.69 538.31 175.75], signed 2025-03-14T09:30:00Z
	// signed bytes cover the whole file: true
}

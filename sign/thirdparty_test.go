package sign

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// ofdrwSealer is a Sealer made of another system's parts: ofdrw's test seal and the key of the
// signer it allows, from a PKCS#12 that Go cannot read and OpenSSL 3 converts with -legacy.
func ofdrwSealer(t *testing.T) Sealer {
	t.Helper()
	openssl := requireTool(t, "openssl")
	out, err := exec.Command(openssl, "pkcs12", "-legacy", "-in", "testdata/ofdrw_USER.p12", "-passin", "pass:777777", "-nodes").Output()
	if err != nil {
		t.Fatalf("openssl pkcs12 -legacy: %v", err)
	}
	i := bytes.Index(out, []byte("-----BEGIN PRIVATE KEY"))
	if i < 0 {
		t.Fatal("no private key in the PKCS#12")
	}
	key, err := smcrypto.ParsePKCS8PrivateKey(out[i:], nil)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := smcrypto.ParseCertificates(out)
	if err != nil || len(certs) != 1 {
		t.Fatalf("%d certificates, %v", len(certs), err)
	}
	sealDER, err := os.ReadFile("testdata/ofdrw_UserV4.esl")
	if err != nil {
		t.Fatal(err)
	}
	return Sealer{Signer: key, Seal: sealDER, Chain: [][]byte{certs[0].Raw}}
}

// TestThirdPartySeal signs a licence PDF and a detached SES_Signature with ofdrw's seal and
// signer, when both were valid (2021), and eseal verifies them: everything holds but the chain,
// whose root (ofdrw's test CA) is trusted nowhere: INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND.
func TestThirdPartySeal(t *testing.T) {
	s := ofdrwSealer(t)
	signedAt := time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return signedAt }
	out := filepath.Join(t.TempDir(), "sealed.pdf")
	if _, err := SignPDFFile("testdata/licence.pdf", out, s, PDFOptions{Now: clock}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	opts := verify.Options{RevocationPolicy: verify.RevocationSoftFail, CurrentTime: signedAt.AddDate(0, 1, 0)}
	pdfRep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := SignDetached(bytes.NewReader(material), s, DetachedOptions{Now: clock, Name: "material.csv"})
	if err != nil {
		t.Fatal(err)
	}
	sesRep, err := verify.VerifyDetached(context.Background(), bytes.NewReader(material), int64(len(material)), res.Signature, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, rep := range map[string]*verify.Report{"PDF": pdfRep, "SES_Signature": sesRep} {
		sr := rep.Signatures[0]
		if sr.Indication != verify.Indeterminate || sr.SubIndication != verify.NoCertificateChainFound || sr.Seal == nil || sr.Seal.Name != "OFD R&W 测试用印章" {
			t.Errorf("%s: %s %s\n%+v", name, sr.Indication, sr.SubIndication, sr.Checks)
			continue
		}
		for _, c := range []verify.CheckName{verify.IntegrityCheck, verify.SignatureValueCheck, verify.SignerCertificateCheck} {
			if st := checkStatus(sr, c); st != verify.CheckPassed {
				t.Errorf("%s: %s %s", name, c, st)
			}
		}
	}
}

package verify_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// ExampleVerifyPDF verifies an SM2-sealed PDF against a trusted root and prints the verdict.
// The validation time is fixed so that the example gives the same answer on every run. This test
// PKI publishes no revocation information, so the example accepts that (soft-fail); by default
// the verifier fails closed and would answer INDETERMINATE/TRY_LATER.
func ExampleVerifyPDF() {
	rootPEM, err := os.ReadFile("testdata/corpus/sm2-test-root.pem")
	if err != nil {
		panic(err)
	}
	roots, err := smcrypto.ParseCertificates(rootPEM)
	if err != nil {
		panic(err)
	}
	f, err := os.Open("testdata/corpus/pdf-06.pdf")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		panic(err)
	}
	rep, err := verify.VerifyPDF(context.Background(), f, fi.Size(), verify.Options{
		ExtraAnchors:     roots,
		RevocationPolicy: verify.RevocationSoftFail,
		CurrentTime:      time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err) // not a usable PDF
	}
	fmt.Println(rep.Indication)
	for _, s := range rep.Signatures {
		fmt.Println(s.Indication, s.Signer.Subject)
		fmt.Println("signed", s.SigningTime.Format(time.RFC3339), "certificates", s.Validity.Status, "revocation", s.Revocation.Status)
	}
	// Output:
	// TOTAL_PASSED
	// TOTAL_PASSED CN=行政审批专用章, O=某市行政审批局, C=CN
	// signed 2026-11-27T13:15:24Z certificates valid revocation unknown
}

package certstore

import (
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
)

// TestTimestamp: the region's TSA is made on first use, once; its tokens parse, verify with its
// certificate, which the root issued for timeStamping, and state the store's time.
func TestTimestamp(t *testing.T) {
	s := initTest(t)
	value := []byte("a signature value")
	token, err := s.TimestampSignature(value)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.TimestampSignature(value)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := smcrypto.ParseSignedData(token)
	if err != nil {
		t.Fatal(err)
	}
	if sd.EncapContentType != smcrypto.OIDTSTInfo || len(sd.Signers) != 1 {
		t.Fatalf("token content %s", sd.EncapContentType)
	}
	tsa := sd.SignerCertificate(sd.Signers[0])
	if tsa == nil || len(tsa.ExtKeyUsage) != 1 {
		t.Fatalf("TSA certificate %v", tsa)
	}
	if _, err := sd.Signers[0].VerifySignature(tsa); err != nil {
		t.Errorf("token signature: %v", err)
	}
	region, err := s.Region()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	if err := tsa.CheckSignatureFrom(root); err != nil {
		t.Errorf("the TSA certificate is not the root's: %v", err)
	}
	if sd2, err := smcrypto.ParseSignedData(again); err != nil || !sd2.SignerCertificate(sd2.Signers[0]).Equal(tsa) {
		t.Errorf("a second token by another TSA: %v", err)
	}
	log, err := s.AuditLog()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range log {
		if r.Action == "tsa.new" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d tsa.new audit records", n)
	}
}

package certstore_test

import (
	"fmt"
	"log"
	"os"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/verify"
)

// A region is set up once; each seal then gets its own SM2 key, a signer certificate from the
// region root, and a GB/T 38540 seal signed by the region's seal-making key.
func Example() {
	dir, _ := os.MkdirTemp("", "eseal-example-")
	defer os.RemoveAll(dir)

	store, err := certstore.Open(dir, certstore.Options{Passphrase: []byte("from ESEAL_KEY_PASSPHRASE")})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		log.Fatal(err)
	}
	rec, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.ESID, rec.Name)

	rev, err := store.RevokeCertificate(certstore.RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonSuperseded})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked:", rev.Reason)
	// Output:
	// 33010000000001 杭州市行政审批局行政审批专用章
	// revoked: superseded
}

package trustbundle_test

import (
	"crypto/sha256"
	"crypto/x509/pkix"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/trustbundle"
)

// A region signs its bundle with its root; another region verifies it against the root's
// fingerprint, which it got by another channel.
func ExampleVerify() {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	key, _ := smcrypto.GenerateKey()
	root, _ := smcrypto.CreateCertificate(smcrypto.CertTemplate{
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{"杭州市行政审批局"}, CommonName: "杭州市行政审批局 根CA"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(19, 0, 0), IsCA: true, MaxPathLen: 1,
	}, key.Public(), nil, key)
	data, err := trustbundle.Sign(&trustbundle.Bundle{
		RegionCode: "330100", RegionName: "杭州市行政审批局", Sequence: 1, Issued: now, NextUpdate: now.AddDate(0, 0, 30),
		Root: root, StatusURL: "https://eseal.hangzhou.example", CRLURL: "https://eseal.hangzhou.example/v1/crl/01",
	}, key)
	if err != nil {
		fmt.Println(err)
		return
	}

	b, err := trustbundle.Verify(data, sha256.Sum256(root.Raw), now.Add(time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.RegionCode, b.RegionName, b.Sequence, b.Root.Subject.CommonName, b.StatusURL)

	_, err = trustbundle.Verify(data, sha256.Sum256([]byte("another root")), now.Add(time.Hour))
	fmt.Println(err != nil)
	// Output:
	// 330100 杭州市行政审批局 1 杭州市行政审批局 根CA https://eseal.hangzhou.example
	// true
}

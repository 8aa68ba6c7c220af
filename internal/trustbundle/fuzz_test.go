package trustbundle

import (
	"testing"

	"github.com/eseal/eseal/internal/testpki"
)

// FuzzVerify: Verify never panics, and what it accepts re-signs to a bundle it accepts again.
// The seeds carry the fingerprint of their root, so the fuzzer starts past the fingerprint check.
func FuzzVerify(f *testing.F) {
	p := testpki.New(f, testpki.Options{RootCN: "杭州市行政审批局 根CA"})
	good, err := Sign(testBundle(p), p.RootKey)
	if err != nil {
		f.Fatal(err)
	}
	fp := fingerprint(p.Root)
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"format":"eseal-trust-bundle/1","payload":"e30=","signature":"MAA="}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Verify(data, fp, now)
		if err != nil {
			if b != nil {
				t.Fatal("a bundle with an error")
			}
			return
		}
		again, err := Sign(b, p.RootKey)
		if err != nil {
			t.Fatalf("an accepted bundle does not re-sign: %v", err)
		}
		if _, err := Verify(again, fp, now); err != nil {
			t.Fatalf("a re-signed accepted bundle is refused: %v", err)
		}
	})
}

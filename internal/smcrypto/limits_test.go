package smcrypto

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// craftSignedData writes a SignedData ContentInfo with the given numbers of (empty) certificate,
// CRL and SignerInfo elements: enough structure for the parser to reach its limits.
func craftSignedData(t testing.TB, certs, crls, signers int) []byte {
	t.Helper()
	var b cryptobyte.Builder
	empty := func(b *cryptobyte.Builder) { b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {}) }
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, OIDSM3, true) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addOID(b, OIDData) })
				if certs > 0 {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						for range certs {
							empty(b)
						}
					})
				}
				if crls > 0 {
					b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						for range crls {
							empty(b)
						}
					})
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					for range signers {
						empty(b)
					}
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestParseSignedDataLimits: a SignedData over a limit is refused with ErrLimit and a message
// naming the limit, before anything over it is parsed.
func TestParseSignedDataLimits(t *testing.T) {
	cases := []struct {
		name string
		der  []byte
		want string
	}{
		{"certificates", craftSignedData(t, MaxCertificates+1, 0, 1), "more than 256 certificates"},
		{"40,000 certificates", craftSignedData(t, 40000, 0, 1), "more than 256 certificates"},
		{"CRLs", craftSignedData(t, 0, MaxCRLs+1, 1), "more than 256 revocation lists"},
		{"signers", craftSignedData(t, 0, 0, MaxSigners+1), "more than 16 signers"},
		{"size", make([]byte, MaxSignedDataSize+1), "more than 16777216 (16 MiB)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSignedData(c.der)
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseSignedData = %v; want ErrLimit naming %q", err, c.want)
			}
		})
	}
	// At the limit, the structure is read on (and here fails later, on the empty elements).
	if _, err := ParseSignedData(craftSignedData(t, MaxCertificates, 0, 1)); errors.Is(err, ErrLimit) {
		t.Errorf("256 certificates: %v", err)
	}
	// What is over the limit is counted, not parsed: 40,000 certificates cost next to nothing.
	der := craftSignedData(t, 40000, 0, 1)
	if allocs := testing.AllocsPerRun(5, func() { ParseSignedData(der) }); allocs > 100 {
		t.Errorf("refusing 40,000 certificates took %.0f allocations", allocs)
	}
}

package smcrypto

import (
	"crypto"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDTSTInfo is the content type of an RFC 3161 token's TSTInfo.
const OIDTSTInfo OID = "1.2.840.113549.1.9.16.1.4"

// TimestampOptions describe an RFC 3161 timestamp token.
type TimestampOptions struct {
	// ImprintAlgorithm and Imprint are the messageImprint: the digest of what is timestamped
	// (for a signature timestamp, of the signature value).
	ImprintAlgorithm OID
	Imprint          []byte
	// Serial is the token's serial number, unique per TSA; Policy the TSA's policy OID.
	Serial *big.Int
	Policy OID
	// GenTime is the time the token states; written in UTC to the millisecond.
	GenTime time.Time
}

// BuildTimestampToken makes an RFC 3161 timestamp token: a SignedData (PKCS#7 OIDs) that
// encapsulates the TSTInfo, signed with SM2 by the TSA (chain: its certificate first) with the
// signed attributes of BuildDetachedSignedData (the ESS signingCertificateV2 names the TSA's
// certificate, as RFC 5816 asks).
func BuildTimestampToken(o TimestampOptions, tsa crypto.Signer, chain []*Certificate) ([]byte, error) {
	if o.Serial == nil || o.Serial.Sign() <= 0 {
		return nil, errors.New("smcrypto: timestamp: the serial number must be positive")
	}
	if o.Policy == "" || o.ImprintAlgorithm == "" || len(o.Imprint) == 0 {
		return nil, errors.New("smcrypto: timestamp: a policy and a message imprint are required")
	}
	if h, err := NewDigest(o.ImprintAlgorithm); err != nil || h.Size() != len(o.Imprint) {
		return nil, fmt.Errorf("smcrypto: timestamp: the imprint is not a %s digest", o.ImprintAlgorithm)
	}
	gen := o.GenTime.UTC().Truncate(time.Millisecond)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // TSTInfo
		b.AddASN1Int64(1)
		addOID(b, o.Policy)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // MessageImprint
			addAlgorithm(b, o.ImprintAlgorithm, true)
			b.AddASN1OctetString(o.Imprint)
		})
		b.AddASN1BigInt(o.Serial)
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) {
			// DER GeneralizedTime: Z, and fractional seconds without trailing zeros.
			b.AddBytes([]byte(gen.Format("20060102150405.999Z")))
		})
	})
	tstInfo, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("smcrypto: timestamp: %w", err)
	}
	digest := SM3(tstInfo)
	return BuildDetachedSignedData(digest[:], tsa, chain, SignedDataOptions{SigningTime: gen, ContentType: OIDTSTInfo, Content: tstInfo})
}

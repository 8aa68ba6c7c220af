package smcrypto

import (
	"errors"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OID is an object identifier in dotted form. Unlike encoding/asn1.ObjectIdentifier it holds
// arcs of any size, such as the 128-bit UUID arc of OIDAttributeESeal.
type OID string

// Object identifiers eseal reads or writes.
const (
	OIDData       OID = "1.2.840.113549.1.7.1"
	OIDSignedData OID = "1.2.840.113549.1.7.2"
	// GM/T 0010 (GB/T 35275) content types.
	OIDGMData       OID = "1.2.156.10197.6.1.4.2.1"
	OIDGMSignedData OID = "1.2.156.10197.6.1.4.2.2"

	OIDSM3        OID = "1.2.156.10197.1.401"
	OIDSM2Sign    OID = "1.2.156.10197.1.301.1" // sm2-1, what emmansun writes as signatureAlgorithm
	OIDSM2WithSM3 OID = "1.2.156.10197.1.501"
	OIDSM2Curve   OID = "1.2.156.10197.1.301"

	OIDSHA1   OID = "1.3.14.3.2.26"
	OIDSHA224 OID = "2.16.840.1.101.3.4.2.4"
	OIDSHA256 OID = "2.16.840.1.101.3.4.2.1"
	OIDSHA384 OID = "2.16.840.1.101.3.4.2.2"
	OIDSHA512 OID = "2.16.840.1.101.3.4.2.3"

	OIDRSAEncryption   OID = "1.2.840.113549.1.1.1"
	OIDSHA1WithRSA     OID = "1.2.840.113549.1.1.5"
	OIDSHA224WithRSA   OID = "1.2.840.113549.1.1.14"
	OIDSHA256WithRSA   OID = "1.2.840.113549.1.1.11"
	OIDSHA384WithRSA   OID = "1.2.840.113549.1.1.12"
	OIDSHA512WithRSA   OID = "1.2.840.113549.1.1.13"
	OIDRSASSAPSS       OID = "1.2.840.113549.1.1.10"
	OIDMGF1            OID = "1.2.840.113549.1.1.8"
	OIDECPublicKey     OID = "1.2.840.10045.2.1"
	OIDECDSAWithSHA1   OID = "1.2.840.10045.4.1"
	OIDECDSAWithSHA224 OID = "1.2.840.10045.4.3.1"
	OIDECDSAWithSHA256 OID = "1.2.840.10045.4.3.2"
	OIDECDSAWithSHA384 OID = "1.2.840.10045.4.3.3"
	OIDECDSAWithSHA512 OID = "1.2.840.10045.4.3.4"

	OIDAttributeContentType          OID = "1.2.840.113549.1.9.3"
	OIDAttributeMessageDigest        OID = "1.2.840.113549.1.9.4"
	OIDAttributeSigningTime          OID = "1.2.840.113549.1.9.5"
	OIDAttributeSigningCertificate   OID = "1.2.840.113549.1.9.16.2.12"
	OIDAttributeSigningCertificateV2 OID = "1.2.840.113549.1.9.16.2.47"
	OIDAttributeTimeStampToken       OID = "1.2.840.113549.1.9.16.2.14"
	// OIDAttributeESeal is eseal's signed attribute carrying the GB/T 38540 SESeal (DER) as one
	// OCTET STRING, so the SM2 signature covers the seal. The arc under 2.25 is a UUID.
	OIDAttributeESeal OID = "2.25.164522088066992829398542477671201625689.1"
)

var errBadOID = errors.New("smcrypto: malformed object identifier")

// ParseOIDContent decodes the content octets of a DER OBJECT IDENTIFIER (no tag or length).
func ParseOIDContent(content []byte) (OID, error) {
	if len(content) == 0 || content[len(content)-1]&0x80 != 0 {
		return "", errBadOID
	}
	var sb strings.Builder
	first := true
	for len(content) > 0 {
		if content[0] == 0x80 { // non-minimal subidentifier
			return "", errBadOID
		}
		var n int
		var v uint64
		small := true
		for n = 0; ; n++ {
			b := content[n]
			if v > (1<<57)-1 {
				small = false
			}
			v = v<<7 | uint64(b&0x7f)
			if b&0x80 == 0 {
				break
			}
		}
		arc := content[:n+1]
		content = content[n+1:]
		var text string
		if small {
			if first {
				switch {
				case v < 40:
					text = "0." + uitoa(v)
				case v < 80:
					text = "1." + uitoa(v-40)
				default:
					text = "2." + uitoa(v-80)
				}
			} else {
				text = uitoa(v)
			}
		} else {
			b := new(big.Int)
			for _, c := range arc {
				b.Lsh(b, 7)
				b.Or(b, big.NewInt(int64(c&0x7f)))
			}
			if first {
				b.Sub(b, big.NewInt(80))
				text = "2." + b.String()
			} else {
				text = b.String()
			}
		}
		if !first {
			sb.WriteByte('.')
		}
		sb.WriteString(text)
		first = false
	}
	return OID(sb.String()), nil
}

func uitoa(v uint64) string { return new(big.Int).SetUint64(v).String() }

// arcs splits and checks the dotted form.
func (o OID) arcs() ([]*big.Int, error) {
	parts := strings.Split(string(o), ".")
	if len(parts) < 2 {
		return nil, errBadOID
	}
	arcs := make([]*big.Int, len(parts))
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.TrimLeft(p, "0123456789") != "" {
			return nil, errBadOID
		}
		arcs[i], _ = new(big.Int).SetString(p, 10)
	}
	if arcs[0].Cmp(big.NewInt(2)) > 0 || (arcs[0].Cmp(big.NewInt(2)) < 0 && arcs[1].Cmp(big.NewInt(40)) >= 0) {
		return nil, errBadOID
	}
	return arcs, nil
}

// Valid reports whether o is a well-formed dotted OID.
func (o OID) Valid() bool {
	_, err := o.arcs()
	return err == nil
}

// String returns the dotted form.
func (o OID) String() string { return string(o) }

// MarshalContent encodes o as the content octets of a DER OBJECT IDENTIFIER.
func (o OID) MarshalContent() ([]byte, error) {
	arcs, err := o.arcs()
	if err != nil {
		return nil, err
	}
	first := new(big.Int).Mul(arcs[0], big.NewInt(40))
	first.Add(first, arcs[1])
	out := appendBase128(nil, first)
	for _, a := range arcs[2:] {
		out = appendBase128(out, a)
	}
	return out, nil
}

// MarshalDER encodes o as a complete DER OBJECT IDENTIFIER (tag, length, content).
func (o OID) MarshalDER() ([]byte, error) {
	content, err := o.MarshalContent()
	if err != nil {
		return nil, err
	}
	return appendElement(nil, 0x06, content), nil
}

func appendBase128(out []byte, v *big.Int) []byte {
	if v.Sign() == 0 {
		return append(out, 0)
	}
	n := (v.BitLen() + 6) / 7
	t := new(big.Int)
	for i := n - 1; i >= 0; i-- {
		b := byte(t.Rsh(v, uint(7*i)).Uint64() & 0x7f)
		if i > 0 {
			b |= 0x80
		}
		out = append(out, b)
	}
	return out
}

// readOID reads a DER OBJECT IDENTIFIER element from s.
func readOID(s *cryptobyte.String) (OID, bool) {
	var content cryptobyte.String
	if !s.ReadASN1(&content, cbasn1.OBJECT_IDENTIFIER) {
		return "", false
	}
	o, err := ParseOIDContent(content)
	return o, err == nil
}

// addOID writes o as a DER OBJECT IDENTIFIER; an invalid o makes the builder fail.
func addOID(b *cryptobyte.Builder, o OID) {
	content, err := o.MarshalContent()
	if err != nil {
		b.SetError(err)
		return
	}
	b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(content) })
}

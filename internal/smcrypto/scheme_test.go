package smcrypto

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
)

func TestSchemeFor(t *testing.T) {
	sm2Pub := mustKey(t).Public()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	pssSHA256 := seq(
		tlv(0xa0, seq(oidTLV(t, OIDSHA256))),
		tlv(0xa1, seq(oidTLV(t, OIDMGF1), seq(oidTLV(t, OIDSHA256)))),
		tlv(0xa2, tlv(0x02, []byte{32})))
	tests := []struct {
		name          string
		pub           any
		digest, sig   OID
		params        []byte
		want          string // scheme name, or "" for ErrUnsupportedAlgorithm
		otherErrorsOK bool
	}{
		{"SM2 301.1", sm2Pub, OIDSM3, OIDSM2Sign, nil, "SM2-with-SM3", false},
		{"SM2 curve OID as signature", sm2Pub, OIDSM3, OIDSM2Curve, nil, "SM2-with-SM3", false},
		{"SM2 digest from signature OID", sm2Pub, "1.2.3", OIDSM2WithSM3, nil, "SM2-with-SM3", false},
		{"SM2 with SHA-256", sm2Pub, OIDSHA256, OIDSM2Sign, nil, "", false},
		{"SM2 with RSA OID", sm2Pub, OIDSM3, OIDRSAEncryption, nil, "", false},
		{"ECDSA", ec.Public(), OIDSHA256, OIDECDSAWithSHA256, nil, "ECDSA P-256 SHA-256", false},
		{"ECDSA key OID", ec.Public(), OIDSHA384, OIDECPublicKey, nil, "ECDSA P-256 SHA-384", false},
		{"ECDSA with SM3", ec.Public(), OIDSM3, OIDECPublicKey, nil, "", false},
		{"ECDSA with SM2 OID", ec.Public(), OIDSHA256, OIDSM2Sign, nil, "", false},
		{"RSA", &rk.PublicKey, OIDSHA512, OIDRSAEncryption, nil, "RSA PKCS#1 v1.5 SHA-512", false},
		{"RSA OIW sha1WithRSA", &rk.PublicKey, OIDSHA1, "1.3.14.3.2.29", nil, "RSA PKCS#1 v1.5 SHA-1", false},
		{"RSA with SM3", &rk.PublicKey, OIDSM3, OIDRSAEncryption, nil, "", false},
		{"RSA with ECDSA OID", &rk.PublicKey, OIDSHA256, OIDECDSAWithSHA256, nil, "", false},
		{"RSA-PSS SHA-256", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, pssSHA256, "RSA-PSS SHA-256", false},
		{"RSA-PSS defaults (SHA-1)", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(), "RSA-PSS SHA-1", false},
		{"RSA-PSS absent params", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, nil, "RSA-PSS SHA-1", false},
		{"RSA-PSS MGF1 hash differs", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa0, seq(oidTLV(t, OIDSHA256)))), "", false},
		{"RSA-PSS unknown MGF", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa1, seq(oidTLV(t, "1.2.3")))), "", false},
		{"RSA-PSS SM3", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa0, seq(oidTLV(t, OIDSM3))), tlv(0xa1, seq(oidTLV(t, OIDMGF1), seq(oidTLV(t, OIDSM3))))), "", false},
		{"RSA-PSS unknown hash", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa0, seq(oidTLV(t, "1.2.3")))), "", false},
		{"RSA-PSS not a SEQUENCE", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, tlv(0x05), "", true},
		{"RSA-PSS bad hash field", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa0, tlv(0x05))), "", true},
		{"RSA-PSS bad MGF1 params", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa1, seq(oidTLV(t, OIDMGF1), tlv(0x05)))), "", true},
		{"RSA-PSS negative salt", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa2, tlv(0x02, []byte{0xff}))), "", true},
		{"RSA-PSS bad salt field", &rk.PublicKey, OIDSHA256, OIDRSASSAPSS, seq(tlv(0xa2, tlv(0x04))), "", true},
		{"Ed25519", edPub, OIDSHA512, "1.3.101.112", nil, "", false},
		{"no key", nil, OIDSM3, OIDSM2Sign, nil, "", true},
		{"unknown digest and signature", sm2Pub, "1.2.3", "1.2.4", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := schemeFor(tt.pub, tt.digest, tt.sig, tt.params)
			if tt.want != "" {
				if err != nil || s.name(tt.pub) != tt.want {
					t.Fatalf("got %q, %v; want %q", s.name(tt.pub), err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %q", s.name(tt.pub))
			}
			if !tt.otherErrorsOK && !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Errorf("error %v is not ErrUnsupportedAlgorithm", err)
			}
		})
	}
	if (signatureScheme{}).name(nil) != "unknown" || (signatureScheme{kind: schemeECDSA}).name("x") != "ECDSA unknown curve " {
		t.Error("names of incomplete schemes")
	}
}

func TestVerifyDigestUnsupportedCurve(t *testing.T) {
	// An ECDSA key on a curve Go's ecdsa does not verify here (P-224 is fine; a custom curve is not).
	ec, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	d := make([]byte, 28)
	sig, _ := ecdsa.SignASN1(rand.Reader, ec, d)
	if _, err := VerifyDigestSignature(&ec.PublicKey, OIDSHA224, d, sig); err != nil {
		t.Errorf("P-224: %v", err)
	}
	odd := &ecdsa.PublicKey{Curve: &customCurve{elliptic.P256().Params()}, X: ec.X, Y: ec.Y}
	if _, err := VerifyDigestSignature(odd, OIDSHA256, make([]byte, 32), sig); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("custom curve: %v", err)
	}
	if _, err := VerifyDigestSignature(&ec.PublicKey, OIDSHA224, d, []byte{1}); !errors.Is(err, ErrMalformedSignature) {
		t.Errorf("garbage ECDSA signature: %v", err)
	}
}

type customCurve struct{ *elliptic.CurveParams }

func TestNewSM2HashEmptyIDErrors(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := newSM2HashEmptyID(&ec.PublicKey); err == nil {
		t.Error("P-256 key accepted")
	}
}

func TestParseNegativeSerialMalformed(t *testing.T) {
	for name, in := range map[string][]byte{
		"not a SEQUENCE":           tlv(0x04),
		"trailing":                 append(seq(seq(seq())), 0),
		"no TBS":                   seq(tlv(0x04)),
		"TBS not SEQUENCE":         seq([]byte{0x30, 0x05}),
		"bad version":              seq(seq(tlv(0xa0, []byte{0x02}))),
		"positive serial":          seq(seq(tlv(0x02, []byte{0x05}))),
		"no serial":                seq(seq()),
		"negative, rest malformed": seq(seq(tlv(0x02, []byte{0x85}))),
	} {
		if c, err := parseNegativeSerial(in); err == nil {
			t.Errorf("%s: parsed %v", name, c)
		}
	}
}

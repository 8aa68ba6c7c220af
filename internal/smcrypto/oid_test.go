package smcrypto

import (
	"bytes"
	"encoding/asn1"
	"testing"
)

func TestOIDRoundTrip(t *testing.T) {
	for _, o := range []OID{
		OIDSignedData, OIDGMSignedData, OIDSM3, OIDSM2Sign, OIDSHA256, OIDAttributeSigningCertificateV2,
		OIDAttributeESeal, "0.0", "1.39.5", "2.999.3", "2.5.4.3", "1.2.18446744073709551615",
		"1.2.18446744073709551616", "2.340282366920938463463374607431768211455",
	} {
		content, err := o.MarshalContent()
		if err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		back, err := ParseOIDContent(content)
		if err != nil || back != o {
			t.Errorf("%s: round trip gave %q, %v", o, back, err)
		}
		if !o.Valid() || o.String() != string(o) {
			t.Errorf("%s: not valid", o)
		}
		// For arcs encoding/asn1 can hold, the encoding agrees with it.
		var std asn1.ObjectIdentifier
		full, err := o.MarshalDER()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := asn1.Unmarshal(full, &std); err == nil {
			if std.String() != string(o) {
				t.Errorf("%s: encoding/asn1 reads %s", o, std)
			}
			ref, _ := asn1.Marshal(std)
			if !bytes.Equal(ref, full) {
				t.Errorf("%s: DER %x, encoding/asn1 %x", o, full, ref)
			}
		}
	}
}

func TestOIDESealEncoding(t *testing.T) {
	// The 128-bit UUID arc must survive; encoding/asn1 cannot even parse it.
	der, err := OIDAttributeESeal.MarshalDER()
	if err != nil {
		t.Fatal(err)
	}
	var std asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(der, &std); err == nil {
		t.Logf("note: encoding/asn1 now parses 128-bit arcs: %s", std)
	}
	if der[0] != 0x06 || int(der[1]) != len(der)-2 {
		t.Fatalf("bad TLV %x", der)
	}
	// 2.25.X: the first subidentifier is 80+X, a 128-bit number in 19 base-128 digits.
	if got, _ := ParseOIDContent(der[2:]); got != OIDAttributeESeal {
		t.Errorf("parsed %s", got)
	}
}

func TestOIDInvalid(t *testing.T) {
	for _, o := range []OID{"", "1", "1.", ".1", "1..2", "3.1", "1.40", "0.40", "1.2.a", "1.02", "-1.2", "1.2.+3"} {
		if o.Valid() {
			t.Errorf("%q accepted", o)
		}
		if _, err := o.MarshalContent(); err == nil {
			t.Errorf("%q encoded", o)
		}
		if _, err := o.MarshalDER(); err == nil {
			t.Errorf("%q encoded as DER", o)
		}
	}
	for name, content := range map[string][]byte{
		"empty":                 nil,
		"dangling continuation": {0x2a, 0x86},
		"non-minimal arc":       {0x2a, 0x80, 0x01},
		"non-minimal first":     {0x80, 0x01},
	} {
		if o, err := ParseOIDContent(content); err == nil {
			t.Errorf("%s: parsed as %s", name, o)
		}
	}
}

func FuzzParseOIDContent(f *testing.F) {
	for _, o := range []OID{OIDAttributeESeal, OIDSM3, "2.999"} {
		c, _ := o.MarshalContent()
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		o, err := ParseOIDContent(content)
		if err != nil {
			return
		}
		again, err := o.MarshalContent()
		if err != nil || !bytes.Equal(again, content) {
			t.Fatalf("%x parsed as %s, re-encodes to %x (%v)", content, o, again, err)
		}
	})
}

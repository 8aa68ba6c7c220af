package smcrypto

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// toBER re-encodes DER as a streaming BER producer would: every constructed element with an
// indefinite length, and OCTET STRINGs longer than chunk split into a constructed string of
// chunk-sized segments. The test's independent model of what berToDER must undo.
func toBER(t testing.TB, der []byte, chunk int) []byte {
	t.Helper()
	out, rest := toBERElement(t, der, chunk)
	if len(rest) != 0 {
		t.Fatalf("toBER: %d trailing bytes", len(rest))
	}
	return out
}

func toBERElement(t testing.TB, in []byte, chunk int) (out, rest []byte) {
	h, err := parseBERHeader(in)
	if err != nil || h.indefinite {
		t.Fatalf("toBER: input is not DER: %v", err)
	}
	content, rest := in[h.hdrLen:h.hdrLen+h.length], in[h.hdrLen+h.length:]
	switch {
	case h.constructed:
		out = []byte{h.id, 0x80}
		for len(content) > 0 {
			var child []byte
			child, content = toBERElement(t, content, chunk)
			out = append(out, child...)
		}
		return append(out, 0, 0), rest
	case h.id == 0x04 && len(content) > chunk:
		out = []byte{0x24, 0x80}
		for len(content) > 0 {
			n := min(chunk, len(content))
			out = appendElement(out, 0x04, content[:n])
			content = content[n:]
		}
		return append(out, 0, 0), rest
	default:
		return append([]byte{}, in[:h.hdrLen+h.length]...), rest
	}
}

// toLongLengths re-encodes DER with every length in the 4-byte long form (not minimal).
func toLongLengths(t testing.TB, in []byte) []byte {
	h, err := parseBERHeader(in)
	if err != nil || h.indefinite {
		t.Fatalf("toLongLengths: %v", err)
	}
	content := in[h.hdrLen : h.hdrLen+h.length]
	var body []byte
	if h.constructed {
		for len(content) > 0 {
			n, ok := derElementLen(content, 0)
			if !ok {
				t.Fatal("toLongLengths: not DER")
			}
			body = append(body, toLongLengths(t, content[:n])...)
			content = content[n:]
		}
	} else {
		body = content
	}
	l := len(body)
	return append([]byte{h.id, 0x84, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}, body...)
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBERToDER(t *testing.T) {
	tests := []struct {
		name, in, want string
		changed        bool
	}{
		{"DER unchanged", "30 06 02 01 05 04 01 aa", "30 06 02 01 05 04 01 aa", false},
		{"indefinite SEQUENCE", "30 80 02 01 05 00 00", "30 03 02 01 05", true},
		{"nested indefinite", "30 80 31 80 04 00 00 00 00 00", "30 04 31 02 04 00", true},
		{"long-form short length", "30 81 03 02 01 05", "30 03 02 01 05", true},
		{"leading zero length octet", "04 82 00 01 aa", "04 01 aa", true},
		{"constructed OCTET STRING", "24 80 04 02 aa bb 04 01 cc 00 00", "04 03 aa bb cc", true},
		{"nested constructed OCTET STRING", "24 80 24 80 04 01 aa 00 00 04 01 bb 00 00", "04 02 aa bb", true},
		{"definite constructed OCTET STRING", "24 06 04 01 aa 04 01 bb", "04 02 aa bb", true},
		{"constructed BIT STRING", "23 80 03 02 00 aa 03 02 04 b0 00 00", "03 03 04 aa b0", true},
		{"constructed UTF8String", "2c 80 0c 01 61 0c 01 62 00 00", "0c 02 61 62", true},
		{"empty constructed OCTET STRING", "24 80 00 00", "04 00", true},
		{"context [0] stays constructed", "a0 80 04 01 aa 00 00", "a0 03 04 01 aa", true},
		{"trailing bytes returned", "30 80 00 00 ff", "30 00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			der, rest, changed, err := berToDER(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(der, unhex(t, tt.want)) || changed != tt.changed {
				t.Fatalf("got %x (changed %v), want %s (changed %v)", der, changed, tt.want, tt.changed)
			}
			if tt.name == "trailing bytes returned" && !bytes.Equal(rest, []byte{0xff}) {
				t.Errorf("rest = %x", rest)
			}
			if _, ok := derElementLen(der, 0); !ok {
				t.Errorf("output %x is not DER", der)
			}
		})
	}
	// Unchanged DER is returned without a copy.
	in := unhex(t, "30 03 02 01 05 00")
	der, _, _, _ := berToDER(in)
	if &der[0] != &in[0] {
		t.Error("DER input was copied")
	}
}

func TestBERToDERErrors(t *testing.T) {
	deep := strings.Repeat("30 80 ", maxBERDepth+2) + strings.Repeat("00 00 ", maxBERDepth+2)
	for name, in := range map[string]string{
		"empty":                      "",
		"one byte":                   "30",
		"truncated content":          "30 05 02 01",
		"truncated long length":      "30 82 01",
		"length beyond input":        "04 84 7f ff ff ff 00",
		"length of 5 octets":         "04 85 00 00 00 00 01 aa",
		"reserved length 0xff":       "04 ff",
		"indefinite primitive":       "04 80 aa 00 00",
		"missing end-of-contents":    "30 80 02 01 05",
		"end-of-contents at top":     "00 00",
		"EOC inside definite":        "30 02 00 00",
		"high tag number":            "1f 81 01 00",
		"child overruns parent":      "30 80 30 03 02 01 00 00",
		"mixed string segments":      "24 80 0c 01 61 00 00",
		"BIT STRING empty segment":   "23 80 03 00 00 00",
		"BIT STRING inner unused":    "23 80 03 02 04 aa 03 02 00 bb 00 00",
		"BIT STRING unused over 7":   "23 80 03 02 08 aa 00 00",
		"too deep":                   deep,
		"indefinite then truncation": "30 80 30 80 00 00",
	} {
		t.Run(name, func(t *testing.T) {
			in := unhex(t, in)
			if der, _, _, err := berToDER(in); err == nil {
				t.Fatalf("accepted, gave %x", der)
			}
		})
	}
}

// TestBERRoundTrip: a real CMS turned into streaming BER and long-form lengths comes back as the
// same DER, byte for byte.
func TestBERRoundTrip(t *testing.T) {
	for _, name := range []string{"cms/pdf-01-sig1.p7s", "cms/pdf-15-sig1.p7s", "cms/ofd-04-sign3.p7s"} {
		der := readTestdata(t, name)
		for variant, ber := range map[string][]byte{
			"indefinite": toBER(t, der, 7), "long lengths": toLongLengths(t, der),
		} {
			got, rest, changed, err := berToDER(ber)
			if err != nil || len(rest) != 0 || !changed {
				t.Fatalf("%s %s: err %v, rest %d, changed %v", name, variant, err, len(rest), changed)
			}
			if !bytes.Equal(got, der) {
				t.Errorf("%s %s: round trip differs", name, variant)
			}
		}
	}
}

func FuzzBERToDER(f *testing.F) {
	f.Add(unhex(f, "30 80 24 80 04 01 aa 00 00 00 00"))
	f.Add(unhex(f, "23 80 03 02 00 aa 03 02 04 b0 00 00"))
	f.Add([]byte{0x5f, 0x4d})
	f.Add([]byte{0x30, 0x82, 0x06})
	f.Fuzz(func(t *testing.T, in []byte) {
		der, rest, changed, err := berToDER(in)
		if err != nil {
			return
		}
		if len(der)+len(rest) > len(in) && !changed {
			t.Fatal("unchanged output longer than input")
		}
		n, ok := derElementLen(der, 0)
		if !ok || n != len(der) {
			t.Fatalf("output %x of %x is not one DER element", der, in)
		}
		again, _, changed2, err := berToDER(der)
		if err != nil || changed2 || !bytes.Equal(again, der) {
			t.Fatalf("conversion not idempotent on %x", in)
		}
	})
}

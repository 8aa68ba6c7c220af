package pdf

import (
	"math"
	"testing"
)

func parseValue(b []byte) (object, error) {
	p := &parser{lx: newMemLexer(b)}
	return p.value(0)
}

// FuzzSerialize: whatever object the parser reads, the serializer writes it so that it reads
// back equal (strings byte for byte, names through their escapes, reals exactly).
func FuzzSerialize(f *testing.F) {
	for _, s := range []string{
		"<< /Type /Page /Annots [1 0 R 2 0 R] /MediaBox [0 0 595.28 841.89] /Rotate 90 >>",
		"(a \\(nested\\) string with \\\\ and \\n)", "<FEFF676D5DDE5E02>", "/N#23ame#20with#28", "[true false null -0 .5 1e3]",
		"<< /ID [(abc) <00ff>] /K << /Deep [[[<<>>]]] >> >>", "-3.25", "12345678901234",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := parseValue(data)
		if err != nil {
			return
		}
		out, err := appendValue(nil, o)
		if err != nil {
			if f, ok := o.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return
			}
			return // streams, and skipped long strings, are never copied
		}
		back, err := parseValue(out)
		if err != nil {
			t.Fatalf("%q written as %q does not parse: %v", data, out, err)
		}
		if !deepEqual(o, back) {
			t.Fatalf("%q written as %q reads back as %#v, want %#v", data, out, back, o)
		}
		again, _ := appendValue(nil, back)
		if string(again) != string(out) {
			t.Fatalf("not stable: %q then %q", out, again)
		}
	})
}

func TestTextString(t *testing.T) {
	for in, want := range map[string]string{
		"Signature 1": "Signature 1",
		"用章":          "\xfe\xff\x75\x28\x7a\xe0",
		"a(b":         "a(b",
		"tab\there":   "\xfe\xff\x00t\x00a\x00b\x00\t\x00h\x00e\x00r\x00e",
	} {
		if got := string(TextString(in)); got != want {
			t.Errorf("TextString(%q) = %q, want %q", in, got, want)
		}
		if got := decodeText(TextString(in)); got != in {
			t.Errorf("decodeText(TextString(%q)) = %q", in, got)
		}
	}
}

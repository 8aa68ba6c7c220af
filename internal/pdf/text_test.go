package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"testing"
	"time"
)

func TestDecodeText(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("plain"), "plain"},
		{[]byte{0xFE, 0xFF, 0x53, 0x70, 0x7A, 0xE0}, "印章"},
		{[]byte{0xFE, 0xFF, 0xD8, 0x3D, 0xDE, 0x00}, "😀"},
		{[]byte{0xEF, 0xBB, 0xBF, 0xE5, 0x8D, 0xB0}, "印"},
		{[]byte{0x80, 0x84, 0x92, 0xA0, 0xE9, 0x18}, "•—™€é˘"},
		{[]byte{0x7F, 0x9F, 0xAD}, "\uFFFD\uFFFD\uFFFD"},
	}
	for _, c := range cases {
		if got := decodeText(c.in); got != c.want {
			t.Errorf("decodeText(% x) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want string // RFC 3339, "" for unparseable
	}{
		{"D:20240102030405+08'00'", "2024-01-02T03:04:05+08:00"},
		{"D:20240102030405+08'00", "2024-01-02T03:04:05+08:00"},
		{"D:20240102030405-0530", "2024-01-02T03:04:05-05:30"},
		{"D:20240102030405Z", "2024-01-02T03:04:05Z"},
		{"D:20240102030405Z00'00'", "2024-01-02T03:04:05Z"},
		{"D:2024", "2024-01-01T00:00:00Z"},
		{"D:202402", "2024-02-01T00:00:00Z"},
		{"20240102", "2024-01-02T00:00:00Z"},
		{"D:20240230", ""},
		{"D:20241301", ""},
		{"D:20240102030405+8", ""},
		{"D:20240102030405X", ""},
		{"yesterday", ""},
		{"D:20", ""},
	}
	for _, c := range cases {
		got, ok := parseDate(c.in)
		s := ""
		if ok {
			s = got.Format(time.RFC3339)
		}
		if s != c.want {
			t.Errorf("parseDate(%q) = %q, want %q", c.in, s, c.want)
		}
	}
}

func parseOne(t *testing.T, src string) (object, error) {
	t.Helper()
	p := &parser{lx: newMemLexer([]byte(src))}
	return p.value(0)
}

func TestParserValues(t *testing.T) {
	cases := []struct{ src, want string }{
		{"123", "123"},
		{"-4.5", "-4.5"},
		{".5", "0.5"},
		{"99999999999999999999", "1e+20"},
		{"/A#42c", "ABc"},
		{"(a(b)c\\)\\n\\101\\7x\\\ny)", `"a(b)c)\nA\axy"`},
		{"(line\r\nbreak\rend)", `"line\nbreak\nend"`},
		{"<41 42 4>", `"AB@"`},
		{"[1 2 0 R 3]", "[1 2 0 R 3]"},
		{"<< /K [true false null] >>", "map[K:[true false <nil>]]"},
		{"12 0 R", "12 0 R"},
		{"12 0 obj", "12"},
		{"% comment\n7", "7"},
	}
	for _, c := range cases {
		v, err := parseOne(t, c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		var got string
		if s, ok := v.(pdfString); ok {
			got = fmt.Sprintf("%q", s.b)
		} else {
			got = fmt.Sprint(v)
		}
		if got != c.want {
			t.Errorf("%q parsed as %s, want %s", c.src, got, c.want)
		}
	}
}

func TestParserErrors(t *testing.T) {
	deep := bytes.Repeat([]byte("["), maxNesting+2)
	cases := []struct{ src, want string }{
		{"", "unexpected end of data"},
		{">", "unexpected '>'"},
		{")", "unexpected ')'"},
		{"{", "unexpected '{'"},
		{"(unterminated", "unterminated string"},
		{"<41", "unterminated hex string"},
		{"<4G>", "invalid character 'G' in hex string"},
		{"<< /A 1 /A 2 >>", "duplicate key /A"},
		{"<< 1 2 >>", "dictionary key is not a name"},
		{"<< /A >>", "dictionary key /A has no value"},
		{"[1 2", "unexpected end of data"},
		{"foo", `unexpected keyword "foo"`},
		{string(deep), "nested more than"},
		{string(bytes.Repeat([]byte("9"), 300)), "token longer than"},
		{"/" + string(bytes.Repeat([]byte("n"), maxNameLen+1)), "name longer than"},
	}
	for _, c := range cases {
		_, err := parseOne(t, c.src)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%.20q: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestPredictors(t *testing.T) {
	// PNG Up rows of 2 bytes: [0 1 2] [2 1 1] -> 1 2, 2 3.
	got, err := applyPredictor([]byte{0, 1, 2, 2, 1, 1}, dict{"Predictor": int64(12), "Columns": int64(2)})
	if err != nil || fmt.Sprint(got) != "[1 2 2 3]" {
		t.Errorf("PNG Up: %v %v", got, err)
	}
	// Sub, Average and Paeth on one-byte pixels:
	// [1 1] -> 1 2; avg: 2+(0+1)/2=2, 2+(2+2)/2=4; paeth: 1+2=3, 1+4=5.
	got, err = applyPredictor([]byte{1, 1, 1, 3, 2, 2, 4, 1, 1}, dict{"Predictor": int64(15), "Columns": int64(2)})
	if err != nil || fmt.Sprint(got) != "[1 2 2 4 3 5]" {
		t.Errorf("PNG Sub/Average/Paeth: %v %v", got, err)
	}
	got, err = applyPredictor([]byte{1, 1, 1}, dict{"Predictor": int64(2), "Columns": int64(3)})
	if err != nil || fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("TIFF: %v %v", got, err)
	}
	for _, bad := range []dict{
		{"Predictor": int64(12), "Columns": int64(0)},
		{"Predictor": int64(5)},
		{"Predictor": int64(2), "BitsPerComponent": int64(4)},
		{"Predictor": int64(12), "Columns": int64(1000)},
	} {
		if _, err := applyPredictor([]byte{0, 0}, bad); err == nil {
			t.Errorf("predictor %v accepted", bad)
		}
	}
	if _, err := applyPredictor([]byte{9, 0}, dict{"Predictor": int64(12), "Columns": int64(1)}); err == nil {
		t.Errorf("bad PNG filter type accepted")
	}
}

func TestInflateLimits(t *testing.T) {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(bytes.Repeat([]byte("x"), 1000))
	w.Close()
	if _, err := inflate(bytes.NewReader(b.Bytes()), 999); err != errTooLarge {
		t.Errorf("inflate past the limit: %v", err)
	}
	out, err := inflate(bytes.NewReader(b.Bytes()[:b.Len()-4]), 1000) // checksum cut off
	if err != nil || len(out) != 1000 {
		t.Errorf("truncated checksum: %d bytes, %v", len(out), err)
	}
}

package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"strings"
	"testing"
)

// Streams whose /Length is wrong or indirect are read the way repairing
// readers do; a stream without endstream makes its object unreadable.
func TestStreamLengths(t *testing.T) {
	cases := []struct {
		name, obj4 string
		wantErr    string
		wantLen    int64
	}{
		{"direct length", "<< /Length 5 >>\nstream\nhello\nendstream", "", 5},
		{"indirect length", "<< /Length 9 0 R >>\nstream\nhello\nendstream", "", 5},
		{"length too long", "<< /Length 50 >>\nstream\nhello\nendstream", "", 5},
		{"length too short, CRLF", "<< /Length 2 >>\r\nstream\r\nhello\r\nendstream", "", 5},
		{"length not a number", "<< /Length (x) >>\nstream\nhello\rendstream", "", 5},
		{"no endstream", "<< /Length 5 >>\nstream\nhello", "stream has no endstream", 0},
		{"stream after a non-dictionary", "[1]\nstream\nhello\nendstream", "stream keyword after a value that is not a dictionary", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newBuilder(t)
			p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
			p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			p.obj(9, "5")
			p.obj(4, tc.obj4)
			p.endRevision()
			d := openBytes(t, p.bytes())
			o, _, err := d.resolve(ref{4, 0}, -1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				// The failure is remembered, not re-parsed.
				if _, _, err2 := d.resolve(ref{4, 0}, -1); err2 == nil || err2.Error() != err.Error() {
					t.Errorf("second resolve: %v", err2)
				}
				return
			}
			st, ok := o.(*stream)
			if err != nil || !ok || st.length != tc.wantLen {
				t.Fatalf("got %#v, %v; want a stream of %d bytes", o, err, tc.wantLen)
			}
			data, err := d.streamData(st, -1, 100)
			if err != nil || string(data) != "hello" {
				t.Errorf("data %q, %v", data, err)
			}
		})
	}
}

func flated(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestStreamFilters(t *testing.T) {
	z := flated("hello")
	cases := []struct {
		name, dict, data, want, wantErr string
	}{
		{"flate name", "/Filter /FlateDecode", z, "hello", ""},
		{"flate abbreviation in an array", "/Filter [/Fl] /DecodeParms [null]", z, "hello", ""},
		{"flate with predictor", "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 1 >>", flated("\x00h\x00e\x00l\x00l\x00o"), "hello", ""},
		{"raw deflate", "/Filter /FlateDecode", z[2 : len(z)-4], "hello", ""},
		{"two filters", "/Filter [/FlateDecode /ASCIIHexDecode]", z, "", "unsupported filter chain"},
		{"filter not a name", "/Filter (x)", z, "", "/Filter is neither a name nor an array"},
		{"filter array element not a name", "/Filter [1]", z, "", "filter is not a name"},
		{"unsupported filter", "/Filter /DCTDecode", z, "", "unsupported filter /DCTDecode"},
		{"too large", "", strings.Repeat("x", 200), "", "decoded stream too large"},
		{"flate too large", "/Filter /FlateDecode", flated(strings.Repeat("x", 200)), "", "decoded stream too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newBuilder(t)
			p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
			p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			p.stream(4, tc.dict, tc.data)
			p.endRevision()
			d := openBytes(t, p.bytes())
			o, _, err := d.resolve(ref{4, 0}, -1)
			if err != nil {
				t.Fatal(err)
			}
			data, err := d.streamData(o.(*stream), -1, 100)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(data) != tc.want {
				t.Errorf("data %q, %v; want %q", data, err, tc.want)
			}
		})
	}
}

// Broken object streams make the objects in them unreadable; a later
// revision that writes such an object is classified as "other".
func TestBrokenObjectStreams(t *testing.T) {
	cases := []struct{ name, stm, want string }{
		{"bad header", "<< /Type /ObjStm /N 1 /First 4 /Length 8 >>\nstream\nx y << >>\nendstream", "bad header"},
		{"wrong object number", "<< /Type /ObjStm /N 1 /First 5 /Length 7 >>\nstream\n11 0 1\nendstream", "holds object 11 at index 0, not 10"},
		{"bad /First", "<< /Type /ObjStm /N 1 /First 99 /Length 7 >>\nstream\n10 0 1\nendstream", "bad /N or /First"},
		{"not a stream", "<< /Type /ObjStm >>", "is not an object stream"},
		{"unsupported filter", "<< /Type /ObjStm /N 1 /First 5 /Filter /LZWDecode /Length 7 >>\nstream\n10 0 1\nendstream", "unsupported filter"},
		{"object offset outside", "<< /Type /ObjStm /N 1 /First 5 /Length 7 >>\nstream\n10 90 1\nendstream", "object offset outside its object stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := baseDoc(t)
			p.obj(20, tc.stm)
			// Object 10 is at index 0 of object stream 20, and the page now uses it.
			p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [6 0 R 8 0 R] /Thumb 10 0 R >>")
			p.compressed(10, 20, 0)
			p.endRevisionXRef()
			d := openBytes(t, p.bytes())
			_, _, err := d.resolve(ref{10, 0}, -1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("resolve: %v, want %q", err, tc.want)
			}
			ch, err := d.ChangesAfter(sigByName(t, d, "Sig1"))
			if err != nil || len(ch) != 1 || ch[0].Kind != ChangeOther {
				t.Errorf("changes: %v\n%s", err, dumpChanges(ch))
			}
		})
	}
}

// Work limits turn hostile structures into errors.
func TestWorkLimits(t *testing.T) {
	b := baseDoc(t).bytes()
	defer func(w, s int) { workBudget, walkBudget = w, s }(workBudget, walkBudget)

	workBudget = 3
	_, err := Open(bytes.NewReader(b), int64(len(b)))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Reason != TooComplex || !strings.Contains(err.Error(), "work limit reached") {
		t.Errorf("tiny work budget: %v", err)
	}

	workBudget = 4 << 20
	walkBudget = 2
	p := baseDoc(t)
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.endRevision()
	d := openBytes(t, p.bytes())
	_, err = d.ChangesAfter(sigByName(t, d, "Sig1"))
	if !errors.As(err, &fe) || fe.Reason != TooComplex || !strings.Contains(err.Error(), "object references in revision 2") {
		t.Errorf("tiny walk budget: %v", err)
	}
}

func TestChangesAfterUnknownRevision(t *testing.T) {
	d := openBytes(t, baseDoc(t).bytes())
	_, err := d.ChangesAfter(&Signature{FieldName: "ghost", Revision: -1})
	if err == nil || !strings.Contains(err.Error(), `cannot tell which revision signature "ghost" belongs to`) {
		t.Errorf("error %v", err)
	}
}

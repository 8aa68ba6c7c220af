package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestCheckByteRange writes every kind of ByteRange into the base
// document's signature and checks the verdict.
func TestCheckByteRange(t *testing.T) {
	cases := []struct {
		name     string
		br       func(a, b, end int64) string
		coverage Coverage
		gapOK    bool
		problems []string // %d verbs take a, b, end in order when present
	}{
		{"whole file", standard, CoverageEntireFile, true, nil},
		{"ends before the end of the file", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b, end-b-20) },
			CoverageUnclear, true, []string{"the signed bytes end at byte {end-20}, which is neither the end of the file ({end}) nor the end of a revision (revision 1 ends at byte {end})"}},
		{"ends just after %%EOF, before its end of line", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b, end-b-1) },
			CoverageEntireRevision, true, nil},
		{"two numbers", func(a, b, end int64) string { return fmt.Sprintf("[0 %d]", a) },
			CoverageInvalid, false, []string{"ByteRange has 2 numbers, expected 4"}},
		{"six numbers", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d 0 0]", a, b, end-b) },
			CoverageInvalid, false, []string{"ByteRange has 6 numbers, expected 4"}},
		{"negative number", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d -5]", a, b) },
			CoverageInvalid, false, []string{"ByteRange number 4 is negative (-5)"}},
		{"real number", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d 1.5]", a, b) },
			CoverageInvalid, false, []string{"ByteRange element 4 is not an integer"}},
		{"not starting at 0", func(a, b, end int64) string { return fmt.Sprintf("[7 %d %d %d]", a-7, b, end-b) },
			CoverageInvalid, false, []string{"bytes 0..7 are not covered: the first range starts at 7"}},
		{"overlapping ranges", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", b, a, end-a) },
			CoverageInvalid, false, []string{"ranges overlap: the second range starts at {a}, before the first ends at {b}"}},
		{"no gap", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, a, end-a) },
			CoverageInvalid, false, []string{"the ranges leave no gap for the signature"}},
		{"past the end of the file", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b, end-b+100) },
			CoverageInvalid, false, []string{"range ends past end of file ({b} + {end-b+100} > {end})"}},
		{"first range past the end of the file", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", end+1, end+5, 0) },
			CoverageInvalid, false, []string{"the first range ends past the end of the file (0 + {end+1} > {end})"}},
		{"gap starts before the hex string", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a-1, b, end-b) },
			CoverageUnclear, false, []string{"the gap {a-1}..{b} is not the /Contents string, which is written at {a}..{b}", "the gap {a-1}..{b} does not start with '<'", "bytes outside the /Contents string are left unsigned"}},
		{"gap ends inside the hex string", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b-1, end-b+1) },
			CoverageUnclear, false, []string{"the gap {a}..{b-1} is not the /Contents string, which is written at {a}..{b}", "the gap {a}..{b-1} does not end with '>'", "bytes outside the /Contents string are left unsigned"}},
		{"gap covers more than the hex string", func(a, b, end int64) string { return fmt.Sprintf("[0 %d %d %d]", a, b+13, end-b-13) },
			CoverageUnclear, false, []string{"the gap {a}..{b+13} is not the /Contents string, which is written at {a}..{b}", "the gap holds '>' at byte {b-1}, which is not a hex digit", "bytes outside the /Contents string are left unsigned"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := baseDoc(t)
			var a, b, end int64
			p.setByteRange(7, func(a0, b0, end0 int64) string { a, b, end = a0, b0, end0; return tc.br(a0, b0, end0) })
			d := openBytes(t, p.bytes())
			c := d.CheckByteRange(sigByName(t, d, "Sig1"))
			var want []string
			for _, w := range tc.problems {
				want = append(want, expand(w, a, b, end))
			}
			if c.Coverage != tc.coverage || c.GapIsContents != tc.gapOK || fmt.Sprintf("%q", c.Problems) != fmt.Sprintf("%q", want) {
				t.Errorf("got %v gap=%v %q\nwant %v gap=%v %q", c.Coverage, c.GapIsContents, c.Problems, tc.coverage, tc.gapOK, want)
			}
			if (c.Coverage == CoverageInvalid) != (c.Ranges == nil) {
				t.Errorf("ranges %v with coverage %v", c.Ranges, c.Coverage)
			}
			if c.OK() != (tc.gapOK && (tc.coverage == CoverageEntireFile || tc.coverage == CoverageEntireRevision)) {
				t.Errorf("OK() = %v", c.OK())
			}
		})
	}
}

// expand replaces {a}, {b}, {end} and simple sums like {end-b+100}.
func expand(s string, a, b, end int64) string {
	vars := map[string]int64{"a": a, "b": b, "end": end}
	for {
		i := strings.Index(s, "{")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}") + i
		expr := s[i+1 : j]
		var total int64
		sign := int64(1)
		tok := ""
		flush := func() {
			if tok == "" {
				return
			}
			v, ok := vars[tok]
			if !ok {
				fmt.Sscan(tok, &v)
			}
			total += sign * v
			tok = ""
		}
		for _, r := range expr {
			switch r {
			case '+':
				flush()
				sign = 1
			case '-':
				flush()
				sign = -1
			default:
				tok += string(r)
			}
		}
		flush()
		s = s[:i] + fmt.Sprint(total) + s[j+1:]
	}
}

func TestCheckByteRangeDictionaryProblems(t *testing.T) {
	cases := []struct {
		name, sig string
		problems  []string
	}{
		{"no ByteRange", "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Contents <3082> >>",
			[]string{"the signature dictionary has no /ByteRange"}},
		{"ByteRange not an array", "<< /Type /Sig /ByteRange 5 /Contents <3082> >>",
			[]string{"/ByteRange is not an array"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newBuilder(t)
			p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
			p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
			p.obj(3, "<< /FT /Sig /T (S) /V 4 0 R >>")
			p.obj(4, tc.sig)
			p.endRevision()
			d := openBytes(t, p.bytes())
			c := d.CheckByteRange(sigByName(t, d, "S"))
			if c.Coverage != CoverageInvalid || fmt.Sprintf("%q", c.Problems) != fmt.Sprintf("%q", tc.problems) {
				t.Errorf("got %v %q, want invalid %q", c.Coverage, c.Problems, tc.problems)
			}
		})
	}
}

// The gap must decode to /Contents and /Contents must have a known place.
func TestCheckGapAgainstContents(t *testing.T) {
	d := openBytes(t, baseDoc(t).bytes())
	s := sigByName(t, d, "Sig1")

	other := *s
	other.Contents = append([]byte{0x99}, s.Contents[1:]...)
	c := d.CheckByteRange(&other)
	if c.GapIsContents || !contains(c.Problems, "the gap does not decode to the /Contents value") {
		t.Errorf("different contents: %+v", c)
	}
	shorter := *s
	shorter.Contents = s.Contents[:len(s.Contents)-1]
	if c := d.CheckByteRange(&shorter); c.GapIsContents {
		t.Errorf("shorter contents accepted: %+v", c)
	}

	unknown := *s
	unknown.ContentsOffset, unknown.ContentsEnd = -1, -1
	c = d.CheckByteRange(&unknown)
	want := fmt.Sprintf("the position of /Contents in the file is unknown, so the gap %d..%d cannot be matched to it", s.ByteRange[1], s.ByteRange[2])
	if c.GapIsContents || c.Coverage != CoverageUnclear || !contains(c.Problems, want) {
		t.Errorf("unknown position: %+v", c)
	}
}

// A signature dictionary inside an object stream cannot have a ByteRange
// gap; it is read and reported as such.
func TestSignatureInObjectStream(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	p.packed(3, "<< /FT /Sig /T (Packed) /V 4 0 R >>")
	p.packed(4, "<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange [0 10 20 30] /Contents <3082> >>")
	p.endRevisionXRef()
	d := openBytes(t, p.bytes())
	s := sigByName(t, d, "Packed")
	if s.ContentsOffset != -1 || !contains(s.Problems, "the signature dictionary is inside an object stream, so /ByteRange cannot exclude its /Contents") {
		t.Errorf("packed signature: offset %d problems %q", s.ContentsOffset, s.Problems)
	}
	if c := d.CheckByteRange(s); c.GapIsContents || c.Coverage != CoverageUnclear {
		t.Errorf("packed signature check: %+v", c)
	}
}

// An unreachable signature dictionary inside an object stream is found too.
func TestUnreachableInObjectStream(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	p.packed(3, "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <3082> >>")
	p.endRevisionXRef()
	d := openBytes(t, p.bytes())
	if len(d.UnreachableSignatures) != 1 || d.UnreachableSignatures[0].SubFilter != "ETSI.CAdES.detached" || d.UnreachableSignatures[0].ObjectNum != 3 {
		t.Fatalf("unreachable: %+v", d.UnreachableSignatures)
	}
}

func TestCoverageString(t *testing.T) {
	want := []string{"invalid", "unclear", "entire revision", "entire file", "Coverage(9)"}
	for i, c := range []Coverage{CoverageInvalid, CoverageUnclear, CoverageEntireRevision, CoverageEntireFile, 9} {
		if c.String() != want[i] {
			t.Errorf("%d: %q, want %q", int(c), c.String(), want[i])
		}
	}
}

// A gap that is exactly a literal /Contents string is not a hex string: the
// signed bytes leave out something other than a signature value.
func TestGapIsLiteralContents(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	p.obj(3, "<< /FT /Sig /T (S) /V 4 0 R >>")
	p.obj(4, "<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange "+byteRangeHole+" /Contents (0a0b) >>")
	p.endRevision()
	data := p.bytes()
	a := int64(bytes.Index(data, []byte("(0a0b)")))
	b := a + int64(len("(0a0b)"))
	br := standard(a, b, int64(len(data)))
	hole := bytes.Index(data, []byte(byteRangeHole))
	copy(data[hole:], br+strings.Repeat(" ", len(byteRangeHole)-len(br)))
	d := openBytes(t, data)
	s := sigByName(t, d, "S")
	if s.ContentsOffset != a || s.ContentsEnd != b {
		t.Fatalf("/Contents at %d..%d, want %d..%d", s.ContentsOffset, s.ContentsEnd, a, b)
	}
	c := d.CheckByteRange(s)
	want := fmt.Sprintf("the gap %d..%d does not start with '<'", a, b)
	if c.GapIsContents || c.Coverage != CoverageUnclear || !contains(c.Problems, want) {
		t.Errorf("literal /Contents as the gap: %+v", c)
	}
}

// The verdict is remembered, handed out as copies, and made again when the
// signature it judged changes.
func TestCheckByteRangeRemembered(t *testing.T) {
	d := openBytes(t, baseDoc(t).bytes())
	s := sigByName(t, d, "Sig1")
	c1 := d.CheckByteRange(s)
	if !c1.OK() || len(c1.Ranges) != 2 {
		t.Fatalf("first check: %+v", c1)
	}
	c1.Ranges[0][1] = -5
	c1.Problems = append(c1.Problems, "changed by the caller")
	if c2 := d.CheckByteRange(s); !c2.OK() || c2.Ranges[0][1] == -5 || len(c2.Problems) != 0 {
		t.Errorf("the remembered verdict was changed through a copy: %+v", c2)
	}
	good := s.Contents
	s.Contents = append([]byte{0x99}, good[1:]...)
	if c := d.CheckByteRange(s); c.GapIsContents || !contains(c.Problems, "the gap does not decode to the /Contents value") {
		t.Errorf("after /Contents changed: %+v", c)
	}
	s.Contents = good
	s.ByteRange = append([]int64{}, s.ByteRange...)
	s.ByteRange[3] -= 10
	if c := d.CheckByteRange(s); c.Coverage != CoverageUnclear {
		t.Errorf("after /ByteRange changed: %+v", c)
	}
}

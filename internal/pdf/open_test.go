package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestOpenFormatErrors(t *testing.T) {
	valid := baseDoc(t).bytes()
	xrefAt := bytes.LastIndex(valid, []byte("\nxref\n")) + 1
	cases := []struct {
		name   string
		data   func() []byte
		reason FormatReason
		detail string
	}{
		{"empty", func() []byte { return nil }, NotPDF, "no %PDF- header"},
		{"not a PDF", func() []byte { return []byte("hello, world\n") }, NotPDF, "no %PDF- header"},
		{"no startxref", func() []byte { return []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n") }, NoXref, "no startxref"},
		{"startxref without offset", func() []byte { return []byte("%PDF-1.7\nstartxref\nxyz\n%%EOF\n") }, NoXref, "startxref is not followed by an offset"},
		{"startxref past the end", func() []byte { return []byte("%PDF-1.7\nstartxref\n999999\n%%EOF\n") }, NoXref, "startxref is not followed by an offset"},
		{"startxref at garbage", func() []byte { return []byte("%PDF-1.7\ngarbage here\nstartxref\n9\n%%EOF\n") }, NoXref, "does not point at a cross-reference section"},
		{"startxref at an object that is not an xref stream", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "not a cross-reference stream"},
		{"bad xref entry", func() []byte {
			b := bytes.Clone(valid)
			first := xrefAt + len("xref\n") + bytes.IndexByte(b[xrefAt+len("xref\n"):], '\n') + 1 // the first entry
			copy(b[first:], "000000000x")
			return b
		}, BadXref, "bad cross-reference entry"},
		{"bad subsection header", func() []byte {
			b := bytes.Clone(valid)
			copy(b[xrefAt+len("xref\n"):], "x")
			return b
		}, BadXref, "bad cross-reference subsection header"},
		{"subsection longer than the file", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 99999\n0000000000 65535 f \ntrailer << >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "longer than the file"},
		{"trailer not a dictionary", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer [1]\nstartxref\n9\n%%EOF\n")
		}, BadXref, "trailer is not a dictionary"},
		{"/Prev outside the file", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /Prev 99999 >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "/Prev 99999 is outside the file"},
		{"/Prev not an integer", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /Prev (x) >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "/Prev is not an integer"},
		{"/Prev loops", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /Prev 9 >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "the /Prev chain of cross-reference sections loops"},
		{"no /Root", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Size 1 >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "the trailer has no /Root"},
		{"/Root not a dictionary", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 5 0 R >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "the document catalog (/Root) is missing or not a dictionary"},
		{"encrypted", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /Encrypt 2 0 R >>\nstartxref\n9\n%%EOF\n")
		}, Encrypted, "the trailer has /Encrypt"},
		{"/XRefStm not a stream", func() []byte {
			return []byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R /XRefStm 9 >>\nstartxref\n9\n%%EOF\n")
		}, BadXref, "/XRefStm does not point at a cross-reference stream"},
		{"xref stream without /W", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 1 /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "without /W"},
		{"xref stream with bad /W", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 1 /W [1 9 1] /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "bad /W"},
		{"xref stream shorter than its /Index", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 5 /W [1 2 1] /Length 4 >>\nstream\n\x01\x00\x09\x00\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "shorter than its /Index"},
		{"xref stream with odd /Index", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 5 /W [1 2 1] /Index [0] /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "odd /Index"},
		{"xref stream with an unsupported filter", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 1 /W [1 2 1] /Filter /LZWDecode /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "unsupported filter /LZWDecode"},
		{"xref stream with corrupt flate data", func() []byte {
			return []byte("%PDF-1.7\n1 0 obj << /Type /XRef /Size 1 /W [1 2 1] /Filter /FlateDecode /Length 4 >>\nstream\nabcd\nendstream\nendobj\nstartxref\n9\n%%EOF\n")
		}, BadXref, "flate"},
		{"too many sections", func() []byte {
			p := newBuilder(t)
			p.obj(1, "<< /Type /Catalog >>")
			for range maxSections + 1 {
				p.endRevision()
			}
			return p.bytes()
		}, TooComplex, "more than 4096 cross-reference sections"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.data()
			_, err := Open(bytes.NewReader(b), int64(len(b)))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FormatError", err, err)
			}
			if fe.Reason != tc.reason || !strings.Contains(fe.Error(), tc.detail) {
				t.Errorf("error %q (reason %v), want reason %v mentioning %q", fe.Error(), fe.Reason, tc.reason, tc.detail)
			}
		})
	}
}

func TestFormatErrorText(t *testing.T) {
	cases := []struct {
		e    FormatError
		want string
	}{
		{FormatError{NotPDF, -1, "x"}, "pdf: not a PDF: x"},
		{FormatError{NoXref, 12, ""}, "pdf: no cross-reference table (at byte 12)"},
		{FormatError{BadXref, -1, ""}, "pdf: malformed cross-reference data"},
		{FormatError{Encrypted, -1, ""}, "pdf: encrypted PDF (not supported)"},
		{FormatError{TooComplex, -1, ""}, "pdf: PDF too complex"},
		{FormatError{FormatReason(42), -1, ""}, "pdf: unknown format problem"},
	}
	for _, c := range cases {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}

// errReader fails after n bytes.
type errReader struct {
	data []byte
	n    int64
}

func (r errReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.n {
		return 0, fmt.Errorf("disk on fire")
	}
	return copy(p, r.data[off:]), nil
}

func TestOpenNegativeSize(t *testing.T) {
	if _, err := Open(bytes.NewReader(nil), -1); err == nil || !strings.Contains(err.Error(), "negative file size") {
		t.Errorf("error %v", err)
	}
}

func TestOpenReadError(t *testing.T) {
	b := baseDoc(t).bytes()
	for _, n := range []int64{0, 100, int64(len(b)) - 10} {
		_, err := Open(errReader{b, n}, int64(len(b)))
		var fe *FormatError
		if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("read error after %d bytes: %v, want the reader's error", n, err)
		}
	}
}

// Structural oddities that are survivable become warnings.
func TestOpenWarnings(t *testing.T) {
	t.Run("field tree cycle", func(t *testing.T) {
		p := newBuilder(t)
		p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
		p.obj(2, "<< /Type /Pages /Kids [2 0 R] /Count 1 >>") // page tree cycle too
		p.obj(3, "<< /T (a) /Kids [4 0 R] >>")
		p.obj(4, "<< /T (b) /Kids [3 0 R] >>")
		p.endRevision()
		d := openBytes(t, p.bytes())
		if !contains(d.Warnings, "the form field tree has a cycle") {
			t.Errorf("warnings %q", d.Warnings)
		}
	})
	t.Run("shared signature dictionary", func(t *testing.T) {
		p := baseDoc(t)
		p.obj(10, "<< /FT /Sig /T (Copy) /V 7 0 R >>")
		p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] >>")
		p.endRevision()
		d := openBytes(t, p.bytes())
		if len(d.Signatures) != 1 || !contains(d.Warnings, `fields "Sig1" and "Copy" share one signature dictionary`) {
			t.Errorf("signatures %d warnings %q", len(d.Signatures), d.Warnings)
		}
	})
	t.Run("ByteRange outside every object", func(t *testing.T) {
		// Between the objects of a revision (after the last %%EOF it would be a damaged update).
		p := baseDocWith(t, "[6 0 R 8 0 R]", "[6 0 R 8 0 R]", func(p *pdfBuilder) { p.raw("/ByteRange [0 1 2 3]\n") })
		d := openBytes(t, p.bytes())
		if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "is outside every object listed in the cross-reference data") {
			t.Errorf("warnings %q", d.Warnings)
		}
	})
	t.Run("garbage before the header", func(t *testing.T) {
		b := append([]byte("junk"), baseDoc(t).bytes()...)
		_, err := Open(bytes.NewReader(b), int64(len(b)))
		// Offsets are absolute, so the cross-reference data no longer fits.
		if err == nil {
			t.Errorf("a shifted file opened without error")
		}
	})
	t.Run("startxref more than a window before the end", func(t *testing.T) {
		// The last startxref is looked for backwards, window by window.
		b := baseDoc(t).bytes()
		for _, pad := range []int{bigBufferSize + 3, 2*bigBufferSize - 5} {
			padded := append(append([]byte{}, b...), bytes.Repeat([]byte(" "), pad)...)
			d := openBytes(t, padded)
			if d.TrailingBytes != int64(pad) || len(d.Signatures) != 1 {
				t.Errorf("pad %d: trailing %d, %d signatures", pad, d.TrailingBytes, len(d.Signatures))
			}
		}
	})
	t.Run("missing %%EOF", func(t *testing.T) {
		p := newBuilder(t)
		p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		p.endRevision()
		b := p.bytes()
		b = b[:len(b)-len("%%EOF\n")]
		d := openBytes(t, b)
		if d.Revisions[0].End != int64(len(b)) || !strings.Contains(strings.Join(d.Warnings, ""), "revision 1 has no %%EOF marker") {
			t.Errorf("end %d warnings %q", d.Revisions[0].End, d.Warnings)
		}
		// With a signature that signs past the end, the file was cut short.
		b = baseDoc(t).bytes()
		b = b[:len(b)-len("%%EOF\n")]
		_, err := Open(bytes.NewReader(b), int64(len(b)))
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Reason != Damaged || !strings.Contains(err.Error(), `the signature of field "Sig1" signs 6 bytes past its end`) {
			t.Errorf("signed file without %%%%EOF: %v", err)
		}
	})
	t.Run("empty signature field", func(t *testing.T) {
		p := baseDoc(t)
		p.obj(10, "<< /FT /Sig /T (Later) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>")
		p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] >>")
		p.endRevision()
		d := openBytes(t, p.bytes())
		if fmt.Sprint(d.EmptySignatureFields) != "[Later]" {
			t.Errorf("empty fields %q", d.EmptySignatureFields)
		}
	})
}

// Hierarchical field names, inherited /FT, widgets as kids, and the
// dictionary problems a verifier must hear about.
func TestSignatureFields(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> /Perms << /DocMDP 7 0 R >> >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Annots [6 0 R] >>")
	p.obj(4, "<< /T (parent) /FT /Sig /Kids [5 0 R] >>")
	p.obj(5, "<< /T <FEFF5370> /Parent 4 0 R /V 7 0 R /Kids [6 0 R] /Lock << /Type /SigFieldLock /Action /Include /Fields [(a) (b)] >> >>")
	p.obj(6, "<< /Type /Annot /Subtype /Widget /Parent 5 0 R /Rect [1 2 3 4] >>")
	p.obj(7, "<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange [0 1 2 3] /Contents (lit) /M (yesterday) /Name (caf\\351) "+
		"/Reference [<< /TransformMethod /DocMDP /TransformParams << /P 7 >> >>] /Cert [(c1) (c2)] >>")
	p.endRevision()
	d := openBytes(t, p.bytes())
	s := sigByName(t, d, "parent.印")
	if s.Page != 1 || s.Rect != [4]float64{1, 2, 3, 4} || s.Name != "café" || len(s.Cert) != 2 {
		t.Errorf("widget/texts: page %d rect %v name %q certs %d", s.Page, s.Rect, s.Name, len(s.Cert))
	}
	if s.Lock == nil || s.Lock.Action != "Include" || fmt.Sprint(s.Lock.Fields) != "[a b]" {
		t.Errorf("lock %+v", s.Lock)
	}
	if s.DocMDP == nil || s.DocMDP.P != 1 || !s.DocMDP.InPerms || !s.DocMDP.InReference {
		t.Errorf("DocMDP %+v", s.DocMDP)
	}
	want := []string{
		"/Contents is a literal string, not a hexadecimal string",
		`/M "yesterday" is not a PDF date`,
		"DocMDP /P 7 is not 1, 2 or 3; read as 1",
	}
	if fmt.Sprintf("%q", s.Problems) != fmt.Sprintf("%q", want) {
		t.Errorf("problems %q\nwant %q", s.Problems, want)
	}

	// Other /V values and /Contents forms.
	for _, tc := range []struct{ v, obj8, want string }{
		{"/V 8 0 R", "[1 2]", "the field value /V is not a signature dictionary"},
		{"/V 8 0 R", "<< /Type /Sig /ByteRange [0 1 2 3] >>", "the signature dictionary has no /Contents"},
		{"/V 8 0 R", "<< /Type /Sig /ByteRange [0 1 2 3] /Contents 5 >>", "/Contents is not a string"},
		{"/V 8 0 R", "<< /Type /Sig /ByteRange [0 1 2 3] /Contents 9 0 R >>", "/Contents is an indirect object"},
		{"/V 8 0 R", "<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00 00> >>", "/Contents is all zero bytes: the signature placeholder was never filled"},
		{"/V 8 0 R", "<< /Type /Sig /ByteRange [0 1 2 /x] /Contents <30> >>", ""},
		{"/V << /Type /Sig /ByteRange [0 1 2 3] /Contents <30> /M (D:2024) >>", "null", ""},
		{"/V 8 0 R", "<< bad", "signature dictionary 8 0 R is unreadable"},
	} {
		p := newBuilder(t)
		p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
		p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		p.obj(3, "<< /FT /Sig /T (f) "+tc.v+" >>")
		p.obj(8, tc.obj8)
		p.obj(9, "<3082>")
		p.endRevision()
		d := openBytes(t, p.bytes())
		s := sigByName(t, d, "f")
		got := strings.Join(s.Problems, "|")
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("V %s / %s: problems %q, want %q", tc.v, tc.obj8, got, tc.want)
		}
	}
}

// A hybrid file: a classic table whose trailer names a cross-reference
// stream with the objects of the same revision.
func TestHybridFile(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	p.obj(3, "<< /FT /Sig /T (H) /V 4 0 R >>")
	p.obj(4, sigDict("Sig", "adbe.pkcs7.detached", ""))
	// Hide object 4 from the table: only the stream lists it.
	off4 := p.Offsets[4]
	delete(p.Pending, 4)
	xs := int64(p.Buf.Len())
	entry := []byte{1, byte(off4 >> 24), byte(off4 >> 16), byte(off4 >> 8), byte(off4), 0, 0}
	fmt.Fprintf(&p.Buf, "5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Index [4 1] /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(entry), entry)
	p.Size = 6
	p.Trailer = fmt.Sprintf(" /XRefStm %d", xs)
	p.endRevision()
	p.setByteRange(4, standard)
	d := openBytes(t, p.bytes())
	s := sigByName(t, d, "H")
	if c := d.CheckByteRange(s); c.Coverage != CoverageEntireFile || len(d.Revisions) != 1 {
		t.Errorf("hybrid: %d revisions, %+v", len(d.Revisions), c)
	}
}

func TestRevisionAt(t *testing.T) {
	b, err := os.ReadFile("testdata/pdf-03.pdf")
	if err != nil {
		t.Fatal(err)
	}
	d := openBytes(t, b)
	for _, c := range []struct {
		off  int64
		want int
	}{{0, 0}, {738, 0}, {739, 1}, {25852, 2}, {25853, 3}, {46883, 4}, {46884, -1}, {-1, -1}} {
		if got := d.RevisionAt(c.off); got != c.want {
			t.Errorf("RevisionAt(%d) = %d, want %d", c.off, got, c.want)
		}
	}
}

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

type wantChange struct {
	rev    int
	kind   ChangeKind
	detail string // substring of Change.Detail
}

// TestChangesAfterSynthetic builds one update per case on top of a document
// signed in revision 0 and checks how ChangesAfter classifies it.
func TestChangesAfterSynthetic(t *testing.T) {
	page := func(annots string) string {
		return "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> /Annots [" + annots + "] >>"
	}
	cases := []struct {
		name   string
		base   func(t testing.TB) *pdfBuilder
		update func(p *pdfBuilder)
		want   []wantChange
	}{
		{
			name:   "nothing after the signature",
			update: func(p *pdfBuilder) {},
			want:   nil,
		},
		{
			name:   "white space after %%EOF",
			update: func(p *pdfBuilder) { p.raw("\r\n\n  \n") },
			want:   []wantChange{{-1, ChangeNone, "6 bytes of white space"}},
		},
		{
			name:   "bytes appended after %%EOF",
			update: func(p *pdfBuilder) { p.raw("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n") },
			want:   []wantChange{{-1, ChangeOther, "are not part of any revision"}},
		},
		{
			name: "page content stream replaced",
			update: func(p *pdfBuilder) {
				p.stream(4, "", "BT /F1 12 Tf 10 10 Td (Goodbye) Tj ET")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `object 4 (replaced): content of page 1`}},
		},
		{
			name: "content stream added to the page",
			update: func(p *pdfBuilder) {
				p.stream(10, "", "0 0 m 100 100 l S")
				p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents [4 0 R 10 0 R] /Resources << >> /Annots [6 0 R 8 0 R] >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "page 1 changed: /Contents"}},
		},
		{
			name: "new page",
			update: func(p *pdfBuilder) {
				p.obj(2, "<< /Type /Pages /Kids [3 0 R 10 0 R] /Count 2 >>")
				p.obj(10, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "new page 2"}},
		},
		{
			name: "text annotation added",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /Type /Annot /Subtype /Text /Rect [50 50 70 70] /Contents (a note) /P 3 0 R >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevision()
			},
			want: []wantChange{{1, ChangeAnnotation, "/Text annotation added to page 1"}},
		},
		{
			name: "annotation added then removed",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /Type /Annot /Subtype /Square /Rect [50 50 70 70] /P 3 0 R >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevision()
				p.obj(3, page("6 0 R 8 0 R"))
				p.endRevision()
			},
			want: []wantChange{
				{1, ChangeAnnotation, "/Square annotation added"},
				{2, ChangeAnnotation, "/Square annotation removed from page 1"},
			},
		},
		{
			name: "form field filled",
			update: func(p *pdfBuilder) {
				p.stream(10, "/Type /XObject /Subtype /Form /BBox [0 0 90 20]", "BT (Alice) Tj ET")
				p.obj(8, "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [10 10 100 30] /F 4 /P 3 0 R /V (Alice) /AP << /N 10 0 R >> >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeFormFill, `form field "Name" filled: /AP /V`}},
		},
		{
			name: "form field appearance stream rewritten in place",
			update: func(p *pdfBuilder) {
				p.stream(9, "/Type /XObject /Subtype /Form /BBox [0 0 90 20]", "BT (Alice) Tj ET")
				p.obj(8, "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [10 10 100 30] /F 4 /P 3 0 R /AP << /N 9 0 R >> /V (Alice) >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeFormFill, `appearance of form field "Name"`}},
		},
		{
			name: "appearance override: the rewritten appearance is also used by the catalog",
			base: func(t testing.TB) *pdfBuilder {
				p := baseDoc(t)
				// A signed revision 1 makes object 9 reachable from the catalog too.
				p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /FooBar 9 0 R >>")
				p.obj(5, "<< /Fields [6 0 R 8 0 R 11 0 R] /SigFlags 3 >>")
				p.obj(3, page("6 0 R 8 0 R 11 0 R"))
				p.obj(11, "<< /FT /Sig /T (Sig0) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V 12 0 R >>")
				p.obj(12, sigDict("Sig", "adbe.pkcs7.detached", ""))
				p.endRevision()
				p.setByteRange(12, standard)
				return p
			},
			update: func(p *pdfBuilder) {
				p.stream(9, "/Type /XObject /Subtype /Form /BBox [0 0 90 20]", "BT (Alice) Tj ET")
				p.endRevision()
			},
			want: []wantChange{
				{1, ChangeOther, "catalog /FooBar"}, // revision 1 itself changes the catalog
				{2, ChangeOther, `object 9 (replaced): appearance of form field "Name"; also catalog /FooBar`},
			},
		},
		{
			name: "form field changed beyond its value",
			update: func(p *pdfBuilder) {
				p.obj(8, "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [10 10 190 30] /F 4 /P 3 0 R /AP << /N 9 0 R >> >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `field "Name" changed: /Rect`}},
		},
		{
			name: "new form field",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /FT /Tx /T (Extra) /Type /Annot /Subtype /Widget /Rect [10 40 100 60] /P 3 0 R >>")
				p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `new form field "Extra"`}},
		},
		{
			name: "second signature",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /FT /Sig /T (Sig2) /Type /Annot /Subtype /Widget /Rect [100 150 190 190] /F 132 /P 3 0 R /V 11 0 R /AP << /N 12 0 R >> >>")
				p.obj(11, sigDict("Sig", "ETSI.CAdES.detached", ""))
				p.stream(12, "/Type /XObject /Subtype /Form /BBox [0 0 90 40] /Resources << /XObject << /Im 13 0 R >> >>", "/Im Do")
				p.stream(13, "/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8", "\x80")
				p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevision()
				p.setByteRange(11, standard)
			},
			want: []wantChange{{1, ChangeSignature, `object 13 (added): appearance of signature field "Sig2"`}},
		},
		{
			name: "document timestamp",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /FT /Sig /T (TS) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V 11 0 R >>")
				p.obj(11, sigDict("DocTimeStamp", "ETSI.RFC3161", ""))
				p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevision()
				p.setByteRange(11, standard)
			},
			want: []wantChange{{1, ChangeTimestamp, `new document timestamp field "TS"`}},
		},
		{
			name: "validation data (DSS)",
			update: func(p *pdfBuilder) {
				p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /DSS 10 0 R >>")
				p.obj(10, "<< /Certs [11 0 R] /OCSPs [12 0 R] /VRI << /0123456789ABCDEF0123456789ABCDEF01234567 13 0 R >> >>")
				p.stream(11, "", "cert")
				p.stream(12, "", "ocsp")
				p.obj(13, "<< /Cert [11 0 R] /OCSP [12 0 R] /TU (D:20240101000000Z) >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeValidationData, "document security store added"}},
		},
		{
			name: "document information dictionary",
			update: func(p *pdfBuilder) {
				p.Trailer = " /Info 10 0 R"
				p.obj(10, "<< /Producer (eseal test) /ModDate (D:20240102000000Z) >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeMetadata, "document information dictionary"}},
		},
		{
			name: "XMP metadata added",
			update: func(p *pdfBuilder) {
				p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /Metadata 10 0 R >>")
				p.stream(10, "/Type /Metadata /Subtype /XML", "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeMetadata, "catalog /Metadata added"}},
		},
		{
			name: "objects rewritten identically, and an unreferenced object",
			update: func(p *pdfBuilder) {
				p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
				p.stream(4, "", "BT /F1 12 Tf 10 10 Td (Hello) Tj ET")
				p.obj(10, "<< /Orphan true >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeNone, "object 2 (unchanged): rewritten without changes"}},
		},
		{
			name: "catalog entry added",
			update: func(p *pdfBuilder) {
				p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /OpenAction 10 0 R >>")
				p.obj(10, "<< /S /JavaScript /JS (app.alert\\(1\\)) >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "catalog /OpenAction added"}},
		},
		{
			name: "signature dictionary rewritten",
			update: func(p *pdfBuilder) {
				p.obj(7, sigDict("Sig", "adbe.pkcs7.detached", "/Name (Signer) /Reason (changed)"))
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `the signature dictionary of field "Sig1" is rewritten`}},
		},
		{
			name: "signed field given another value",
			update: func(p *pdfBuilder) {
				p.obj(6, "<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [10 150 90 190] /F 132 /P 3 0 R /V 10 0 R >>")
				p.obj(10, sigDict("Sig", "adbe.pkcs7.detached", ""))
				p.endRevision()
				p.setByteRange(10, standard)
			},
			want: []wantChange{{1, ChangeOther, `the value of signature field "Sig1", already signed, is replaced`}},
		},
		{
			name: "referenced object deleted",
			update: func(p *pdfBuilder) {
				p.free(4)
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "object 4 (deleted): deleted while referenced as content of page 1"}},
		},
		{
			name: "signature field removed from the form",
			update: func(p *pdfBuilder) {
				p.obj(5, "<< /Fields [8 0 R] /SigFlags 3 >>")
				p.obj(3, page("8 0 R"))
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `field "Sig1" removed from the form`}},
		},
		{
			name: "annotation added to an indirect /Annots array",
			base: baseIndirect,
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /Type /Annot /Subtype /Highlight /Rect [50 50 70 70] /QuadPoints [50 50 70 50 50 70 70 70] >>")
				p.obj(11, "[6 0 R 8 0 R 10 0 R]")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeAnnotation, "object 11 (replaced): /Highlight annotation added to page 1"}},
		},
		{
			name: "existing annotation edited",
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /Type /Annot /Subtype /Text /Rect [50 50 70 70] /Contents (v1) /Popup 12 0 R >>")
				p.obj(12, "<< /Type /Annot /Subtype /Popup /Rect [70 70 150 150] /Parent 10 0 R >>")
				p.obj(3, page("6 0 R 8 0 R 10 0 R 12 0 R"))
				p.endRevision()
				p.obj(10, "<< /Type /Annot /Subtype /Text /Rect [50 50 70 70] /Contents (v2) /Popup 12 0 R >>")
				p.endRevision()
			},
			want: []wantChange{
				{1, ChangeAnnotation, "/Popup annotation added to page 1"},
				{2, ChangeAnnotation, "object 10 (replaced): /Text annotation on page 1 changed"},
			},
		},
		{
			name: "signature field added to an indirect /Fields array",
			base: baseIndirect,
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /FT /Sig /T (Sig2) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 13 0 R >>")
				p.obj(13, sigDict("Sig", "adbe.pkcs7.detached", ""))
				p.obj(12, "[6 0 R 8 0 R 10 0 R]")
				p.obj(11, "[6 0 R 8 0 R 10 0 R]")
				p.endRevision()
				p.setByteRange(13, standard)
			},
			want: []wantChange{{1, ChangeSignature, `object 12 (replaced): signature field "Sig2" added to the form`}},
		},
		{
			name: "page tree node changed",
			update: func(p *pdfBuilder) {
				p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /Rotate 90 >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "page tree node changed: /Rotate"}},
		},
		{
			name: "form default resources changed",
			base: baseIndirect,
			update: func(p *pdfBuilder) {
				p.obj(5, "<< /Fields 12 0 R /SigFlags 3 /DR << /Font << /Helv 14 0 R >> >> /NeedAppearances true >>")
				p.obj(14, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeFormFill, "form /DR changed, form /NeedAppearances changed"}},
		},
		{
			name: "XFA added to the form",
			update: func(p *pdfBuilder) {
				p.obj(5, "<< /Fields [6 0 R 8 0 R] /SigFlags 3 /XFA 10 0 R >>")
				p.stream(10, "", "<xdp:xdp/>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, "form /XFA changed"}},
		},
		{
			name: "action added to a form field",
			update: func(p *pdfBuilder) {
				p.obj(8, "<< /FT /Tx /T (Name) /Type /Annot /Subtype /Widget /Rect [10 10 100 30] /F 4 /P 3 0 R /AP << /N 9 0 R >> /AA 10 0 R >>")
				p.obj(10, "<< /K << /S /JavaScript /JS (1) >> >>")
				p.endRevision()
			},
			want: []wantChange{{1, ChangeOther, `object 10 (added): action of field "Name"`}},
		},
		{
			name: "value of a field with kids",
			base: func(t testing.TB) *pdfBuilder {
				p := baseDoc(t)
				p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
				p.obj(10, "<< /FT /Ch /T (Choice) /Kids [11 0 R] >>")
				p.obj(11, "<< /Type /Annot /Subtype /Widget /Parent 10 0 R /Rect [0 0 10 10] >>")
				p.obj(3, page("6 0 R 8 0 R 11 0 R"))
				p.obj(12, "<< /FT /Sig /T (Sig0) /V 13 0 R >>")
				p.obj(13, sigDict("Sig", "adbe.pkcs7.detached", ""))
				p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R 12 0 R] /SigFlags 3 >>")
				p.endRevision()
				p.setByteRange(13, standard)
				return p
			},
			update: func(p *pdfBuilder) {
				p.obj(10, "<< /FT /Ch /T (Choice) /Kids [11 0 R] /V 14 0 R >>")
				p.obj(14, "[(a) (b)]")
				p.endRevision()
			},
			want: []wantChange{
				{1, ChangeOther, `new form field "Choice"`},
				{2, ChangeFormFill, `object 14 (added): value of form field "Choice"`},
			},
		},
		{
			name: "update written with a cross-reference stream and an object stream",
			update: func(p *pdfBuilder) {
				p.packed(10, "<< /Type /Annot /Subtype /Text /Rect [50 50 70 70] /P 3 0 R >>")
				p.packed(3, page("6 0 R 8 0 R 10 0 R"))
				p.endRevisionXRef()
			},
			want: []wantChange{{1, ChangeAnnotation, "/Text annotation added to page 1"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := baseDoc
			if tc.base != nil {
				base = tc.base
			}
			p := base(t)
			tc.update(p)
			d := openBytes(t, p.bytes())
			// When an update rewrites or detaches Sig1's dictionary, the
			// original one (now unreachable) is the signature that was made.
			sig := findSig(d, "Sig1")
			if len(d.UnreachableSignatures) > 0 {
				sig = d.UnreachableSignatures[0]
			}
			if sig == nil {
				t.Fatal("signature Sig1 not found")
			}
			got, err := d.ChangesAfter(sig)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d changes, want %d:\n%s", len(got), len(tc.want), dumpChanges(got))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Revision != w.rev || g.Kind != w.kind || !strings.Contains(g.Detail, w.detail) {
					t.Errorf("change %d: got revision %d %v %q\nwant revision %d %v containing %q\n%s", i, g.Revision, g.Kind, g.Detail, w.rev, w.kind, w.detail, dumpChanges(got))
				}
			}
		})
	}
}

// baseIndirect is baseDoc with the page's /Annots (11) and the form's
// /Fields (12) as indirect arrays.
func baseIndirect(t testing.TB) *pdfBuilder {
	return baseDocWith(t, "11 0 R", "12 0 R", func(p *pdfBuilder) {
		p.obj(11, "[6 0 R 8 0 R]")
		p.obj(12, "[6 0 R 8 0 R]")
	})
}

func findSig(d *Document, field string) *Signature {
	for _, s := range d.Signatures {
		if s.FieldName == field {
			return s
		}
	}
	return nil
}

func dumpChanges(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  revision %d: %v: %s\n", c.Revision, c.Kind, c.Detail)
		for _, o := range c.Objects {
			fmt.Fprintf(&b, "    object %d %s %v: %s\n", o.Num, o.Action, o.Kind, o.What)
		}
	}
	return b.String()
}

// The base document's own signature covers revision 0 once updates follow.
func TestCoverageWithUpdates(t *testing.T) {
	p := baseDoc(t)
	end0 := int64(p.Buf.Len())
	p.obj(10, "<< /FT /Sig /T (Sig2) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 11 0 R >>")
	p.obj(11, sigDict("Sig", "adbe.pkcs7.detached", ""))
	p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
	p.endRevision()
	p.setByteRange(11, standard)
	d := openBytes(t, p.bytes())
	c1 := d.CheckByteRange(sigByName(t, d, "Sig1"))
	if c1.Coverage != CoverageEntireRevision || c1.CoveredRevision != 0 || c1.RevisionEnd != end0 || !c1.OK() {
		t.Errorf("Sig1: %+v, want entire revision 0 ending at %d", c1, end0)
	}
	c2 := d.CheckByteRange(sigByName(t, d, "Sig2"))
	if c2.Coverage != CoverageEntireFile || c2.CoveredRevision != 1 || !c2.OK() {
		t.Errorf("Sig2: %+v, want entire file", c2)
	}
	if got := sigByName(t, d, "Sig2").Revision; got != 1 {
		t.Errorf("Sig2 written in revision %d, want 1", got)
	}
	// Adding a field without its widget on a page: the field walk alone classifies it.
	ch, err := d.ChangesAfter(sigByName(t, d, "Sig1"))
	if err != nil || len(ch) != 1 || ch[0].Kind != ChangeSignature {
		t.Errorf("changes after Sig1: %v\n%s", err, dumpChanges(ch))
	}
}

// A signature whose field was later removed is still reported, as
// unreachable, with the name it had.
func TestUnreachableSignature(t *testing.T) {
	p := baseDoc(t)
	p.obj(5, "<< /Fields [8 0 R] >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [8 0 R] >>")
	p.endRevision()
	d := openBytes(t, p.bytes())
	if len(d.Signatures) != 0 {
		t.Fatalf("got %d reachable signatures, want 0", len(d.Signatures))
	}
	if len(d.UnreachableSignatures) != 1 {
		t.Fatalf("got %d unreachable signatures, want 1", len(d.UnreachableSignatures))
	}
	s := d.UnreachableSignatures[0]
	if s.FieldName != "Sig1" || s.Revision != 0 || s.ObjectNum != 7 {
		t.Errorf("unreachable signature: field %q revision %d object %d", s.FieldName, s.Revision, s.ObjectNum)
	}
	wantProblems := []string{
		"no signature field of the last revision refers to this signature dictionary",
		`it was the value of field "Sig1" in revision 1`,
	}
	if fmt.Sprint(s.Problems) != fmt.Sprint(wantProblems) {
		t.Errorf("problems %q, want %q", s.Problems, wantProblems)
	}
	if c := d.CheckByteRange(s); c.Coverage != CoverageEntireRevision {
		t.Errorf("coverage %v, want entire revision", c.Coverage)
	}
}

// A rewritten signature dictionary: the field now points at the copy, whose
// /Contents lies outside the signed gap; the original becomes unreachable.
func TestRewrittenSignatureDictionary(t *testing.T) {
	p := baseDoc(t)
	p.obj(7, sigDict("Sig", "adbe.pkcs7.detached", "/Reason (rewritten)"))
	p.endRevision()
	// Copy the original ByteRange into the copy, as an attacker would.
	d0 := openBytes(t, p.bytes())
	orig := d0.UnreachableSignatures
	if len(orig) != 1 {
		t.Fatalf("got %d unreachable signatures, want the original dictionary", len(orig))
	}
	br := orig[0].ByteRange
	p.setByteRange(7, func(a, b, end int64) string { return fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3]) })
	d := openBytes(t, p.bytes())
	c := d.CheckByteRange(sigByName(t, d, "Sig1"))
	if c.GapIsContents || c.Coverage != CoverageUnclear {
		t.Errorf("rewritten dictionary: %+v, want unclear coverage and a gap that is not its /Contents", c)
	}
}

func TestDSS(t *testing.T) {
	p := baseDoc(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /DSS 10 0 R >>")
	p.obj(10, "<< /Certs [11 0 R] /CRLs [12 0 R] /VRI << /0123456789ABCDEF0123456789ABCDEF01234567 13 0 R >> >>")
	p.stream(11, "", "cert")
	p.stream(12, "", "crl")
	p.obj(13, "<< /Cert [11 0 R] /CRL [12 0 R] /TU (D:20240101000000Z) >>")
	p.endRevision()
	d := openBytes(t, p.bytes())
	dss, err := d.DSS()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%q %q %q", dss.Certs, dss.CRLs, dss.OCSPs)
	if want := `["cert"] ["crl"] []`; got != want {
		t.Errorf("DSS %s, want %s", got, want)
	}
	v, ok := dss.VRI["0123456789ABCDEF0123456789ABCDEF01234567"]
	if !ok || fmt.Sprintf("%q %q %s", v.Certs, v.CRLs, v.TU) != `["cert"] ["crl"] D:20240101000000Z` {
		t.Errorf("VRI %+v", dss.VRI)
	}

	// No DSS at all.
	d = openBytes(t, baseDoc(t).bytes())
	if dss, err := d.DSS(); dss != nil || err != nil {
		t.Errorf("DSS of a document without one: %v, %v", dss, err)
	}

	// A DSS entry that is not a stream, and one with an unsupported filter.
	for _, bad := range []struct{ obj11, want string }{
		{"<< /Not (a stream) >>", "DSS certificate entry 1 is not a stream"},
		{"<< /Filter /LZWDecode /Length 3 >>\nstream\nabc\nendstream", "unsupported filter /LZWDecode"},
	} {
		p := baseDoc(t)
		p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R /DSS 10 0 R >>")
		p.obj(10, "<< /Certs [11 0 R] >>")
		p.obj(11, bad.obj11)
		p.endRevision()
		_, err := openBytes(t, p.bytes()).DSS()
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("DSS error %v, want %q", err, bad.want)
		}
	}
}

func TestDocMDPPermits(t *testing.T) {
	kinds := []ChangeKind{ChangeNone, ChangeMetadata, ChangeValidationData, ChangeTimestamp, ChangeSignature, ChangeFormFill, ChangeAnnotation, ChangeOther}
	want := map[int]string{
		1: "yes yes yes yes no no no no",
		2: "yes yes yes yes yes yes no no",
		3: "yes yes yes yes yes yes yes no",
	}
	for p, w := range want {
		var got []string
		for _, k := range kinds {
			if (&DocMDP{P: p}).Permits(k) {
				got = append(got, "yes")
			} else {
				got = append(got, "no")
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("P=%d permits %v, want %s", p, got, w)
		}
	}
	for _, k := range kinds {
		if k.String() == "" || strings.HasPrefix(k.String(), "ChangeKind(") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
	if ChangeKind(99).String() != "ChangeKind(99)" {
		t.Errorf("unknown kind: %s", ChangeKind(99))
	}
}

// failFrom fails every read that starts at or after off.
type failFrom struct {
	r   io.ReaderAt
	off int64
}

func (f failFrom) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.off {
		return 0, errors.New("disk error")
	}
	return f.r.ReadAt(p, off)
}

// TestTrailingIsWhiteSpace: padding after the last %%EOF is white space; anything else, or
// bytes that cannot be read, is not.
func TestTrailingIsWhiteSpace(t *testing.T) {
	base, err := os.ReadFile("testdata/eseal-licence.pdf")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		tail  string
		fail  bool
		white bool
	}{
		{"nothing after %%EOF", "", false, true},
		{"padding", "\x00\x00  \r\n\t\f", false, true},
		{"garbage", "  <script>", false, false},
		{"padding that cannot be read", "      ", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append(bytes.Clone(base), tc.tail...)
			var r io.ReaderAt = bytes.NewReader(data)
			if tc.fail {
				r = failFrom{r, int64(len(base))}
			}
			d, err := Open(r, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if (d.TrailingBytes > 0) != (tc.tail != "") {
				t.Fatalf("TrailingBytes = %d for a tail of %d bytes", d.TrailingBytes, len(tc.tail))
			}
			if got := d.TrailingIsWhiteSpace(); got != tc.white || d.TrailingIsWhiteSpace() != got {
				t.Errorf("TrailingIsWhiteSpace = %v, want %v", got, tc.white)
			}
		})
	}
}

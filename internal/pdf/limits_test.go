package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestContentsOverLimit: a /Contents over MaxContents is skipped, not kept: the signature
// dictionary stays readable (its SubFilter, its ByteRange) and says which limit it is over.
func TestContentsOverLimit(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R] >>")
	p.obj(4, "<< /FT /Sig /T (Big) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 5 0 R >>")
	over := MaxContents + 1000
	p.obj(5, fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange %s /Contents <%s> >>",
		byteRangeHole, strings.Repeat("ab", over)))
	p.endRevision()
	p.setByteRange(5, standard)
	d := openBytes(t, p.bytes())
	s := sigByName(t, d, "Big")
	if s.Contents != nil || s.SubFilter != "adbe.pkcs7.detached" || len(s.ByteRange) != 4 {
		t.Fatalf("signature %q, %d bytes kept, ByteRange %v", s.SubFilter, len(s.Contents), s.ByteRange)
	}
	if want := fmt.Sprintf("/Contents is %d bytes, over the limit of %d bytes (16 MiB)", over, MaxContents); !strings.Contains(s.ContentsNotRead, want) {
		t.Errorf("ContentsNotRead %q, want %q", s.ContentsNotRead, want)
	}
	// The gap is still checked by position: the ByteRange leaves out exactly the string.
	if c := d.CheckByteRange(s); !c.GapIsContents {
		t.Errorf("byte range check %+v", c)
	}
}

// TestContentsTotalLimit: the signatures' /Contents kept together stay under the limit; the
// signatures past it say so.
func TestContentsTotalLimit(t *testing.T) {
	defer func(saved int64) { contentsTotalLimit = saved }(contentsTotalLimit)
	contentsTotalLimit = 260 // each sigDict /Contents is 126 bytes: two fit
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 6 0 R 8 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R 6 0 R 8 0 R] >>")
	for i, n := range []int{4, 6, 8} {
		p.obj(n, fmt.Sprintf("<< /FT /Sig /T (S%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V %d 0 R >>", i+1, n+1))
		p.obj(n+1, sigDict("Sig", "adbe.pkcs7.detached", ""))
	}
	p.endRevision()
	d := openBytes(t, p.bytes())
	for i, s := range d.Signatures {
		kept := s.Contents != nil
		if kept != (i < 2) {
			t.Errorf("signature %d: contents kept %v (%q)", i+1, kept, s.ContentsNotRead)
		}
		if !kept && !strings.Contains(s.ContentsNotRead, "over the limit of 260 bytes") {
			t.Errorf("signature %d: %q", i+1, s.ContentsNotRead)
		}
	}
}

// TestLimitDiagnostics: a catalog over the nesting limit is reported as such, not as a missing
// catalog; an unreadable signature dictionary says why.
func TestLimitDiagnostics(t *testing.T) {
	p := newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /X "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+" >>")
	p.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	p.endRevision()
	b := p.bytes()
	_, err := Open(strings.NewReader(string(b)), int64(len(b)))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Reason != TooComplex || !strings.Contains(err.Error(), "cannot be read: objects nested more than 100 deep (the limit)") {
		t.Errorf("deep catalog: %v", err)
	}

	p = newBuilder(t)
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R] >>")
	p.obj(4, "<< /FT /Sig /T (S) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 5 0 R >>")
	p.obj(5, "<< /Type /Sig /X "+strings.Repeat("<<", 200)+" >>")
	p.endRevision()
	s := sigByName(t, openBytes(t, p.bytes()), "S")
	if !strings.Contains(s.Unreadable, "signature dictionary 5 0 R is unreadable") {
		t.Errorf("Unreadable %q", s.Unreadable)
	}
}

// TestTruncatedUpdate: a file cut anywhere inside its last incremental update (here one that
// adds a signature) is damaged, not an earlier revision without the signature; complete
// objects appended after the last %%EOF (pdf-07's attack) are junk to report, not damage.
func TestTruncatedUpdate(t *testing.T) {
	for _, xrefStream := range []bool{false, true} {
		p := baseDoc(t)
		first := int64(p.Buf.Len())
		p.obj(10, "<< /FT /Sig /T (Sig2) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V 11 0 R >>")
		p.obj(11, sigDict("Sig", "adbe.pkcs7.detached", ""))
		p.obj(5, "<< /Fields [6 0 R 8 0 R 10 0 R] /SigFlags 3 >>")
		if xrefStream {
			p.endRevisionXRef()
		} else {
			p.endRevision()
		}
		whole := p.bytes()
		eof := int64(bytes.LastIndex(whole, []byte("%%EOF")))
		// From the first object header on (a tail of a few digits is only junk to report).
		for cut := first + int64(len("10 0 obj")); cut < eof; cut += 7 {
			b := whole[:cut]
			tail := b[first:]
			if i := bytes.LastIndex(tail, []byte("endobj\n")); !bytes.Contains(tail, []byte("/ByteRange")) &&
				(i >= 0 && len(bytes.Fields(tail[i+len("endobj\n"):])) < 2) {
				// Whole objects only, perhaps with a number after them: as an attacker appends
				// them (reported as trailing bytes, not damage).
				continue
			}
			_, err := Open(bytes.NewReader(b), cut)
			var fe *FormatError
			if errors.As(err, &fe) && fe.Reason == Damaged && strings.Contains(err.Error(), "ends after its last startxref without %%EOF") {
				continue // cut inside the last lines
			}
			if !errors.As(err, &fe) || fe.Reason != Damaged || !strings.Contains(err.Error(), fmt.Sprintf("from byte %d", first)) {
				t.Fatalf("xref stream %v, cut at %d of %d: %v; want Damaged from byte %d", xrefStream, cut, len(whole), err, first)
			}
		}
		if _, err := Open(bytes.NewReader(whole), int64(len(whole))); err != nil {
			t.Fatalf("the whole file: %v", err)
		}
	}
	junk := append(baseDoc(t).bytes(), "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"...)
	d := openBytes(t, junk)
	if d.TrailingBytes == 0 || d.TrailingIsWhiteSpace() {
		t.Errorf("appended object: %d trailing bytes", d.TrailingBytes)
	}
}

package pdf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenSig is what an expert reads in one signature of a corpus file.
type goldenSig struct {
	field, typ, subFilter string
	revision              int // revision that wrote the dictionary
	coverage              Coverage
	gapIsContents         bool
	checkProblems         []string
	sigProblems           []string // problems reading the dictionary
	docMDP                int      // 0: not a certification signature
	changes               []wantChange
}

type goldenFile struct {
	revisions   int
	trailing    int64
	sigs        []goldenSig
	unreachable int
}

// corpusGolden: the files of /work/shared/corpus/pdf (see testdata/README.md),
// with why a human expert would read each one that way.
var corpusGolden = map[string]goldenFile{
	// Acrobat Reader, two fields. The original is linearized: its first-page
	// cross-reference stream (byte 116) points forward with /Prev to the main
	// one, so both form revision 0, in which Sig2 was signed. Revision 1 (an
	// xref stream and object streams) signs Sig1: its widget gets /V, /AP and
	// new /F flags, plus new appearance streams, a new XMP packet and /Info.
	// Sig2 covers exactly revision 0; what follows is a signature.
	"pdf-01.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
		{field: "Sig2", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{{1, ChangeSignature, `object 21 (replaced): signature field "Sig1" signed`}}},
	}},
	// pyHanko test file: ByteRange [0 10 20 30] signs 50 bytes and leaves
	// bytes 10..20 (inside the header) unsigned; the real /Contents at
	// 690..6692 is not the gap. Revision 1 only sets /Author in /Info.
	"pdf-02.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageUnclear,
			checkProblems: []string{
				"the gap 10..20 is not the /Contents string, which is written at 690..6692",
				"the gap 10..20 does not start with '<'",
				"bytes outside the /Contents string are left unsigned",
			},
			changes: []wantChange{{1, ChangeMetadata, "object 2 (replaced): document information dictionary"}}},
	}},
	// pyHanko PAdES-LTA: revision 1 adds an empty signature field, revision 2
	// signs it (ETSI.CAdES.detached), revision 3 adds a DSS and a document
	// timestamp, revision 4 updates the DSS. Sig1 covers revision 2 and is
	// followed by a timestamp and validation data: allowed even under P=1.
	"pdf-03.pdf": {revisions: 5, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "ETSI.CAdES.detached", revision: 2, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{
				{3, ChangeTimestamp, `object 26 (added): document timestamp dictionary of field "Timestamp-977301ad-bec9-4cae-a0cd-f6a674c6e465"`},
				{4, ChangeValidationData, "object 24 (replaced): document security store"},
			}},
		{field: "Timestamp-977301ad-bec9-4cae-a0cd-f6a674c6e465", typ: "DocTimeStamp", subFilter: "ETSI.RFC3161", revision: 3, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{{4, ChangeValidationData, "document security store"}}},
	}},
	// Same document with a ByteRange of two numbers: nothing may be hashed.
	"pdf-04.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageInvalid,
			checkProblems: []string{"ByteRange has 2 numbers, expected 4"},
			changes:       []wantChange{{1, ChangeMetadata, "document information dictionary"}}},
	}},
	// SM2 signature (PKCS#7 OIDs) made with pdfsign, then one byte inside the
	// signed XMP packet changed ("Datalogics" became "Eatalogics"). The
	// structure is intact and the ByteRange covers the file: only the digest
	// check in the verifier can see this tampering.
	"pdf-05.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Signature 1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// The untouched SM2 original of pdf-05.
	"pdf-06.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Signature 1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// pdf-06 with 50 bytes appended after %%EOF: a catalog object with no
	// cross-reference entry. Conforming readers ignore it, repairing readers
	// may not; the signature covers its whole revision, but the file holds
	// unsigned bytes that are no revision at all.
	"pdf-07.pdf": {revisions: 2, trailing: 50, sigs: []goldenSig{
		{field: "Signature 1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{{-1, ChangeOther, "50 bytes after the last %%EOF (byte 45127) are not part of any revision"}}},
	}},
	// Acrobat 9, linearized, signed in one go: the last startxref names the
	// first-page section, whose /Prev points forward to the main one. One
	// revision; FieldMDP (Action All, P 1) and a field lock, no DocMDP.
	"pdf-08.pdf": {revisions: 1, sigs: []goldenSig{
		{field: "Signature2", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// An unfilled placeholder: /Contents is 3000 zero bytes. The ByteRange
	// is well formed and covers revision 0, but there is no signature.
	"pdf-09.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageEntireRevision, gapIsContents: true,
			sigProblems: []string{"/Contents is all zero bytes: the signature placeholder was never filled"},
			changes:     []wantChange{{1, ChangeMetadata, "document information dictionary"}}},
	}},
	// The appearance-override attack: revision 1 signs Sig2 and, as its
	// "appearance", rewrites stream 9, which the catalog also references
	// (/FooBar). A change that looks like a signature appearance reaches
	// other content, so for Sig1 it is "other".
	"pdf-10.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{{1, ChangeOther, `object 9 (replaced): appearance of signature field "Sig2"; also catalog /FooBar`}}},
		{field: "Sig2", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// The ByteRange stops at 7092, 103 bytes short of revision 0's end: the
	// trailer and xref table of the signed revision are unsigned.
	"pdf-11.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageUnclear, gapIsContents: true,
			checkProblems: []string{"the signed bytes end at byte 7092, which is neither the end of the file (7486) nor the end of a revision (revision 1 ends at byte 7195)"},
			changes:       []wantChange{{1, ChangeMetadata, "document information dictionary"}}},
	}},
	// Two SM2 seals by pdfsign; each update writes a new catalog object
	// (15, then 21) whose /AcroForm gains the new field. For the first seal
	// the second revision is a signature with its widget and seal image.
	"pdf-12.pdf": {revisions: 3, sigs: []goldenSig{
		{field: "Signature 1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireRevision, gapIsContents: true,
			changes: []wantChange{{2, ChangeSignature, `object 21 (added): signature field "Signature 2" added to the form`}}},
		{field: "Signature 2", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 2, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// The gap 690..6692 holds /Contents (690..5882) and a further /Bleh
	// entry: dictionary bytes are unsigned, and the range also stops short.
	"pdf-13.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageUnclear,
			checkProblems: []string{
				"the gap 690..6692 is not the /Contents string, which is written at 690..5882",
				"the gap holds '>' at byte 5881, which is not a hex digit",
				"bytes outside the /Contents string are left unsigned",
			},
			changes: []wantChange{{1, ChangeMetadata, "document information dictionary"}}},
	}},
	// A certification signature: /Reference DocMDP with P 1 and the catalog's
	// /Perms /DocMDP naming it; it covers the file.
	"pdf-14.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true, docMDP: 1},
	}},
	// SM2 with the GM/T 0010 CMS convention; the PDF side is pdf-06's.
	"pdf-15.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Signature 1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// pyHanko, one invisible approval signature over the whole file.
	"pdf-16.pdf": {revisions: 2, sigs: []goldenSig{
		{field: "Sig1", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 1, coverage: CoverageEntireFile, gapIsContents: true},
	}},
	// Legacy adbe.x509.rsa_sha1 with the certificate in /Cert, certifying
	// (DocMDP P 1 in an inline /Reference, and /Perms), in a single revision.
	"pdf-17.pdf": {revisions: 1, sigs: []goldenSig{
		{field: "Alice-1-1096825554", typ: "Sig", subFilter: "adbe.x509.rsa_sha1", revision: 0, coverage: CoverageEntireFile, gapIsContents: true, docMDP: 1},
	}},
	// Acrobat Reader DC signing a linearized file from PyFPDF: one revision,
	// one visible signature.
	"pdf-18.pdf": {revisions: 1, sigs: []goldenSig{
		{field: "Signature2", typ: "Sig", subFilter: "adbe.pkcs7.detached", revision: 0, coverage: CoverageEntireFile, gapIsContents: true},
	}},
}

func TestCorpusGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/pdf-*.pdf")
	if err != nil || len(files) != len(corpusGolden) {
		t.Fatalf("found %d corpus files (%v), want %d", len(files), err, len(corpusGolden))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := corpusGolden[name]
			if !ok {
				t.Fatalf("no golden entry for %s", name)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			d, err := Open(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Revisions) != want.revisions || d.TrailingBytes != want.trailing || len(d.UnreachableSignatures) != want.unreachable {
				t.Errorf("revisions %d trailing %d unreachable %d; want %d %d %d", len(d.Revisions), d.TrailingBytes, len(d.UnreachableSignatures), want.revisions, want.trailing, want.unreachable)
			}
			if len(d.Warnings) > 0 {
				t.Errorf("warnings: %q", d.Warnings)
			}
			if len(d.Signatures) != len(want.sigs) {
				t.Fatalf("got %d signatures, want %d", len(d.Signatures), len(want.sigs))
			}
			for i, ws := range want.sigs {
				s := d.Signatures[i]
				if s.FieldName != ws.field || s.Type != ws.typ || s.SubFilter != ws.subFilter || s.Revision != ws.revision {
					t.Errorf("signature %d: %q %s %s revision %d; want %q %s %s revision %d", i, s.FieldName, s.Type, s.SubFilter, s.Revision, ws.field, ws.typ, ws.subFilter, ws.revision)
				}
				if fmt.Sprintf("%q", s.Problems) != fmt.Sprintf("%q", ws.sigProblems) {
					t.Errorf("%s: dictionary problems %q, want %q", ws.field, s.Problems, ws.sigProblems)
				}
				gotMDP := 0
				if s.DocMDP != nil {
					gotMDP = s.DocMDP.P
					if !s.DocMDP.InPerms || !s.DocMDP.InReference {
						t.Errorf("%s: DocMDP %+v, want it in /Reference and /Perms", ws.field, s.DocMDP)
					}
				}
				if gotMDP != ws.docMDP {
					t.Errorf("%s: DocMDP P %d, want %d", ws.field, gotMDP, ws.docMDP)
				}
				c := d.CheckByteRange(s)
				if c.Coverage != ws.coverage || c.GapIsContents != ws.gapIsContents || fmt.Sprintf("%q", c.Problems) != fmt.Sprintf("%q", ws.checkProblems) {
					t.Errorf("%s: check %v gap=%v %q\nwant %v gap=%v %q", ws.field, c.Coverage, c.GapIsContents, c.Problems, ws.coverage, ws.gapIsContents, ws.checkProblems)
				}
				changes, err := d.ChangesAfter(s)
				if err != nil {
					t.Fatal(err)
				}
				if len(changes) != len(ws.changes) {
					t.Errorf("%s: %d changes, want %d:\n%s", ws.field, len(changes), len(ws.changes), dumpChanges(changes))
					continue
				}
				for j, wc := range ws.changes {
					g := changes[j]
					if g.Revision != wc.rev || g.Kind != wc.kind || !strings.Contains(g.Detail, wc.detail) {
						t.Errorf("%s: change %d: revision %d %v %q; want revision %d %v containing %q", ws.field, j, g.Revision, g.Kind, g.Detail, wc.rev, wc.kind, wc.detail)
					}
				}
			}
		})
	}
}

// Details an expert checks beyond the table: names, dates, widgets, the
// legacy certificate, field locks.
func TestCorpusDetails(t *testing.T) {
	open := func(name string) *Document {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return openBytes(t, b)
	}
	s := open("pdf-17.pdf").Signatures[0]
	if len(s.Cert) != 1 || len(s.Cert[0]) < 500 || s.Cert[0][0] != 0x30 {
		t.Errorf("pdf-17 /Cert: %d certificates", len(s.Cert))
	}
	if s.Name != "Alice" || s.Reason != "This is the trial version, please buy to activate." || s.Location != "Sign Location / city" || s.ContactInfo != "some contact info..." {
		t.Errorf("pdf-17 texts: %q %q %q %q", s.Name, s.Reason, s.Location, s.ContactInfo)
	}
	if got := s.SigningTime.UTC().Format("2006-01-02T15:04:05Z"); got != "2009-10-04T10:28:18Z" || s.SigningTimeM != "D:20091004152818+05'00'" {
		t.Errorf("pdf-17 time %s from %q", got, s.SigningTimeM)
	}
	if s.Page != 1 || s.Rect != [4]float64{432, 702, 612, 792} || s.Invisible() {
		t.Errorf("pdf-17 widget: page %d rect %v", s.Page, s.Rect)
	}

	s = open("pdf-08.pdf").Signatures[0]
	if s.FieldMDP == nil || s.FieldMDP.Action != "All" || s.FieldMDP.P != 1 || s.Lock == nil || s.Lock.Action != "All" || s.DocMDP != nil {
		t.Errorf("pdf-08 locks: FieldMDP %+v Lock %+v DocMDP %+v", s.FieldMDP, s.Lock, s.DocMDP)
	}

	d := open("pdf-12.pdf")
	s2 := d.Signatures[1]
	if s2.Name != "Approval Seal" || s2.Reason != "approval result" || s2.Location != "CN" || s2.Rect != [4]float64{100, 50, 250, 200} || s2.ObjectNum != 17 {
		t.Errorf("pdf-12 second seal: %+v", s2)
	}
	if s := open("pdf-16.pdf").Signatures[0]; !s.Invisible() || s.Page != 1 {
		t.Errorf("pdf-16: invisible %v page %d", s.Invisible(), s.Page)
	}

	dss, err := open("pdf-03.pdf").DSS()
	if err != nil || len(dss.Certs) != 5 || len(dss.OCSPs) != 1 || len(dss.CRLs) != 1 || len(dss.VRI) != 1 {
		t.Fatalf("pdf-03 DSS: %v %+v", err, dss)
	}
	for _, c := range dss.Certs {
		if len(c) < 100 || c[0] != 0x30 {
			t.Errorf("pdf-03 DSS certificate is not DER: % x", c[:4])
		}
	}
}

// TestChangeDetailsStable: the description of a later change is the same on
// every run. pdf-10's object 9 is both a signature appearance and the
// catalog's /FooBar, and object 14 is reached from both too; walking
// dictionaries in Go's map order used to put "; also catalog /FooBar" on one
// or the other depending on the run.
func TestChangeDetailsStable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pdf-10.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	const want = `object 9 (replaced): appearance of signature field "Sig2"; also catalog /FooBar; ` +
		`object 14 (added): appearance of signature field "Sig2"; also catalog /FooBar`
	for i := range 40 {
		d := openBytes(t, b)
		changes, err := d.ChangesAfter(sigByName(t, d, "Sig1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Detail != want {
			t.Fatalf("run %d: changes %+v\nwant one with detail %q", i+1, changes, want)
		}
	}
}

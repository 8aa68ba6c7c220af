package sign

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
)

var update = flag.Bool("update", false, "rewrite testdata/licence.pdf from buildLicencePDF")

// fixture varies the sample licence for tests; the zero value is testdata/licence.pdf.
type fixture struct {
	// extra > 0 adds a stream of that many random bytes (not drawn), for large documents.
	extra int64
	// zeroRun > 0 adds a stream holding that many '0' characters in a row.
	zeroRun int
	// rotate sets the page's /Rotate.
	rotate int
	// fields are form field dictionaries (also widgets on the page), listed in /AcroForm,
	// objects 8, 9, ...
	fields []string
	// extraObjs are written after the fields (numbered on from them).
	extraObjs []string
	// perms is written into the catalog, e.g. "/Perms << /DocMDP 9 0 R >>".
	perms string
	// trailerID replaces the trailer's /ID value.
	trailerID string
}

// buildLicencePDF writes a one-page A4 sample licence (title, holder, number, issuer) as a
// minimal classic PDF: fonts are the standard Helvetica pair, so nothing is embedded.
func buildLicencePDF(w io.Writer, extra int64) error {
	return buildPDF(w, fixture{extra: extra})
}

func buildPDF(w io.Writer, fx fixture) error {
	content := `q 0.55 0.08 0.08 RG 3 w 28 28 539 786 re S 0.8 w 36 36 523 770 re S Q
BT /F1 30 Tf 148 735 Td (BUSINESS LICENCE) Tj ET
BT /F2 11 Tf 190 712 Td (Issued under the Market Entity Registration Regulations) Tj ET
q 0.55 0.08 0.08 RG 1.5 w 72 690 m 523 690 l S Q
BT /F2 13 Tf 72 650 Td 24 TL
(Unified social credit code:  91110108MA01ABCD2X) Tj T*
(Licence number:  1.2.156.3005.2.11100000000013338W011.) Tj T*
(                          91110108MA01ABCD2X.0001.001.K) Tj T*
(Holder:  Example Trading Co., Ltd.) Tj T*
(Type:  Limited liability company) Tj T*
(Legal representative:  Zhang San) Tj T*
(Registered capital:  CNY 1,000,000) Tj T*
(Date of establishment:  15 January 2024) Tj T*
(Business term:  15 January 2024 to 14 January 2054) Tj T*
(Address:  No. 1 Example Road, Haidian District, Beijing) Tj T*
(Scope:  Wholesale and retail of stationery and office equipment.) Tj ET
BT /F1 13 Tf 330 175 Td (Registration authority) Tj ET
BT /F2 12 Tf 330 155 Td (Haidian District Market Supervision) Tj 0 -16 Td (Administration, Beijing) Tj 0 -24 Td (Date of issue:  15 January 2024) Tj ET
BT /F2 8 Tf 72 48 Td (Sample document for the eseal test suite. Not a real licence.) Tj ET
`
	pw := testpdf.NewWriter()
	var form, annots, rotate string
	if len(fx.fields) > 0 {
		var refs []string
		for i := range fx.fields {
			refs = append(refs, fmt.Sprintf("%d 0 R", 8+i))
		}
		form = " /AcroForm << /Fields [" + strings.Join(refs, " ") + "] >>"
		annots = " /Annots [" + strings.Join(refs, " ") + "]"
	}
	if fx.rotate != 0 {
		rotate = fmt.Sprintf(" /Rotate %d", fx.rotate)
	}
	if fx.perms != "" {
		form += " " + fx.perms
	}
	pw.Obj(1, "<< /Type /Catalog /Pages 2 0 R"+form+" >>")
	pw.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	pw.Obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R"+annots+rotate+" >>")
	pw.Obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	pw.Obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	pw.Obj(6, fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content))
	pw.Obj(7, "<< /Title (Business Licence \\(sample\\)) /Producer (eseal sign test fixture) >>")
	for _, o := range append(append([]string{}, fx.fields...), fx.extraObjs...) {
		pw.Obj(pw.NewObj(), o)
	}
	if fx.zeroRun > 0 {
		pw.Stream(pw.NewObj(), "", strings.Repeat("0", fx.zeroRun))
	}
	if fx.extra > 0 {
		// Random bytes so nothing compresses them away; the generator is seeded for repeatability.
		if err := pw.StreamFrom(w, pw.NewObj(), "", fx.extra, rand.NewChaCha8([32]byte{1})); err != nil {
			return err
		}
	}
	id := fx.trailerID
	if id == "" {
		id = "[<5E5EA1C0E5EA1C0E5EA1C0E5EA1C0E5E><5E5EA1C0E5EA1C0E5EA1C0E5EA1C0E5E>]"
	}
	pw.Trailer = " /Info 7 0 R /ID " + id
	pw.EndRevision()
	return pw.Flush(w)
}

// TestLicenceFixture keeps testdata/licence.pdf what buildLicencePDF makes (go test -update
// rewrites it) and checks it with qpdf.
func TestLicenceFixture(t *testing.T) {
	var buf bytes.Buffer
	if err := buildLicencePDF(&buf, 0); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/licence.pdf", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("testdata/licence.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("testdata/licence.pdf differs from buildLicencePDF; run go test -run TestLicenceFixture -update")
	}
	qpdfCheck(t, "testdata/licence.pdf")
}

// certifiedFixture writes the sample licence certified by the test signer with DocMDP
// permissions p: a certification signature (its /Reference and the catalog's /Perms), whose
// CMS is real, so that verify judges it.
func certifiedFixture(t testing.TB, p int) string {
	t.Helper()
	pki := getPKI(t)
	var buf bytes.Buffer
	field := "<< /FT /Sig /T (Certification) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 /V 9 0 R >>"
	if err := buildPDF(&buf, fixture{fields: []string{field}, perms: "/Perms << /DocMDP 9 0 R >>", extraObjs: []string{
		fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> /M (D:20250301000000Z) "+
			"/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>] >>", strings.Repeat("0", 8192), p),
	}}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	lt := bytes.Index(data, []byte("/Contents <")) + len("/Contents ")
	gt := lt + bytes.IndexByte(data[lt:], '>') + 1
	br := fmt.Sprintf("[0 %010d %010d %010d]", lt, gt, len(data)-gt)
	copy(data[bytes.Index(data, []byte("[0 0000000000 0000000000 0000000000]")):], br)
	h := smcrypto.NewSM3()
	h.Write(data[:lt])
	h.Write(data[gt:])
	der, err := smcrypto.BuildDetachedSignedData(h.Sum(nil), pki.signerKey, []*smcrypto.Certificate{pki.signer, pki.root},
		smcrypto.SignedDataOptions{SigningTime: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	copy(data[lt+1:], strings.ToUpper(hex.EncodeToString(der)))
	path := filepath.Join(t.TempDir(), fmt.Sprintf("certified-p%d.pdf", p))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

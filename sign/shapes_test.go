package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// Sealing documents of the shapes met in real life, each result checked by qpdf --check,
// rendered by poppler, and verified by eseal's verifier.

// verifyData verifies a sealed document, trusting the test root; the test PKI publishes no
// revocation data (soft-fail). The validation time is the tests' signing time.
func verifyData(t *testing.T, data []byte) *verify.Report {
	t.Helper()
	rep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), verify.Options{
		ExtraAnchors: []*smcrypto.Certificate{getPKI(t).root}, RevocationPolicy: verify.RevocationSoftFail, CurrentTime: fixedNow,
	})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func checkStatus(s verify.SignatureReport, name verify.CheckName) verify.CheckStatus {
	for _, c := range s.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

// sigReport finds the report of field name.
func sigReport(t *testing.T, rep *verify.Report, name string) verify.SignatureReport {
	t.Helper()
	for _, s := range rep.Signatures {
		if s.FieldName == name {
			return s
		}
	}
	t.Fatalf("no signature %q in the report", name)
	return verify.SignatureReport{}
}

// sealAndRender seals in, checks the output with qpdf and renders it with poppler.
func sealAndRender(t *testing.T, in string, s Sealer, opts PDFOptions) ([]byte, *Result, string) {
	t.Helper()
	data, res, out := sealFile(t, in, s, opts)
	render(t, out)
	return data, res, out
}

// filledFormFixture is the licence with a filled text field (a Chinese value and its
// appearance) and a ticked checkbox (with its on and off appearances): objects 8 and 9 the
// fields, 10 to 12 their appearance streams.
func filledFormFixture(t *testing.T) string {
	t.Helper()
	holder := fmt.Sprintf("<FEFF%X>", utf16be("杭州示例贸易有限公司（用章）"))
	return writeFixture(t, fixture{
		fields: []string{
			"<< /FT /Tx /T (holder) /V " + holder + " /DA (/Helv 10 Tf 0 g) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /F 4 /AP << /N 10 0 R >> >>",
			"<< /FT /Btn /T (approved) /V /Yes /AS /Yes /Type /Annot /Subtype /Widget /Rect [72 560 90 578] /P 3 0 R /F 4 /MK << /CA (4) >> /AP << /N << /Yes 11 0 R /Off 12 0 R >> >> >>",
		},
		extraObjs: []string{
			formStream("0 0 1 rg 0 0 228 20 re f", "[0 0 228 20]"),
			formStream("0 g 3 3 12 12 re f", "[0 0 18 18]"),
			formStream("", "[0 0 18 18]"),
		},
	})
}

func formStream(content, bbox string) string {
	return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox %s /Length %d >>\nstream\n%s\nendstream", bbox, len(content), content)
}

func utf16be(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// TestSealFilledFormThreeTimes: a licence with a filled form is sealed three times. The form
// fields, their values and appearances are never rewritten (no later revision redefines
// their objects), and all three seals, and each earlier one after every sealing, are valid.
func TestSealFilledFormThreeTimes(t *testing.T) {
	in := filledFormFixture(t)
	orig := mustRead(t, in)
	formObjects := []int{8, 9, 10, 11, 12}
	var fields []string
	for i, name := range []string{"杭州市市场监督管理局登记专用章", "杭州市行政审批局行政审批专用章", "杭州市用印管理处审批章"} {
		s := newSealer(t, name, fmt.Sprintf("1101080000007%d", i))
		rect := &[4]float64{72 + 130*float64(i), 60, 192 + 130*float64(i), 180}
		data, res, out := sealAndRender(t, in, s, PDFOptions{Rect: rect, Now: fixedClock, Convention: smcrypto.CMSConvention(i % 2)})
		if !bytes.HasPrefix(data, orig) {
			t.Fatal("the original bytes changed")
		}
		fields = append(fields, res.FieldName)
		d, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, rv := range d.Revisions[1:] {
			for _, o := range rv.Objects {
				if slices.Contains(formObjects, o.Num) {
					t.Errorf("revision %d rewrites form object %d", rv.Index+1, o.Num)
				}
			}
		}
		rep := verifyData(t, data)
		if rep.Indication != verify.TotalPassed || len(rep.Signatures) != i+1 {
			t.Fatalf("after seal %d: %s with %d signatures", i+1, rep.Indication, len(rep.Signatures))
		}
		for _, f := range fields {
			sr := sigReport(t, rep, f)
			if sr.Indication != verify.TotalPassed {
				t.Errorf("after seal %d, %s: %s/%s", i+1, f, sr.Indication, sr.SubIndication)
			}
		}
		in = out
	}
	// The values and appearance states as qpdf reads them.
	out, err := exec.Command(requireTool(t, "qpdf"), "--json", "--json-key=acroform", in).Output()
	if err != nil {
		t.Fatal(err)
	}
	var form struct {
		Acroform struct {
			Fields []struct {
				FullName string `json:"fullname"`
				Value    any    `json:"value"`
				AS       string `json:"annotation.appearancestate"`
			} `json:"fields"`
		} `json:"acroform"`
	}
	if err := json.Unmarshal(out, &form); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, f := range form.Acroform.Fields {
		values[f.FullName] = fmt.Sprint(f.Value)
	}
	if values["holder"] != "u:杭州示例贸易有限公司（用章）" || values["approved"] != "/Yes" {
		t.Errorf("form values after three seals: %v", values)
	}
}

// TestSealCorpus seals every PDF of the corpus that can be sealed: their own signatures keep
// the integrity and later-changes verdicts they had, and ours is valid. Those that cannot be
// sealed are refused for what they are.
func TestSealCorpus(t *testing.T) {
	files, _ := filepath.Glob("../verify/testdata/corpus/*.pdf")
	sort.Strings(files)
	refused := map[string]Reason{}
	for _, in := range files {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			orig := mustRead(t, in)
			before := verifyData(t, orig)
			s := newSealer(t, "合同专用章", "11010800000021")
			out := filepath.Join(t.TempDir(), "sealed.pdf")
			res, err := SignPDFFile(in, out, s, PDFOptions{Now: fixedClock})
			if err != nil {
				refused[name] = asError(t, err).Reason
				return
			}
			qpdfCheckLenient(t, out)
			data := mustRead(t, out)
			if !bytes.HasPrefix(data, orig) {
				t.Fatal("the original bytes changed")
			}
			after := verifyData(t, data)
			if ours := sigReport(t, after, res.FieldName); ours.Indication != verify.TotalPassed {
				t.Errorf("our seal: %s/%s", ours.Indication, ours.SubIndication)
			}
			for i, b := range before.Signatures {
				a := after.Signatures[i]
				for _, c := range []verify.CheckName{verify.IntegrityCheck, verify.ByteRangeCheck, verify.LaterChangesCheck} {
					if checkStatus(b, c) != checkStatus(a, c) {
						t.Errorf("signature %d (%s): %s was %s, is %s after sealing", i+1, b.FieldName, c, checkStatus(b, c), checkStatus(a, c))
					}
				}
			}
		})
	}
	// Refused, and why: pdf-07 carries an object appended after its %%EOF without a
	// cross-reference section, which a seal would take into its own revision; pdf-14 and
	// pdf-17 are certified with DocMDP P=1, and pdf-08's signed field locks the document
	// (FieldMDP /P 1): no change at all is allowed after them.
	want := map[string]Reason{"pdf-07.pdf": UnsupportedPDF, "pdf-08.pdf": Certified, "pdf-14.pdf": Certified, "pdf-17.pdf": Certified}
	if fmt.Sprint(refused) != fmt.Sprint(want) {
		t.Errorf("refused %v, want %v", refused, want)
	}
}

// qpdfCheckLenient runs qpdf --check and fails on errors; warnings are tolerated, as some
// corpus files come with their own (qpdf warns about what was already in them).
func qpdfCheckLenient(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command(requireTool(t, "qpdf"), "--check", path).CombinedOutput()
	if err != nil && !bytes.Contains(out, []byte("WARNING")) {
		t.Fatalf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

// TestSealCertified: a certified document whose DocMDP permissions allow no change (P=1) is
// refused with an error naming the certification, and nothing is written; with P=2 and P=3
// our approval signature is added and the certification stays valid.
func TestSealCertified(t *testing.T) {
	s := newSealer(t, "合同专用章", "11010800000081")
	in := certifiedFixture(t, 1)
	out := filepath.Join(t.TempDir(), "out.pdf")
	_, err := SignPDFFile(in, out, s, PDFOptions{Now: fixedClock})
	if e := asError(t, err); e.Reason != Certified || !strings.Contains(err.Error(), `certified by the signature in field "Certification" with DocMDP permissions P=1`) {
		t.Fatalf("P=1: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("an output was written")
	}
	for _, p := range []int{2, 3} {
		in := certifiedFixture(t, p)
		if rep := verifyData(t, mustRead(t, in)); rep.Indication != verify.TotalPassed {
			t.Fatalf("P=%d: the certified fixture is %s", p, rep.Indication)
		}
		data, res, _ := sealAndRender(t, in, s, PDFOptions{Now: fixedClock})
		rep := verifyData(t, data)
		cert, ours := sigReport(t, rep, "Certification"), sigReport(t, rep, res.FieldName)
		if cert.Indication != verify.TotalPassed || checkStatus(cert, verify.LaterChangesCheck) != verify.CheckPassed || ours.Indication != verify.TotalPassed {
			t.Errorf("P=%d: certification %s (later changes %s), ours %s", p, cert.Indication, checkStatus(cert, verify.LaterChangesCheck), ours.Indication)
		}
	}
}

// TestSealObjectStreams: a document with a cross-reference stream and object streams (the page
// and catalog inside them) gets an update with a cross-reference stream, which qpdf reads.
func TestSealObjectStreams(t *testing.T) {
	in := filepath.Join(t.TempDir(), "objstm.pdf")
	if out, err := exec.Command(requireTool(t, "qpdf"), "--object-streams=generate", "testdata/licence.pdf", in).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v\n%s", err, out)
	}
	orig := mustRead(t, in)
	if !bytes.Contains(orig, []byte("/ObjStm")) {
		t.Fatal("qpdf wrote no object stream")
	}
	s := newSealer(t, "合同专用章", "11010800000082")
	data, _, _ := sealAndRender(t, in, s, PDFOptions{Now: fixedClock})
	if !bytes.Contains(data[len(orig):], []byte("/Type /XRef")) || bytes.Contains(data[len(orig):], []byte("\nxref\n")) {
		t.Error("the update's cross-reference section is not a stream, as the document's is")
	}
	if rep := verifyData(t, data); rep.Indication != verify.TotalPassed {
		t.Errorf("verification: %s", rep.Indication)
	}
}

// TestSealKeepsTextID: a trailer /ID written as literal strings (even holding a parenthesis)
// is carried over byte for byte.
func TestSealKeepsTextID(t *testing.T) {
	in := writeFixture(t, fixture{trailerID: `[(id \(one\)) (id \(two\))]`})
	s := newSealer(t, "合同专用章", "11010800000083")
	data, _, _ := sealAndRender(t, in, s, PDFOptions{Now: fixedClock})
	orig := mustRead(t, in)
	want := fmt.Sprintf("/ID [<%x> <%x>]", "id (one)", "id (two)")
	if !bytes.Contains(data[len(orig):], []byte(want)) {
		t.Errorf("the new trailer does not carry %s:\n%s", want, data[len(data)-300:])
	}
}

// TestSealChineseTexts: Chinese name, reason and location (with characters whose UTF-16 holds
// the bytes of '(' and ')') read back the same in our reader and in qpdf.
func TestSealChineseTexts(t *testing.T) {
	name, reason, location := "杭州市行政审批局行政审批专用章", "行政许可决定（用章）", "杭州市上城区"
	s := newSealer(t, name, "11010800000084")
	data, res, out := sealAndRender(t, "testdata/licence.pdf", s, PDFOptions{Now: fixedClock, Reason: reason, Location: location})
	d, err := pdf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sig := d.Signatures[0]
	if sig.FieldName != res.FieldName || sig.Name != name || sig.Reason != reason || sig.Location != location {
		t.Errorf("our reader: %q %q %q %q", sig.FieldName, sig.Name, sig.Reason, sig.Location)
	}
	js, err := exec.Command(requireTool(t, "qpdf"), "--json", "--json-key=qpdf", fmt.Sprintf("--json-object=%d", sig.ObjectNum), out).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"/Name": "u:` + name + `"`, `"/Reason": "u:` + reason + `"`, `"/Location": "u:` + location + `"`} {
		if !bytes.Contains(js, []byte(w)) {
			t.Errorf("qpdf does not read %s:\n%s", w, js)
		}
	}
}

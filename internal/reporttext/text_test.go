package reporttext

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// The corpus is verify's: real files signed by others, with their verdicts reasoned there.
const corpus = "../../verify/testdata/corpus"

func verifyCorpus(t *testing.T, file string, zone *time.Location) *verify.Report {
	t.Helper()
	rootPEM, err := os.ReadFile(filepath.Join(corpus, "sm2-test-root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := smcrypto.ParseCertificates(rootPEM)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(corpus, file))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), verify.Options{
		ExtraAnchors: roots, RevocationPolicy: verify.RevocationSoftFail, Name: file, TimeZone: zone,
		CurrentTime: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestWrite(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"pdf-06.pdf", []string{
			"Verdict:   VALID [TOTAL_PASSED]: 1 of 1 signature(s) valid",
			"Checked:   2026-12-01 08:00:00 CST",
			"Signature 1 of 1 (field \"Signature 1\"): VALID [TOTAL_PASSED]",
			`Why:       Valid: signed by "行政审批专用章" on 2026-11-27 21:15:24 CST; the document has not been`,
			"Signer:    CN=行政审批专用章, O=某市行政审批局, C=CN (serial ",
			"Trusted:   CN=行政审批专用章, O=某市行政审批局, C=CN → CN=Test SM2 Root CA, O=Test GovCA, C=CN\n",
			"           (trust anchor)",
			"Passed:    format, byte range, integrity, signature value, signer certificate, certificate chain,",
			"Signed at: 2026-11-27 21:15:24 CST (signed attribute)",
			"Covers:    the entire file",
			"[warn] revocation",
		}},
		{"pdf-05.pdf", []string{
			"Verdict:   INVALID [TOTAL_FAILED]: 0 of 1 signature(s) valid",
			"INVALID [TOTAL_FAILED / HASH_FAILURE]",
			"Why:       INVALID: the document was changed after",
			"[FAIL] integrity",
		}},
		{"pdf-12.pdf", []string{
			"2 of 2 signature(s) valid",
			"Changed:   revision 3: signature (allowed)",
			"Covers:    the entire revision it signed; the file was updated after signing",
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep := verifyCorpus(t, c.file, Zone)
			var b bytes.Buffer
			Write(&b, rep, Options{})
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, b.String())
				}
			}
			// One zone throughout: the check details were written in it too.
			if strings.Contains(b.String(), "UTC") {
				t.Errorf("a time in UTC in a CST report:\n%s", b.String())
			}
		})
	}
	// Verbose explains every check, passed ones included; the compact form does not.
	rep := verifyCorpus(t, "pdf-06.pdf", Zone)
	var compact, verbose bytes.Buffer
	Write(&compact, rep, Options{})
	Write(&verbose, rep, Options{Verbose: true})
	if !strings.Contains(verbose.String(), "[ok]   integrity") || strings.Contains(compact.String(), "[ok]") {
		t.Errorf("verbose text should detail passed checks and compact text should not:\n%s\n---\n%s", verbose.String(), compact.String())
	}
	for _, line := range strings.Split(compact.String()+verbose.String(), "\n") {
		if displayWidth(line) > 100 && strings.Contains(line, " ") && !strings.HasPrefix(line, "  Signer:") {
			t.Errorf("line wider than 100 columns: %q", line)
		}
	}

	var b bytes.Buffer
	Write(&b, &verify.Report{Indication: verify.NoSignatureFound, Document: verify.DocumentInfo{Name: "plain.pdf", Format: "PDF", Size: 10, Revisions: 1}}, Options{})
	if !strings.Contains(b.String(), "Verdict:   NOT SIGNED [NO_SIGNATURE_FOUND]: the document carries no signature") ||
		!strings.Contains(b.String(), "Document:  plain.pdf") {
		t.Errorf("unsigned document text:\n%s", b.String())
	}
}

// TestDisplayWidth: CJK characters take two columns, others one; wrapping keeps Chinese text
// within the width.
func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "行政审批专用章": 14, "ＡＢ": 4, "a行b": 4, "→": 1, "": 0} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
	var b bytes.Buffer
	writeWrapped(&b, "  Why:       ", strings.Repeat("行政审批专用章 ", 20), 40)
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if displayWidth(line) > 40 {
			t.Errorf("line of %d columns: %q", displayWidth(line), line)
		}
	}
}

// TestJSON: the JSON carries the report's data and a summary per signature, times in UTC.
func TestJSON(t *testing.T) {
	rep := verifyCorpus(t, "pdf-06.pdf", nil)
	out, err := json.Marshal(JSON(rep, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Indication string `json:"indication"`
		Document   struct {
			SHA256 string `json:"sha256"`
		} `json:"document"`
		Signatures []struct {
			Indication  string `json:"indication"`
			Summary     string `json:"summary"`
			SigningTime string `json:"signingTime"`
			Checks      []struct {
				Name string `json:"name"`
			} `json:"checks"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Indication != "TOTAL_PASSED" || got.Document.SHA256 == "" || len(got.Signatures) != 1 {
		t.Fatalf("JSON %s", out)
	}
	s := got.Signatures[0]
	if s.Indication != "TOTAL_PASSED" || s.SigningTime != "2026-11-27T13:15:24Z" || len(s.Checks) == 0 ||
		s.Summary != `Valid: signed by "行政审批专用章" on 2026-11-27 13:15:24 UTC; the document has not been changed since (revocation was not checked).` {
		t.Errorf("signature %+v", s)
	}
}

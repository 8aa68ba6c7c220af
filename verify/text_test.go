package verify

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestWriteText(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"pdf-06.pdf", []string{
			"Verdict:   VALID [TOTAL_PASSED]: 1 of 1 signature(s) valid",
			"Signature 1 of 1 (field \"Signature 1\"): VALID [TOTAL_PASSED]",
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
			data, err := os.ReadFile("testdata/corpus/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), corpusOptions(t, c.file, false))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			WriteText(&b, rep)
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	// Verbose explains every check, passed ones included; the compact form does not.
	data, err := os.ReadFile("testdata/corpus/pdf-06.pdf")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), corpusOptions(t, "pdf-06.pdf", false))
	if err != nil {
		t.Fatal(err)
	}
	var compact, verbose bytes.Buffer
	WriteText(&compact, rep)
	WriteTextWith(&verbose, rep, TextOptions{Verbose: true})
	if !strings.Contains(verbose.String(), "[ok]   integrity") || strings.Contains(compact.String(), "[ok]") {
		t.Errorf("verbose text should detail passed checks and compact text should not:\n%s\n---\n%s", verbose.String(), compact.String())
	}
	for _, line := range strings.Split(compact.String(), "\n") {
		if displayWidth(line) > 100 && strings.Contains(line, " ") && !strings.HasPrefix(line, "  Signer:") {
			t.Errorf("line wider than 100 columns: %q", line)
		}
	}

	var b bytes.Buffer
	WriteText(&b, verifyBytes(t, newDoc().data, Options{Name: "plain.pdf"}))
	if !strings.Contains(b.String(), "Verdict:   NOT SIGNED [NO_SIGNATURE_FOUND]: the document carries no signature") ||
		!strings.Contains(b.String(), "Document:  plain.pdf") {
		t.Errorf("unsigned document text:\n%s", b.String())
	}
}

package verify

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
)

// FuzzVerifyPDF feeds arbitrary bytes to VerifyPDF: it must never panic or hang, fail only with
// an *InputError, and return a consistent report otherwise. Seeds: the real corpus and a
// synthetic sealed document.
func FuzzVerifyPDF(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.pdf")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p := newPKI(f, nil)
	d := newDoc()
	d.addSignature(f, sigOpts{pki: p, seal: makeSeal(f, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))})
	d.addAnnotation()
	f.Add(d.bytes())
	anchors := append(loadCerts(f, "testdata/corpus/sm2-test-root.pem"), p.Root)
	opts := Options{ExtraAnchors: anchors, Revocation: &fakeRevocation{}, CurrentTime: corpusTime}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error that is not an *InputError: %v", err)
			}
			return
		}
		if rep.Indication != overallIndication(rep.Signatures) {
			t.Fatalf("overall %s inconsistent with the signatures", rep.Indication)
		}
		for _, s := range rep.Signatures {
			if len(s.Checks) == 0 || s.Type == "" || s.Indication == "" {
				t.Fatalf("incomplete signature report %+v", s)
			}
			if (s.Indication == TotalPassed) != (s.SubIndication == "") {
				t.Fatalf("indication %s with sub-indication %q", s.Indication, s.SubIndication)
			}
		}
	})
}

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

// checkFuzzReport holds a report to the invariants every report keeps.
func checkFuzzReport(t *testing.T, rep *Report) {
	t.Helper()
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
}

// FuzzVerifyDetached feeds arbitrary signature files (SES_Signature and CMS containers) to
// VerifyDetached over a fixed file: no panic, only *InputErrors, consistent reports. Seeds: an
// SES_Signature and a CMS by the test signer, and the real SES_Signatures of the seal tests.
func FuzzVerifyDetached(f *testing.F) {
	p := newPKI(f, nil)
	sealDER := makeSeal(f, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))
	content := []byte("任意电子材料")
	f.Add(p.SESignature(f, sealDER, content, "material.bin", tSign))
	sum := smcrypto.SM3(content)
	cms, err := smcrypto.BuildDetachedSignedData(sum[:], p.SignerKey, []*smcrypto.Certificate{p.Signer, p.Root}, smcrypto.SignedDataOptions{SigningTime: tSign, ESeal: sealDER})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cms)
	real, _ := filepath.Glob("testdata/signedvalue/*.dat")
	for _, name := range real {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}, CurrentTime: tNow}
	f.Fuzz(func(t *testing.T, sig []byte) {
		rep, err := VerifyDetached(context.Background(), bytes.NewReader(content), int64(len(content)), sig, opts)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error that is not an *InputError: %v", err)
			}
			return
		}
		checkFuzzReport(t, rep)
	})
}

// FuzzVerifySeal feeds arbitrary bytes to VerifySeal. Seeds: the real seals and one made here.
func FuzzVerifySeal(f *testing.F) {
	p := newPKI(f, nil)
	f.Add(makeSeal(f, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0)))
	real, _ := filepath.Glob("testdata/seals/*")
	for _, name := range real {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}, CurrentTime: tNow}
	f.Fuzz(func(t *testing.T, der []byte) {
		rep, err := VerifySeal(context.Background(), der, nil, opts)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error that is not an *InputError: %v", err)
			}
			return
		}
		checkFuzzReport(t, rep)
	})
}

// FuzzVerifyOFD feeds arbitrary packages to VerifyOFD. Seeds: the real OFD documents.
func FuzzVerifyOFD(f *testing.F) {
	files, _ := filepath.Glob("testdata/ofd/*.ofd")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 200<<10 { // the small ones: the fuzzer mutates them whole
			f.Add(b)
		}
	}
	opts := Options{RevocationPolicy: RevocationSoftFail, CurrentTime: tNow}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyOFD(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error that is not an *InputError: %v", err)
			}
			return
		}
		checkFuzzReport(t, rep)
	})
}

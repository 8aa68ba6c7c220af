package verify

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/pdf"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
)

// manySignaturesPDF is testpdf.ManySignatures with a CMS made over other bytes: the
// signatures that are hashed fail with HASH_FAILURE, which is all these tests need.
func manySignaturesPDF(t testing.TB, n int, fillerSize int) []byte {
	t.Helper()
	p := newPKI(t, nil)
	digest := smcrypto.SM3([]byte("other bytes"))
	cms, err := smcrypto.BuildDetachedSignedData(digest[:], p.SignerKey, p.Chain(), smcrypto.SignedDataOptions{SigningTime: tSign})
	if err != nil {
		t.Fatal(err)
	}
	return testpdf.ManySignatures(n, fillerSize, cms)
}

// TestManySignaturesBoundedWork: a file whose signatures each make the verifier hash the whole
// file again is read once, hashed within the work budget, and the signatures past the budget
// are INDETERMINATE saying so, instead of the verification taking minutes.
func TestManySignaturesBoundedWork(t *testing.T) {
	const n = 100
	data := manySignaturesPDF(t, n, 4<<20)
	size := int64(len(data))
	counter := &countingReader{r: bytes.NewReader(data)}
	rep, err := VerifyPDF(context.Background(), counter, size, Options{CurrentTime: tNow, RevocationPolicy: RevocationSoftFail})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != n {
		t.Fatalf("%d signatures, want %d", len(rep.Signatures), n)
	}
	hashed, skipped := 0, 0
	for i, s := range rep.Signatures {
		c := checkNamed(s, IntegrityCheck)
		switch {
		case s.Indication == TotalFailed && s.SubIndication == HashFailure:
			hashed++
			if skipped > 0 {
				t.Errorf("signature %d was hashed after an earlier one was refused", i+1)
			}
		case s.Indication == Indeterminate && c.SubIndication == SignedDataNotFound && strings.Contains(c.Detail, "work budget"):
			skipped++
		default:
			t.Fatalf("signature %d: %s/%s, integrity %s: %s", i+1, s.Indication, s.SubIndication, c.Status, c.Detail)
		}
	}
	// Each signature's own bytes are about the file: about budget/size of them are hashed.
	if want := int(workBudget(size) / size); hashed < want-2 || hashed > want {
		t.Errorf("%d signatures hashed, %d past the budget; about %d fit", hashed, skipped, want)
	}
	// The structure is read in windows, the bytes hashed in one pass: not once per signature.
	if counter.bytes > 3*size {
		t.Errorf("read %d bytes of a %d-byte file", counter.bytes, size)
	}
}

func checkNamed(s SignatureReport, name CheckName) Check {
	for _, c := range s.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// TestCancelStopsVerification: a cancelled context stops the hashing at once; VerifyPDF returns
// the context's error and no report.
func TestCancelStopsVerification(t *testing.T) {
	data := manySignaturesPDF(t, 8, 64<<20)
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		rep *Report
		err error
		at  time.Time
	}
	done := make(chan result)
	go func() {
		rep, err := VerifyPDF(ctx, bytes.NewReader(data), int64(len(data)), Options{CurrentTime: tNow})
		done <- result{rep, err, time.Now()}
	}()
	time.Sleep(20 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) || r.rep != nil {
		t.Fatalf("VerifyPDF after cancel = %v, %v", r.rep, r.err)
	}
	// The hashing checks the context between reads of 256 KiB: it stops within a few
	// milliseconds; 100 ms is the promise.
	if d := r.at.Sub(cancelled); d > 100*time.Millisecond {
		t.Errorf("VerifyPDF returned %v after the cancel", d)
	}
}

// TestStuffedCertificatesBounded: signatures whose CMS carries tens of thousands of certificates
// are refused naming the limit, and verifying them allocates in proportion to the containers
// kept (at most pdf.MaxContentsTotal; each decoded through a growing scratch buffer, then
// copied: transient allocations up to about twice that), not a parsed certificate per entry
// (about 1 GiB before the limits).
func TestStuffedCertificatesBounded(t *testing.T) {
	p := newPKI(t, nil)
	chain := []*smcrypto.Certificate{p.Signer}
	for range 20000 {
		chain = append(chain, p.Root)
	}
	digest := smcrypto.SM3([]byte("other bytes"))
	cms, err := smcrypto.BuildDetachedSignedData(digest[:], p.SignerKey, chain, smcrypto.SignedDataOptions{SigningTime: tSign})
	if err != nil {
		t.Fatal(err)
	}
	data := testpdf.ManySignatures(4, 1<<20, cms)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), Options{CurrentTime: tNow})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range rep.Signatures {
		c := checkNamed(s, FormatCheck)
		if s.Indication != TotalFailed || c.SubIndication != FormatFailure || !strings.Contains(c.Detail, "more than 256 certificates") {
			t.Errorf("signature %d: %s/%s, format %s: %s", i+1, s.Indication, s.SubIndication, c.Status, c.Detail)
		}
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	limit := uint64(2*pdf.MaxContentsTotal + 48<<20)
	t.Logf("%d signatures with %d-byte CMS (%d certificates each): %.1f MiB allocated", len(rep.Signatures), len(cms), len(chain), float64(alloc)/(1<<20))
	if alloc > limit && !raceEnabled {
		t.Errorf("verification allocated %d MiB, over %d MiB", alloc>>20, limit>>20)
	}
}

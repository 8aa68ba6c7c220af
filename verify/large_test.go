package verify

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
)

// writeLargeSignedPDF writes to path a PDF of about streamSize bytes: the one-page document, an
// incremental update adding a streamSize-byte stream (object 5), and a signed revision over all
// of it. The large part is written in chunks and never held in memory.
func writeLargeSignedPDF(t testing.TB, path string, streamSize int64, p *pki) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := newDoc()
	d.prefix = f
	if err := d.StreamFrom(f, 5, "", streamSize, testpdf.Filler()); err != nil {
		t.Fatal(err)
	}
	d.EndRevision()
	d.addSignature(t, sigOpts{pki: p, seal: makeSeal(t, p, []*smcrypto.Certificate{p.Signer}, tRootStart, tRootStart.AddDate(5, 0, 0))})
	if err := d.Flush(f); err != nil {
		t.Fatal(err)
	}
	return d.Pos()
}

// TestLargeFileMemory verifies a 100 MB signed PDF and checks that the verifier allocates far
// less than the file: it must stream the signed bytes, never read the file whole. Everything it
// allocates is counted (TotalAlloc), an upper bound of its peak heap.
func TestLargeFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100 MB file")
	}
	p := newPKI(t, nil)
	path := filepath.Join(t.TempDir(), "large.pdf")
	size := writeLargeSignedPDF(t, path, 100<<20, p)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, Revocation: &fakeRevocation{}, CurrentTime: tNow}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := VerifyPDF(context.Background(), f, size, opts)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != TotalPassed {
		t.Fatalf("indication %s: %+v", rep.Indication, rep.Signatures)
	}
	const limit = 64 << 20
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("file %d MB, allocated %.1f MB in total", size>>20, float64(alloc)/(1<<20))
	if alloc > limit && !raceEnabled {
		t.Errorf("VerifyPDF allocated %d MB for a %d MB file; the limit is %d MB", alloc>>20, size>>20, limit>>20)
	}
}

// BenchmarkVerifyLarge measures a 100 MB file (run with -bench Large -benchtime 1x).
func BenchmarkVerifyLarge(b *testing.B) {
	p := newPKI(b, nil)
	path := filepath.Join(b.TempDir(), "large.pdf")
	size := writeLargeSignedPDF(b, path, 100<<20, p)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	opts := Options{Anchors: anchorList{certs: []*smcrypto.Certificate{p.Root}}, CurrentTime: tNow}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyPDF(context.Background(), f, size, opts); err != nil {
			b.Fatal(err)
		}
	}
}

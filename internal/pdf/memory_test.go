package pdf

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/eseal/eseal/internal/testpdf"
)

// TestLargeFileMemory appends a 100 MiB stream to a signed corpus file, as an
// incremental update that adds it to the page, and checks that reading the
// structure, checking the ByteRange and classifying the change allocate a
// small fraction of the file: the file is read in windows, never held.
func TestLargeFileMemory(t *testing.T) {
	const streamSize = 100 << 20
	signed, err := os.ReadFile("testdata/pdf-16.pdf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "large.pdf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(signed); err != nil {
		t.Fatal(err)
	}
	// An update adding a large page content stream; pdf-16's last cross-reference section is
	// at 12075 (see the golden table).
	w := testpdf.Continue(int64(len(signed)), 12075, 9)
	if err := w.StreamFrom(f, 9, "", streamSize, testpdf.Repeat([]byte("0 0 m 1 1 l S\n% filler for a large page content stream\n"))); err != nil {
		t.Fatal(err)
	}
	w.Obj(3, "<< /Type /Page /Parent 2 0 R /Contents [4 0 R 9 0 R] /Annots [7 0 R] >>")
	w.EndRevision()
	if err := w.Flush(f); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, err := Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	s := sigByName(t, d, "Sig1")
	c := d.CheckByteRange(s)
	changes, err := d.ChangesAfter(s)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)

	if c.Coverage != CoverageEntireRevision || len(changes) != 1 || changes[0].Kind != ChangeOther {
		t.Fatalf("coverage %v, changes:\n%s", c.Coverage, dumpChanges(changes))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("file %d MiB, allocated %d KiB", st.Size()>>20, alloc>>10)
	if alloc > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file; want under 4 MiB", alloc, st.Size())
	}
}

package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
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
	var head bytes.Buffer
	head.Write(signed)
	off9 := head.Len()
	fmt.Fprintf(&head, "9 0 obj\n<< /Length %d >>\nstream\n", streamSize)
	if _, err := f.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	line := []byte("0 0 m 1 1 l S\n% filler for a large page content stream\n")
	chunk := bytes.Repeat(line, (1<<20)/len(line)+1)[:1<<20]
	for i := 0; i < streamSize/len(chunk); i++ {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	pos := int64(head.Len()) + streamSize
	var tail bytes.Buffer
	tail.WriteString("\nendstream\nendobj\n")
	off3 := pos + int64(tail.Len())
	tail.WriteString("3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents [4 0 R 9 0 R] /Annots [7 0 R] >>\nendobj\n")
	xref := pos + int64(tail.Len())
	// pdf-16's last cross-reference section is at 12075 (see the golden table).
	fmt.Fprintf(&tail, "xref\n3 1\n%010d 00000 n \n9 1\n%010d 00000 n \ntrailer\n<< /Size 10 /Root 1 0 R /Prev 12075 >>\nstartxref\n%d\n%%%%EOF\n", off3, off9, xref)
	if _, err := f.Write(tail.Bytes()); err != nil {
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

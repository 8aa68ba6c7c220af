package sign

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	pdfsign "github.com/digitorus/pdfsign/sign"
)

// pdfsignJob runs sealing of the document at path up to pdfsign's output (j.tail).
func pdfsignJob(t *testing.T, path string) (*job, []byte) {
	t.Helper()
	data := mustRead(t, path)
	s := newSealer(t, "合同专用章", "11010800000081")
	j, err := prepare(bytes.NewReader(data), s, PDFOptions{Now: fixedClock, Reason: "登记核准"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.runPdfsign(); err != nil {
		t.Fatal(err)
	}
	return j, data
}

var (
	objectText   = regexp.MustCompile(`(?s)\n(\d+) 0 obj\n(.*?)\nendobj\n`)
	byteRangeTxt = regexp.MustCompile(`/ByteRange \[[0-9 ]+\] *`)
	contentsHex  = regexp.MustCompile(`/Contents<[0-9a-fA-F]*>`)
)

// objectsOf lists the "N 0 obj" ... "endobj" texts of an update but its xref stream (which
// holds offsets), with the ByteRange and the throw-away /Contents blanked.
func objectsOf(update []byte) []string {
	var objs []string
	for _, m := range objectText.FindAllSubmatch(update, -1) {
		if bytes.HasPrefix(m[2], []byte("<< /Type /XRef\n")) {
			continue
		}
		body := byteRangeTxt.ReplaceAll(m[2], []byte("/ByteRange [...]"))
		body = contentsHex.ReplaceAll(body, []byte("/Contents<...>"))
		objs = append(objs, string(m[1])+" 0 obj\n"+string(body))
	}
	return objs
}

// TestPdfsignInputSameUpdate: given the stand-in input (which reads as empty), pdfsign writes
// the same objects as when it copies the whole document, only counted from another start.
func TestPdfsignInputSameUpdate(t *testing.T) {
	for _, name := range []string{"licence.pdf", "corpus-pdf-01.pdf", "corpus-pdf-02.pdf", "corpus-pdf-10.pdf"} {
		t.Run(name, func(t *testing.T) {
			j, data := pdfsignJob(t, "testdata/"+name)
			sd, err := j.pdfsignData()
			if err != nil {
				t.Fatal(err)
			}
			var full bytes.Buffer
			if err := pdfsign.Sign(bytes.NewReader(data), &full, j.reader, j.size, sd); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(full.Bytes(), data) {
				t.Fatal("pdfsign's ordinary output does not start with the document")
			}
			want, got := objectsOf(full.Bytes()[len(data):]), objectsOf(j.tail)
			if len(want) < 6 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("objects differ:\n--- with the whole document:\n%s\n--- with the stand-in:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// TestRelocateRejects: pdfsign output that is not what relocate expects (as a new pdfsign
// version might write) is an Internal error naming what is wrong, never a document. The
// edits keep lengths, so that each reaches the check it is named after.
func TestRelocateRejects(t *testing.T) {
	// sub replaces each match of re by repl followed by spaces to the match's length; nil if
	// re does not match or repl is too long.
	sub := func(re, repl string) func([]byte) []byte {
		return func(b []byte) []byte {
			r := regexp.MustCompile(re)
			ok := r.Match(b)
			out := r.ReplaceAllFunc(b, func(m []byte) []byte {
				x := r.ReplaceAll(m, []byte(repl))
				if len(x) > len(m) {
					ok = false
					return m
				}
				return append(x, bytes.Repeat([]byte(" "), len(m)-len(x))...)
			})
			if !ok {
				return nil
			}
			return out
		}
	}
	// bump adds one to the last digit of the first number matched by re's group 1.
	bump := func(re string) func([]byte) []byte {
		return func(b []byte) []byte {
			m := regexp.MustCompile(re).FindSubmatchIndex(b)
			if m == nil {
				return nil
			}
			b = bytes.Clone(b)
			b[m[3]-1] = '0' + (b[m[3]-1]-'0'+1)%10
			return b
		}
	}
	// pointStartxref points startxref at the line that starts with line (same digit count).
	pointStartxref := func(line string) func([]byte) []byte {
		return func(b []byte) []byte {
			m := regexp.MustCompile(`startxref\s+(\d+)\n%%EOF\n$`).FindSubmatchIndex(b)
			at := strconv.Itoa(bytes.LastIndex(b[:m[0]], []byte("\n"+line)) + 1)
			if m == nil || at == "0" || len(at) != m[3]-m[2] {
				return nil
			}
			return append(append(bytes.Clone(b[:m[2]]), at...), b[m[3]:]...)
		}
	}
	type mutation struct {
		name, want string
		mutate     func([]byte) []byte
	}
	common := []mutation{
		{"no %%EOF at the end", "no startxref and %%EOF", func(b []byte) []byte { return b[:len(b)-2] }},
		{"startxref not a number", "bad startxref", sub(`startxref(\s+)\d`, "startxref${1}x")},
		{"a byte between two objects", "not where the cross-reference data says", func(b []byte) []byte {
			b = bytes.Clone(b)
			b[bytes.Index(b, []byte("\nendobj\n"))+len("\nendobj\n")] = '%'
			return b
		}},
		{"object renumbered", "not where the cross-reference data says", bump(`\n(\d+) 0 obj\n<<\n  /Type /Annot`)},
		{"no catalog", `no object starting "<<\n  /Type /Catalog\n"`, sub(`/Type /Catalog\n`, "/Type /Catalug\n")},
		{"two catalogs", "two objects starting", sub(`<<\n  /Type /XObject\n  /Subtype /Form\n`, "<<\n  /Type /Catalog\n")},
		{"no widget", "/Subtype /Widget", sub(`/Subtype /Widget\n`, "/Subtype /Widgex\n")},
		{"signature dictionary not first", "not the first object", func(b []byte) []byte {
			if b = sub(`<<\n /Type /Sig\n`, "<<\n /Type /Sog\n")(b); b == nil {
				return nil
			}
			return sub(`<<\n  /Type /XObject\n  /Subtype /Form\n`, "<<\n /Type /Sig\n")(b)
		}},
		{"placeholder picture with a mask", "has a mask", sub(`(/ColorSpace /DeviceRGB\n)  /BitsPerComponent 8\n`, "${1}  /SMask 1 0 R\n")},
		{"no ByteRange", "no ByteRange", sub(`/ByteRange \[`, "/ByteRangeX[")},
		{"ByteRange not framing /Contents", "does not frame the new /Contents", bump(`/ByteRange \[0 (\d+)`)},
	}
	table := append(common, []mutation{
		{"startxref points elsewhere", "startxref does not point at the xref table", pointStartxref("trailer")},
		{"xref entry free", "bad xref entry", sub(`(\d{10}) 00000 n\r\n`, "${1} 00000 f\r\n")},
		{"xref subsection longer than its entries", "bad xref entry", sub(`\n(\d+) (\d)\n(\d{10})`, "\n${1} 9\n${3}")},
		{"xref subsection header garbled", "bad xref subsection header", sub(`\n(\d+) (\d)\n(\d{10})`, "\n${1} x\n${3}")},
		{"object number out of range", "bad xref subsection header", sub(`\n(\d+) (\d)\n\d{10} 00000 n\r\n`, "\n2147483648 ${2}\n")},
	}...)
	stream := append(common, []mutation{
		{"startxref points elsewhere", "startxref does not point at the xref stream", pointStartxref("<< /Type /XRef")},
		{"xref stream /W", "xref stream dictionary", sub(`/W \[ 1 4 1 \]`, "/W [ 1 4 2 ]")},
		{"xref stream /Length", "xref stream length", bump(`/Type /XRef\n  /Length (\d+)`)},
		{"xref stream /Index odd", "xref stream /Index", sub(`(/Index \[ \d+ \d+ \d+ )\d( \])`, "${1} ${2}")},
		{"xref stream data", "xref stream data", sub(`(?s)(/Type /XRef\n.*?>>\nstream\n).`, "${1}\x00")},
		{"not an xref stream", "startxref does not point at the xref stream", sub(`/Type /XRef\n`, "/Type /XReg\n")},
	}...)
	for _, doc := range []struct {
		file  string
		cases []mutation
	}{{"licence.pdf", table}, {"corpus-pdf-01.pdf", stream}} {
		t.Run(doc.file, func(t *testing.T) {
			j, _ := pdfsignJob(t, "testdata/"+doc.file)
			orig := j.tail
			if err := j.relocate(j.image); err != nil {
				t.Fatalf("unchanged pdfsign output: %v", err)
			}
			for _, tc := range doc.cases {
				t.Run(tc.name, func(t *testing.T) {
					if j.tail = tc.mutate(bytes.Clone(orig)); j.tail == nil {
						t.Fatal("the mutation does not apply to pdfsign's output")
					}
					err := j.relocate(j.image)
					var e *Error
					if !errors.As(err, &e) || e.Reason != Internal || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("relocate: %v, want an Internal *Error about %q", err, tc.want)
					}
				})
			}
		})
	}
}

// handUpdate writes an update as pdfsign lays it out (objects, then an xref stream with the
// given /Index and rows), for the cases pdfsign's real output cannot be edited into.
func handUpdate(objs []string, xrefHead string, index string, rows []byte) []byte {
	b := []byte("\n")
	for i, o := range objs {
		b = append(b, fmt.Sprintf("\n%d 0 obj\n%s\nendobj\n", i+1, o)...)
	}
	b = append(b, '\n')
	xs := len(b)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(rows)
	zw.Close()
	data := z.Bytes()
	b = append(b, fmt.Sprintf("\n%s<< /Type /XRef\n  /Length %d\n  /Filter /FlateDecode\n  /W [ 1 4 1 ]\n  /Index [ %s ]\n>>\nstream\n", xrefHead, len(data), index)...)
	b = append(b, data...)
	return append(b, fmt.Sprintf("\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xs)...)
}

// TestParseUpdateRejects covers what only a hand-made update reaches.
func TestParseUpdateRejects(t *testing.T) {
	row := func(off int) []byte { return []byte{1, 0, 0, byte(off >> 8), byte(off), 0} }
	good := handUpdate([]string{"<<>>"}, "2 0 obj\n", "1 1", row(2))
	if u, err := parseUpdate(good, "stream"); err != nil || len(u.objects) != 1 || u.xrefStreamID != 2 || string(u.objects[0].body) != "<<>>" {
		t.Fatalf("the hand-made update does not parse: %+v, %v", u, err)
	}
	cases := []struct {
		name, xrefType, want string
		update               []byte
	}{
		{"unknown xref type", "hybrid", "unknown cross-reference type", good},
		{"xref stream numbered like an object", "stream", "the xref stream's number is taken", handUpdate([]string{"<<>>"}, "1 0 obj\n", "1 1", row(2))},
		{"xref stream number too large", "stream", "bad xref stream number", handUpdate([]string{"<<>>"}, "99999999999 0 obj\n", "1 1", row(2))},
		{"xref stream entry of type 2", "stream", "xref stream entry", handUpdate([]string{"<<>>"}, "2 0 obj\n", "1 1", []byte{2, 0, 0, 0, 2, 0})},
		{"xref stream rows missing", "stream", "xref stream data", handUpdate([]string{"<<>>"}, "2 0 obj\n", "1 2", row(2))},
		{"first object not at the start", "stream", "does not start with an object", handUpdate([]string{"<<>>", "<<>>"}, "3 0 obj\n", "2 1", row(16))},
		{"xref stream /Index out of range", "stream", "xref stream /Index", handUpdate([]string{"<<>>"}, "2 0 obj\n", "2147483648 1", row(2))},
		{"unterminated xref stream dictionary", "stream", "unterminated xref stream dictionary",
			[]byte("\n\n1 0 obj\n<<>>\nendobj\n\n\n2 0 obj\n<< /Type /XRef\n>>\nstreak\nstartxref\n23\n%%EOF\n")},
		{"unterminated xref subsection header", "table", "unterminated xref subsection header", []byte("\n\n\nxref\n1 1startxref\n3\n%%EOF\n")},
		{"empty xref table", "table", "empty cross-reference section", []byte("\n\n\nxref\ntrailer\n<<>>\nstartxref\n3\n%%EOF\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseUpdate(tc.update, tc.xrefType)
			var e *Error
			if !errors.As(err, &e) || e.Reason != Internal || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseUpdate: %v, want an Internal *Error about %q", err, tc.want)
			}
		})
	}
}

// shortPass is a document (an io.ReadSeeker only) whose reads at given offsets are right but
// whose read from its start, as a whole, ends early: as when a file is truncated while it is
// being sealed.
type shortPass struct {
	data            []byte
	pos, cut        int64
	readingFromZero bool
}

func (s *shortPass) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += int64(len(s.data))
	}
	s.pos, s.readingFromZero = off, off == 0
	return off, nil
}

func (s *shortPass) Read(p []byte) (int, error) {
	end := int64(len(s.data))
	if s.readingFromZero {
		end = s.cut
	}
	if s.pos >= end {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), end-s.pos)], s.data[s.pos:])
	s.pos += int64(n)
	return n, nil
}

// TestSignPDFShortRead: a document that reads shorter than its size is an IOFailed error
// and nothing is written.
func TestSignPDFShortRead(t *testing.T) {
	// Larger than eofWindow, so that only the scan reads it whole from its start.
	data := mustRead(t, writeFixture(t, fixture{extra: 2 * eofWindow}))
	var out bytes.Buffer
	_, err := SignPDF(&shortPass{data: data, cut: int64(len(data)) - 10}, &out, newSealer(t, "合同专用章", "11010800000082"), PDFOptions{Now: fixedClock})
	var e *Error
	if !errors.As(err, &e) || e.Reason != IOFailed || !strings.Contains(err.Error(), "ended after") || out.Len() != 0 {
		t.Fatalf("SignPDF: %v, %d bytes written; want IOFailed, nothing written", err, out.Len())
	}
}

// recordingReaderAt notes the ranges read.
type recordingReaderAt struct {
	io.ReaderAt
	reads [][2]int64
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.reads = append(r.reads, [2]int64{off, off + int64(len(p))})
	return r.ReaderAt.ReadAt(p, off)
}

// TestSelfCheckReadsTheUpdate: the read-back reads the document's header, then the update
// alone, whatever the size of the document's own cross-reference data; and it checks the page
// the widget is on, found by its object number.
func TestSelfCheckReadsTheUpdate(t *testing.T) {
	for _, name := range []string{"licence.pdf", "corpus-pdf-01.pdf", "corpus-pdf-10.pdf"} {
		t.Run(name, func(t *testing.T) {
			j, _ := pdfsignJob(t, "testdata/"+name)
			if err := j.relocate(j.image); err != nil {
				t.Fatal(err)
			}
			rec := &recordingReaderAt{ReaderAt: j.ra}
			j.ra = rec
			if err := j.selfCheck(); err != nil {
				t.Fatal(err)
			}
			for _, r := range rec.reads {
				if r[0] != 0 || r[1] > 64 {
					t.Errorf("the read-back read bytes %d to %d of the %d-byte document", r[0], r[1], j.size)
				}
			}
			// The widget is on another page: refused.
			j.pageObj = j.reader.Trailer().Key("Root") // an object not in the update
			if err := j.selfCheck(); err == nil || !strings.Contains(err.Error(), "is not in the update") {
				t.Errorf("page not in the update: %v", err)
			}
		})
	}
}

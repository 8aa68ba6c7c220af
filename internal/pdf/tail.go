package pdf

import (
	"bytes"
	"errors"
	"io"
	"regexp"
)

// Bytes after the last complete revision are either harmless (white space, padding), or
// appended junk (a finding: Document.TrailingBytes), or the beginning of an incremental update
// whose end is missing: the file was cut short, and a reader would silently show an earlier
// revision, typically without the signature the lost update added. checkTail tells the last
// case: the tail holds an object that never ends, or the cross-reference section or trailer of
// an update, without the %%EOF that would make it a revision.

var (
	objStartRE = regexp.MustCompile(`\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+obj\b`)
	objEndRE   = regexp.MustCompile(`endobj`)
	sigDictRE  = regexp.MustCompile(`/ByteRange\b`)
	// the file ends after "num gen" (and perhaps "o" or "ob"): cut inside an object header
	cutHeaderRE  = regexp.MustCompile(`(?:^|[ \t\r\n\f\x00])\d+[ \t\r\n\f\x00]+\d+(?:[ \t\r\n\f\x00]+(?:o|ob)?)?$`)
	updateTailRE = regexp.MustCompile(`(?:^|[ \t\r\n\f\x00>])(xref|trailer|startxref)[ \t\r\n\f\x00<]`)
)

// checkTail returns a Damaged FormatError when the bytes after the last revision are an
// incremental update cut short.
func (d *Document) checkTail() error {
	if d.TrailingBytes == 0 {
		return nil
	}
	start := d.Size - d.TrailingBytes
	bp := getBigBuffer()
	defer putBigBuffer(bp)
	buf := *bp
	const overlap = 64 // longer than any pattern, so none is missed at a window's edge
	lastHeader, lastEnd, keyword, sigAt := int64(-1), int64(-1), "", int64(-1)
	keywordAt := int64(-1)
	for off := start; off < d.Size; {
		n := min(int64(len(buf)), d.Size-off)
		m, err := d.r.ReadAt(buf[:n], off)
		if int64(m) < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return formatErr(Damaged, off+int64(m), "the file cannot be read to its end: %v", err)
		}
		w := buf[:n]
		for _, loc := range objStartRE.FindAllIndex(w, -1) {
			lastHeader = max(lastHeader, off+int64(loc[0]))
		}
		for _, loc := range objEndRE.FindAllIndex(w, -1) {
			lastEnd = max(lastEnd, off+int64(loc[0]))
		}
		if keywordAt < 0 {
			if m := updateTailRE.FindSubmatchIndex(w); m != nil {
				keyword, keywordAt = string(w[m[2]:m[3]]), off+int64(m[2])
			}
		}
		if sigAt < 0 {
			if loc := sigDictRE.FindIndex(w); loc != nil {
				sigAt = off + int64(loc[0])
			}
		}
		if off+n == d.Size {
			if loc := cutHeaderRE.FindIndex(w); loc != nil {
				lastHeader = max(lastHeader, off+int64(loc[0])) // no endobj can follow it
				lastEnd = min(lastEnd, lastHeader-1)
			}
			break
		}
		off += max(n-overlap, 1)
	}
	switch {
	case lastHeader > lastEnd:
		return formatErr(Damaged, lastHeader, "the file ends inside an object: the %d bytes after the last complete revision (from byte %d) begin an incremental update that was cut short; what it added (a signature, perhaps) is lost",
			d.TrailingBytes, start)
	case keywordAt >= 0:
		what := map[string]string{"xref": "a cross-reference section", "trailer": "a trailer", "startxref": "a startxref"}[keyword]
		return formatErr(Damaged, keywordAt, "the file ends inside an incremental update: the %d bytes after the last complete revision (from byte %d) hold %s but no %%%%EOF after it; the update was cut short, and what it added (a signature, perhaps) is lost",
			d.TrailingBytes, start, what)
	case sigAt >= 0:
		return formatErr(Damaged, sigAt, "the file ends inside an incremental update: the %d bytes after the last complete revision (from byte %d) hold a signature dictionary but no cross-reference section and %%%%EOF; the update was cut short, and its signature is lost",
			d.TrailingBytes, start)
	}
	return nil
}

// endsWithoutEOF reports whether no %%EOF follows the last startxref: the file was cut inside
// its last revision's final lines.
func (d *Document) endsWithoutEOF() bool {
	n := d.Size - d.startxref
	if d.startxref < 0 || n > 1024 {
		return false
	}
	b := make([]byte, n)
	if m, _ := d.r.ReadAt(b, d.startxref); int64(m) < n {
		return false
	}
	return !bytes.Contains(b, []byte("%%EOF"))
}

// checkCutEnd tells a file cut in its last lines: its last revision has no %%EOF, and a
// signature says the file went on (its ByteRange ends past the end).
func (d *Document) checkCutEnd() error {
	if d.Revisions[len(d.Revisions)-1].EOFOffset >= 0 {
		return nil
	}
	for _, s := range d.Signatures {
		if br := s.ByteRange; len(br) == 4 && br[2]+br[3] > d.Size {
			return formatErr(Damaged, d.Size, "the file ends without %%%%EOF, and the signature of field %q signs %d bytes past its end: it was cut short",
				s.FieldName, br[2]+br[3]-d.Size)
		}
	}
	return nil
}

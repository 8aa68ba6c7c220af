package pdf

import (
	"bytes"
	"fmt"
	"slices"
)

// Coverage is what a signature's ByteRange covers.
type Coverage int

const (
	// CoverageInvalid: the ByteRange is malformed; nothing may be hashed.
	CoverageInvalid Coverage = iota
	// CoverageUnclear: well formed, but the signed bytes are not the whole
	// file or a whole revision minus exactly the /Contents string.
	CoverageUnclear
	// CoverageEntireRevision: the whole of an earlier revision is signed and
	// later revisions (or bytes) follow; see Document.ChangesAfter.
	CoverageEntireRevision
	// CoverageEntireFile: everything but the /Contents string is signed.
	CoverageEntireFile
)

func (c Coverage) String() string {
	switch c {
	case CoverageInvalid:
		return "invalid"
	case CoverageUnclear:
		return "unclear"
	case CoverageEntireRevision:
		return "entire revision"
	case CoverageEntireFile:
		return "entire file"
	}
	return fmt.Sprintf("Coverage(%d)", int(c))
}

// ByteRangeCheck is the verdict on a signature's ByteRange.
type ByteRangeCheck struct {
	Coverage Coverage
	// GapIsContents: the unsigned gap is exactly the /Contents hex string:
	// it starts with '<', ends with '>', holds only hex digits and white
	// space, is where /Contents is written, and decodes to Signature.Contents.
	GapIsContents bool
	Problems      []string   // why the coverage is not complete, in plain words
	Ranges        [][2]int64 // [start, end) ranges to hash; nil when Invalid
	// CoveredRevision is the index of the last revision wholly signed and
	// RevisionEnd its end (the end of the signed bytes), or -1 and 0.
	CoveredRevision int
	RevisionEnd     int64
}

// OK reports a ByteRange that a verifier can accept: whole file or whole
// revision, and the gap is exactly the signature value.
func (c ByteRangeCheck) OK() bool {
	return c.GapIsContents && (c.Coverage == CoverageEntireFile || c.Coverage == CoverageEntireRevision)
}

// CheckByteRange checks s.ByteRange against the file: shape [0 a b c],
// bounds, the gap, and what the signed bytes cover.
//
// The verdict is computed once per signature and remembered (ChangesAfter
// needs it too); each call returns its own copy.
func (d *Document) CheckByteRange(s *Signature) ByteRangeCheck {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checkByteRange(s)
}

// checkByteRange is CheckByteRange with d.mu held.
func (d *Document) checkByteRange(s *Signature) ByteRangeCheck {
	if prev, ok := d.brChecks[s]; ok && prev.judged(s) {
		return prev.check.clone()
	}
	c := d.computeByteRange(s)
	if d.brChecks == nil {
		d.brChecks = map[*Signature]brCheck{}
	}
	d.brChecks[s] = brCheck{byteRange: slices.Clone(s.ByteRange), contents: s.Contents,
		contentsAt: [2]int64{s.ContentsOffset, s.ContentsEnd}, check: c.clone()}
	return c
}

// brCheck is a remembered ByteRange verdict and what it judged.
type brCheck struct {
	byteRange  []int64
	contents   []byte
	contentsAt [2]int64
	check      ByteRangeCheck
}

// judged reports whether s still has what the verdict was made on.
func (b brCheck) judged(s *Signature) bool {
	return slices.Equal(b.byteRange, s.ByteRange) && bytes.Equal(b.contents, s.Contents) &&
		b.contentsAt == [2]int64{s.ContentsOffset, s.ContentsEnd}
}

func (c ByteRangeCheck) clone() ByteRangeCheck {
	c.Problems = slices.Clone(c.Problems)
	c.Ranges = slices.Clone(c.Ranges)
	return c
}

func (d *Document) computeByteRange(s *Signature) (c ByteRangeCheck) {
	defer func() {
		if r := recover(); r != nil {
			c = ByteRangeCheck{CoveredRevision: -1, Problems: []string{fmt.Sprintf("%v: %v", errInternal, r)}}
		}
	}()
	c.CoveredRevision = -1
	c.Problems = append(c.Problems, s.brProblems...)
	br := s.ByteRange
	if len(c.Problems) > 0 {
		return c
	}
	if len(br) != 4 {
		c.Problems = append(c.Problems, fmt.Sprintf("ByteRange has %d numbers, expected 4", len(br)))
		return c
	}
	start1, len1, start2, len2 := br[0], br[1], br[2], br[3]
	for i, v := range br {
		if v < 0 {
			c.Problems = append(c.Problems, fmt.Sprintf("ByteRange number %d is negative (%d)", i+1, v))
		}
	}
	if len(c.Problems) > 0 {
		return c
	}
	if start1 != 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("bytes 0..%d are not covered: the first range starts at %d", start1, start1))
	}
	if start1 > d.Size || len1 > d.Size-start1 {
		c.Problems = append(c.Problems, fmt.Sprintf("the first range ends past the end of the file (%d + %d > %d)", start1, len1, d.Size))
		return c
	}
	gapStart := start1 + len1
	switch {
	case start2 < gapStart:
		c.Problems = append(c.Problems, fmt.Sprintf("ranges overlap: the second range starts at %d, before the first ends at %d", start2, gapStart))
	case start2 == gapStart:
		c.Problems = append(c.Problems, "the ranges leave no gap for the signature")
	}
	if start2 > d.Size || len2 > d.Size-start2 {
		c.Problems = append(c.Problems, fmt.Sprintf("range ends past end of file (%d + %d > %d)", start2, len2, d.Size))
	}
	if len(c.Problems) > 0 {
		return c
	}
	end := start2 + len2
	c.Ranges = [][2]int64{{0, gapStart}, {start2, end}}

	c.GapIsContents = d.checkGap(s, gapStart, start2, &c)

	last := d.Revisions[len(d.Revisions)-1]
	covered := -1
	for i, r := range d.Revisions {
		if r.EOFOffset >= 0 && end >= r.EOFOffset+5 && end <= r.End {
			covered = i
		}
	}
	switch {
	case !c.GapIsContents:
		c.Coverage = CoverageUnclear
		c.Problems = append(c.Problems, "bytes outside the /Contents string are left unsigned")
	case end == d.Size:
		c.Coverage = CoverageEntireFile
		c.CoveredRevision, c.RevisionEnd = len(d.Revisions)-1, end
	case covered >= 0:
		c.Coverage = CoverageEntireRevision
		c.CoveredRevision, c.RevisionEnd = covered, end
	default:
		c.Coverage = CoverageUnclear
		msg := fmt.Sprintf("the signed bytes end at byte %d, which is neither the end of the file (%d) nor the end of a revision", end, d.Size)
		for _, r := range d.Revisions {
			if r.End > end {
				msg += fmt.Sprintf(" (revision %d ends at byte %d)", r.Index+1, r.End)
				break
			}
		}
		if end > last.End {
			msg += fmt.Sprintf(" (the last revision ends at byte %d)", last.End)
		}
		c.Problems = append(c.Problems, msg)
	}
	return c
}

// checkGap verifies that [from, to) is exactly the /Contents hex string.
func (d *Document) checkGap(s *Signature, from, to int64, c *ByteRangeCheck) bool {
	ok := true
	fail := func(format string, args ...any) {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
		ok = false
	}
	if s.ContentsOffset < 0 {
		fail("the position of /Contents in the file is unknown, so the gap %d..%d cannot be matched to it", from, to)
	} else if from != s.ContentsOffset || to != s.ContentsEnd {
		fail("the gap %d..%d is not the /Contents string, which is written at %d..%d", from, to, s.ContentsOffset, s.ContentsEnd)
	}
	if to-from < 2 {
		fail("the gap %d..%d is too short to hold a hex string", from, to)
		return false
	}
	if ok && s.contentsToken != nil && bytes.Equal(s.contentsToken, s.Contents) {
		// The gap is exactly the hex string token the lexer read for /Contents: '<', only
		// hex digits and white space, '>', decoding to s.Contents. Reading it again would
		// only find the same.
		return true
	}
	bp := getBigBuffer()
	defer putBigBuffer(bp)
	var hi byte
	k := 0 // decoded bytes so far
	half := false
	want := s.Contents
	matches := true
	for off := from; off < to; {
		chunk, err := d.readWindow(*bp, off, to)
		if err != nil {
			fail("reading the gap: %v", err)
			return false
		}
		// body is chunk without the first and last bytes of the gap, which
		// must be the delimiters; bodyOff is where it starts in the file.
		body, bodyOff := chunk, off
		if off == from {
			if chunk[0] != '<' {
				fail("the gap %d..%d does not start with '<'", from, to)
				return false
			}
			body, bodyOff = body[1:], off+1
		}
		end := off + int64(len(chunk))
		if end == to {
			body = body[:len(body)-1]
		}
		for i, b := range body {
			v := hexTable[b]
			if v >= 16 {
				if v == hexWhite {
					continue
				}
				fail("the gap holds %q at byte %d, which is not a hex digit", b, bodyOff+int64(i))
				return false
			}
			if !half {
				hi, half = v, true
				continue
			}
			half = false
			if k >= len(want) || want[k] != hi<<4|v {
				matches = false
			}
			k++
		}
		if end == to && chunk[len(chunk)-1] != '>' {
			fail("the gap %d..%d does not end with '>'", from, to)
			return false
		}
		off = end
	}
	if half {
		if k >= len(want) || want[k] != hi<<4 {
			matches = false
		}
		k++
	}
	// A /Contents too long to keep is matched by position and by its well-formed digits.
	if s.ContentsNotRead == "" && (!matches || k != len(want)) {
		fail("the gap does not decode to the /Contents value")
	}
	return ok
}

package sign

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pdfsign derives the new trailer from the old one by text substitution, keyed on the number
// of xref entries it read rather than /Size: on files whose /Size is not that number (common
// after other tools' incremental updates) the new objects fall outside /Size and readers do
// not see the signature. Its xref streams also drop /Info and are one short in /Size.
// fixTrailer rewrites the end of the update (after /Contents, so only the ByteRange length
// changes) with a trailer built from what is known.

var (
	catalogObj  = regexp.MustCompile(`(?m)^(\d+) 0 obj\n<<\n  /Type /Catalog\n`)
	xrefStmObj  = regexp.MustCompile(`(?m)^(\d+) 0 obj\n<< /Type /XRef\n`)
	sizeEntry   = regexp.MustCompile(`(?m)^  /Size \d+\n`)
	subsections = regexp.MustCompile(`(?m)^(\d+) (\d+)\r?\n`)
)

func (j *job) fixTrailer(l sigLayout) error {
	t := j.tail
	after := l.gt + 1
	bad := func(what string) error { return errorf(Internal, nil, "unexpected PDF writer output: %s", what) }
	m := catalogObj.FindAllSubmatchIndex(t[after:], -1)
	if len(m) != 1 {
		return bad("no single new catalog")
	}
	catalogID := string(t[after+m[0][2] : after+m[0][3]])
	old := j.reader.Trailer()
	var info string
	if v := old.Key("Info"); !v.IsNull() && v.GetPtr() != old.GetPtr() {
		p := v.GetPtr()
		info = fmt.Sprintf("%d %d R", p.GetID(), p.GetGen())
	}
	var id string
	if v := old.Key("ID"); v.Len() == 2 {
		id = fmt.Sprintf("[<%s><%s>]", hex.EncodeToString([]byte(v.Index(0).RawString())), hex.EncodeToString([]byte(v.Index(1).RawString())))
	}
	oldSize := old.Key("Size").Int64()

	var edited []byte
	switch j.reader.XrefInformation.Type {
	case "table":
		x := bytes.LastIndex(t, []byte("\nxref\n"))
		tr := bytes.LastIndex(t, []byte("trailer"))
		sx := bytes.LastIndex(t, []byte("startxref"))
		if x < after || tr < x || sx < tr {
			return bad("no xref table and trailer after the signature")
		}
		maxID := int64(0)
		for _, s := range subsections.FindAllSubmatch(t[x:tr], -1) {
			start, _ := strconv.ParseInt(string(s[1]), 10, 64)
			n, _ := strconv.ParseInt(string(s[2]), 10, 64)
			maxID = max(maxID, start+n-1)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "trailer\n<<\n  /Size %d\n  /Root %s 0 R\n", max(oldSize, maxID+1), catalogID)
		if info != "" {
			fmt.Fprintf(&b, "  /Info %s\n", info)
		}
		if id != "" {
			fmt.Fprintf(&b, "  /ID %s\n", id)
		}
		fmt.Fprintf(&b, "  /Prev %d\n>>\n", j.reader.XrefInformation.StartPos)
		// pdfsign copied "startxref" with the old file's line end, then wrote the number.
		rest := bytes.TrimLeft(t[sx+len("startxref"):], "\r\n \t")
		b.WriteString("startxref\n")
		edited = append(append(append(edited, t[:tr]...), b.String()...), rest...)
	case "stream":
		xm := xrefStmObj.FindAllSubmatchIndex(t[after:], -1)
		if len(xm) != 1 {
			return bad("no single new xref stream")
		}
		dictStart := after + xm[0][1]
		dictEnd := bytes.Index(t[dictStart:], []byte(">>\nstream\n"))
		if dictEnd < 0 {
			return bad("unterminated xref stream dictionary")
		}
		dictEnd += dictStart
		xrefID, _ := strconv.ParseInt(string(t[after+xm[0][2]:after+xm[0][3]]), 10, 64)
		// The xref stream has no entry for itself (pdfsign writes none), and qpdf wants /Size
		// to be one more than the highest object number listed.
		maxID := int64(0)
		for _, h := range objectHeaders(t[after:]) {
			if h.num != xrefID {
				maxID = max(maxID, h.num)
			}
		}
		dict := t[dictStart:dictEnd]
		if len(sizeEntry.FindAll(dict, -1)) != 1 {
			return bad("xref stream without a single /Size")
		}
		dict = sizeEntry.ReplaceAll(bytes.Clone(dict), []byte(fmt.Sprintf("  /Size %d\n", max(oldSize, maxID+1))))
		if info != "" && !bytes.Contains(dict, []byte("/Info ")) {
			dict = append(dict, fmt.Sprintf("  /Info %s\n", info)...)
		}
		edited = append(append(append(edited, t[:dictStart]...), dict...), t[dictEnd:]...)
	default:
		return bad("unknown cross-reference type " + j.reader.XrefInformation.Type)
	}
	// The signed range now ends elsewhere: rewrite its length, padded as pdfsign pads it.
	br := l.byteRange
	br[3] = j.size + int64(len(edited)) - br[2]
	text := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3])
	if len(text) > len(byteRangePlaceholder) {
		return errorf(UnsupportedPDF, nil, "ByteRange %v does not fit", br)
	}
	copy(edited[l.brText:], text+strings.Repeat(" ", len(byteRangePlaceholder)-len(text)))
	j.tail = edited
	return nil
}

// objHeader is an "N 0 obj" line pdfsign wrote: N, and where the line ends.
type objHeader struct {
	num int64
	end int
}

// objectHeaders finds the "\nN 0 obj\n" lines in t (faster than a regular expression over the
// hex and image bytes).
func objectHeaders(t []byte) []objHeader {
	var hs []objHeader
	const suffix = " 0 obj\n"
	for from := 0; ; {
		i := bytes.Index(t[from:], []byte(suffix))
		if i < 0 {
			return hs
		}
		i += from
		from = i + len(suffix)
		j := i
		for j > 0 && t[j-1] >= '0' && t[j-1] <= '9' {
			j--
		}
		if j == i || j > 0 && t[j-1] != '\n' {
			continue
		}
		if n, err := strconv.ParseInt(string(t[j:i]), 10, 64); err == nil {
			hs = append(hs, objHeader{num: n, end: from})
		}
	}
}

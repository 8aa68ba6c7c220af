package pdf

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// pdfDocHigh maps PDFDocEncoding bytes 0x18-0x1F and 0x80-0xA0 to Unicode
// (ISO 32000-2, Annex D); the other bytes are Latin-1, and 0x7F, 0x9F and
// 0xAD are undefined.
var pdfDocHigh = map[byte]rune{
	0x18: '\u02D8', 0x19: '\u02C7', 0x1A: '\u02C6', 0x1B: '\u02D9',
	0x1C: '\u02DD', 0x1D: '\u02DB', 0x1E: '\u02DA', 0x1F: '\u02DC',
	0x80: '\u2022', 0x81: '\u2020', 0x82: '\u2021', 0x83: '\u2026',
	0x84: '\u2014', 0x85: '\u2013', 0x86: '\u0192', 0x87: '\u2044',
	0x88: '\u2039', 0x89: '\u203A', 0x8A: '\u2212', 0x8B: '\u2030',
	0x8C: '\u201E', 0x8D: '\u201C', 0x8E: '\u201D', 0x8F: '\u2018',
	0x90: '\u2019', 0x91: '\u201A', 0x92: '\u2122', 0x93: '\uFB01',
	0x94: '\uFB02', 0x95: '\u0141', 0x96: '\u0152', 0x97: '\u0160',
	0x98: '\u0178', 0x99: '\u017D', 0x9A: '\u0131', 0x9B: '\u0142',
	0x9C: '\u0153', 0x9D: '\u0161', 0x9E: '\u017E', 0xA0: '\u20AC',
}

// decodeText decodes a PDF text string: UTF-16BE with a byte order mark,
// UTF-8 with a byte order mark (PDF 2.0), or PDFDocEncoding.
func decodeText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == 0x7F || c == 0x9F || c == 0xAD:
			sb.WriteRune(utf8.RuneError)
		case (c >= 0x18 && c <= 0x1F) || (c >= 0x80 && c <= 0xA0):
			sb.WriteRune(pdfDocHigh[c])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// parseDate parses a PDF date, D:YYYYMMDDHHmmSSOHH'mm' with every part after
// the year optional. Apostrophes are optional and "Z" means UTC; a missing
// offset is read as UTC.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "D:")
	num := func(i, n, def, lo, hi int) (int, bool) {
		if len(s) < i+n {
			return def, len(s) <= i
		}
		v, err := strconv.Atoi(s[i : i+n])
		if err != nil || v < lo || v > hi {
			return 0, false
		}
		return v, true
	}
	year, ok := num(0, 4, 0, 0, 9999)
	if !ok || len(s) < 4 {
		return time.Time{}, false
	}
	var f [5]int
	defs := [5]int{1, 1, 0, 0, 0}
	his := [5]int{12, 31, 23, 59, 59}
	los := [5]int{1, 1, 0, 0, 0}
	i := 4
	for k := 0; k < 5; k++ {
		if len(s) <= i || s[i] < '0' || s[i] > '9' {
			for ; k < 5; k++ {
				f[k] = defs[k]
			}
			break
		}
		v, ok := num(i, 2, defs[k], los[k], his[k])
		if !ok {
			return time.Time{}, false
		}
		f[k] = v
		i += 2
	}
	loc := time.UTC
	if i < len(s) {
		switch s[i] {
		case 'Z', 'z':
		case '+', '-':
			sign := 1
			if s[i] == '-' {
				sign = -1
			}
			rest := strings.ReplaceAll(s[i+1:], "'", "")
			if len(rest) < 2 {
				return time.Time{}, false
			}
			hh, err := strconv.Atoi(rest[:2])
			if err != nil || hh > 23 {
				return time.Time{}, false
			}
			mm := 0
			if len(rest) >= 4 {
				mm, err = strconv.Atoi(rest[2:4])
				if err != nil || mm > 59 {
					return time.Time{}, false
				}
			}
			loc = time.FixedZone("", sign*(hh*3600+mm*60))
		default:
			return time.Time{}, false
		}
	}
	t := time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, loc)
	if t.Day() != f[1] { // e.g. February 30
		return time.Time{}, false
	}
	return t, true
}

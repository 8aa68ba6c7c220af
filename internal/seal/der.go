package seal

// A small lenient DER reader. Seals from real systems deviate from DER in ways that strict
// parsers (encoding/asn1, cryptobyte) reject, yet the bytes that were signed are still
// well-defined. This reader accepts the known deviations, records each one as a quirk, and keeps
// every element's bytes exactly as received, so signatures are always checked over the input and
// never over a re-encoding.

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Identifier octets (class, constructed bit and tag number in one byte; low tag numbers only).
const (
	tagBoolean         = 0x01
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagOID             = 0x06
	tagUTF8String      = 0x0c
	tagPrintableString = 0x13
	tagT61String       = 0x14
	tagIA5String       = 0x16
	tagUTCTime         = 0x17
	tagGeneralizedTime = 0x18
	tagVisibleString   = 0x1a
	tagBMPString       = 0x1e
	tagSequence        = 0x30
	tagContext0        = 0xa0 // [0] constructed (EXPLICIT)
	tagContext0Prim    = 0x80 // [0] primitive (IMPLICIT over a primitive type)
)

// quirks collects the leniencies applied while reading one structure, without duplicates.
type quirks struct{ list []string }

func (q *quirks) add(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, have := range q.list {
		if have == s {
			return
		}
	}
	q.list = append(q.list, s)
}

// tlv is one element: its identifier octet, its content, and its full encoding as received.
type tlv struct {
	tag  byte
	body []byte
	raw  []byte
}

// readTLV reads one element from the front of in. It accepts non-minimal long-form lengths (with
// a quirk) and rejects indefinite lengths, high tag numbers and lengths past the end of input.
func readTLV(in []byte, q *quirks, where string) (tlv, []byte, error) {
	if len(in) < 2 {
		return tlv{}, nil, errorf(Malformed, "%s: truncated element", where)
	}
	tag := in[0]
	if tag&0x1f == 0x1f {
		return tlv{}, nil, errorf(Malformed, "%s: high tag numbers are not used by seal structures", where)
	}
	lenByte := in[1]
	header := 2
	var length uint64
	switch {
	case lenByte < 0x80:
		length = uint64(lenByte)
	case lenByte == 0x80:
		return tlv{}, nil, errorf(Malformed, "%s: indefinite length (BER) is not supported", where)
	default:
		n := int(lenByte & 0x7f)
		if n > 4 {
			return tlv{}, nil, errorf(Malformed, "%s: length field of %d bytes", where, n)
		}
		if len(in) < 2+n {
			return tlv{}, nil, errorf(Malformed, "%s: truncated length", where)
		}
		for _, b := range in[2 : 2+n] {
			length = length<<8 | uint64(b)
		}
		header += n
		if in[2] == 0 || length < 0x80 {
			q.add("%s: non-minimal length encoding (not DER)", where)
		}
	}
	if length > uint64(len(in)-header) {
		return tlv{}, nil, errorf(Malformed, "%s: element length %d exceeds the %d bytes available", where, length, len(in)-header)
	}
	end := header + int(length)
	return tlv{tag: tag, body: in[header:end], raw: in[:end]}, in[end:], nil
}

// sequence checks that t is a SEQUENCE and returns its elements.
func sequence(t tlv, q *quirks, where string) ([]tlv, error) {
	if t.tag != tagSequence {
		return nil, errorf(Malformed, "%s: expected SEQUENCE, found tag 0x%02x", where, t.tag)
	}
	var out []tlv
	rest := t.body
	for len(rest) > 0 {
		var e tlv
		var err error
		e, rest, err = readTLV(rest, q, fmt.Sprintf("%s[%d]", where, len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// parseTop reads a whole input that must be one SEQUENCE. Bytes after it are ignored with a quirk.
func parseTop(der []byte, q *quirks, where string) (tlv, []tlv, error) {
	if len(der) == 0 {
		return tlv{}, nil, errorf(Malformed, "%s: empty input", where)
	}
	t, rest, err := readTLV(der, q, where)
	if err != nil {
		return tlv{}, nil, err
	}
	if len(rest) > 0 {
		q.add("%s: %d bytes after the structure ignored", where, len(rest))
	}
	kids, err := sequence(t, q, where)
	return t, kids, err
}

// intValue reads a small non-negative INTEGER. An integer whose top bit is set (so DER reads it
// as negative) is taken as unsigned, since producers that forget the leading zero byte mean that.
func intValue(t tlv, q *quirks, where string) (int, error) {
	if t.tag != tagInteger {
		return 0, errorf(Malformed, "%s: expected INTEGER, found tag 0x%02x", where, t.tag)
	}
	b := t.body
	if len(b) == 0 {
		return 0, errorf(Malformed, "%s: empty INTEGER", where)
	}
	if len(b) > 1 && (b[0] == 0 && b[1] < 0x80 || b[0] == 0xff && b[1] >= 0x80) {
		q.add("%s: INTEGER with redundant leading bytes (not DER)", where)
	}
	if b[0] >= 0x80 {
		q.add("%s: INTEGER without its leading zero byte (reads as negative), taken as unsigned", where)
	}
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 4 {
		return 0, errorf(Malformed, "%s: INTEGER too large", where)
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	if v > math.MaxInt32 {
		return 0, errorf(Malformed, "%s: INTEGER too large", where)
	}
	return int(v), nil
}

func octets(t tlv, where string) ([]byte, error) {
	if t.tag != tagOctetString {
		return nil, errorf(Malformed, "%s: expected OCTET STRING, found tag 0x%02x", where, t.tag)
	}
	return t.body, nil
}

// bitStringBody returns the bytes of a BIT STRING's content (after the unused-bits octet). A
// non-zero unused-bits count is recorded and the bytes are taken whole: every producer seen
// that sets it still means the full octets.
func bitStringBody(body []byte, q *quirks, where string) ([]byte, error) {
	if len(body) == 0 {
		return nil, errorf(Malformed, "%s: empty BIT STRING", where)
	}
	unused := body[0]
	if unused > 7 {
		return nil, errorf(Malformed, "%s: BIT STRING with %d unused bits", where, unused)
	}
	if unused != 0 {
		if len(body) == 1 {
			return nil, errorf(Malformed, "%s: BIT STRING with unused bits but no content", where)
		}
		q.add("%s: BIT STRING declares %d unused bits; its octets are used whole", where, unused)
	}
	return body[1:], nil
}

func bitString(t tlv, q *quirks, where string) ([]byte, error) {
	if t.tag != tagBitString {
		return nil, errorf(Malformed, "%s: expected BIT STRING, found tag 0x%02x", where, t.tag)
	}
	return bitStringBody(t.body, q, where)
}

// oidValue decodes an OBJECT IDENTIFIER to dotted form.
func oidValue(t tlv, where string) (string, error) {
	if t.tag != tagOID {
		return "", errorf(Malformed, "%s: expected OBJECT IDENTIFIER, found tag 0x%02x", where, t.tag)
	}
	b := t.body
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return "", errorf(Malformed, "%s: bad OBJECT IDENTIFIER encoding", where)
	}
	var arcs []uint64
	var v uint64
	for i, c := range b {
		if v == 0 && c == 0x80 && (i == 0 || b[i-1]&0x80 == 0) {
			return "", errorf(Malformed, "%s: non-minimal OBJECT IDENTIFIER arc", where)
		}
		if v > math.MaxUint64>>7 {
			return "", errorf(Malformed, "%s: OBJECT IDENTIFIER arc too large", where)
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			arcs = append(arcs, v)
			v = 0
		}
	}
	var sb strings.Builder
	first := arcs[0]
	switch {
	case first < 40:
		sb.WriteString("0." + strconv.FormatUint(first, 10))
	case first < 80:
		sb.WriteString("1." + strconv.FormatUint(first-40, 10))
	default:
		sb.WriteString("2." + strconv.FormatUint(first-80, 10))
	}
	for _, a := range arcs[1:] {
		sb.WriteString("." + strconv.FormatUint(a, 10))
	}
	return sb.String(), nil
}

// stringValue reads a character string. want is the type the standard names; the other string
// types are accepted with a quirk. Text that is not UTF-8 is decoded as GB18030 (the encoding of
// Chinese Windows systems), trailing NUL padding is removed, and UTF-8 text that was once
// mis-decoded as GBK and re-encoded (double encoding) is repaired; each with a quirk.
func stringValue(t tlv, q *quirks, where string, want byte) (string, error) {
	var s string
	switch t.tag {
	case tagIA5String, tagUTF8String, tagPrintableString, tagVisibleString, tagT61String:
		s = decodeText(t.body, q, where)
	case tagBMPString:
		if len(t.body)%2 != 0 {
			return "", errorf(Malformed, "%s: BMPString of odd length", where)
		}
		u := make([]uint16, len(t.body)/2)
		for i := range u {
			u[i] = uint16(t.body[2*i])<<8 | uint16(t.body[2*i+1])
		}
		s = string(utf16.Decode(u))
	default:
		return "", errorf(Malformed, "%s: expected a character string, found tag 0x%02x", where, t.tag)
	}
	if t.tag != want {
		q.add("%s: %s where the standard says %s", where, stringTypeName(t.tag), stringTypeName(want))
	}
	if want != tagUTF8String && t.tag != tagBMPString {
		for i := 0; i < len(t.body); i++ {
			if t.body[i] >= 0x80 {
				q.add("%s: non-ASCII bytes in an ASCII string type", where)
				break
			}
		}
	}
	trimmed := strings.TrimRight(s, "\x00")
	if len(trimmed) != len(s) {
		q.add("%s: trailing NUL padding removed", where)
		s = trimmed
	}
	if fixed, ok := repairDoubleEncoding(s); ok {
		q.add("%s: UTF-8 text that had been mis-decoded as GBK and re-encoded; repaired from %q", where, s)
		s = fixed
	}
	return s, nil
}

func stringTypeName(tag byte) string {
	switch tag {
	case tagIA5String:
		return "IA5String"
	case tagUTF8String:
		return "UTF8String"
	case tagPrintableString:
		return "PrintableString"
	case tagVisibleString:
		return "VisibleString"
	case tagT61String:
		return "TeletexString"
	case tagBMPString:
		return "BMPString"
	}
	return fmt.Sprintf("tag 0x%02x", tag)
}

// decodeText returns b as a Go string: UTF-8 as is, anything else decoded as GB18030.
func decodeText(b []byte, q *quirks, where string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	// The decoder replaces what GB18030 cannot decode with U+FFFD rather than failing.
	dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err == nil && utf8.Valid(dec) && !bytes.ContainsRune(dec, utf8.RuneError) {
		q.add("%s: text is not UTF-8; decoded as GB18030", where)
		return string(dec)
	}
	q.add("%s: text is neither UTF-8 nor GB18030; invalid bytes replaced", where)
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// repairDoubleEncoding undoes one round of "UTF-8 bytes decoded as GBK, then encoded as UTF-8".
// It only fires when re-encoding s as GB18030 yields valid UTF-8 that differs from s and holds
// multi-byte characters: GB18030 encodings of genuine Chinese text are almost never valid UTF-8.
func repairDoubleEncoding(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return "", false
	}
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil || !utf8.Valid(b) || bytes.Equal(b, []byte(s)) {
		return "", false
	}
	fixed := string(b)
	if utf8.RuneCountInString(fixed) >= utf8.RuneCountInString(s) || strings.ContainsRune(fixed, utf8.RuneError) {
		return "", false
	}
	return fixed, true
}

// chinaStandardTime is the zone Chinese producers mean when a time carries no zone designator.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

// timeValue reads a GeneralizedTime or UTCTime (want names the one the standard uses).
func timeValue(t tlv, q *quirks, where string, want byte) (time.Time, error) {
	if t.tag != tagGeneralizedTime && t.tag != tagUTCTime {
		return time.Time{}, errorf(Malformed, "%s: expected a time, found tag 0x%02x", where, t.tag)
	}
	if t.tag != want {
		q.add("%s: %s where the standard says %s", where, timeTypeName(t.tag), timeTypeName(want))
	}
	return parseASN1Time(string(t.body), t.tag == tagUTCTime, q, where)
}

func timeTypeName(tag byte) string {
	if tag == tagUTCTime {
		return "UTCTime"
	}
	return "GeneralizedTime"
}

// parseASN1Time parses YYYYMMDDHH[MM[SS[.f]]][Z|±hhmm] (GeneralizedTime) or YYMMDDHHMM[SS][Z|±hhmm]
// (UTCTime). A time without a zone is read as China Standard Time (UTC+8), with a quirk: in ASN.1
// it means local time, and every such file examined was written in China.
func parseASN1Time(s string, utc bool, q *quirks, where string) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, errorf(Malformed, "%s: unreadable time %q", where, s)
	}
	digits := func(n int) (int, bool) {
		if len(s) < n {
			return 0, false
		}
		v := 0
		for i := 0; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		s = s[n:]
		return v, true
	}
	orig := s
	var year int
	var ok bool
	if utc {
		if year, ok = digits(2); !ok {
			return bad()
		}
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	} else if year, ok = digits(4); !ok {
		return bad()
	}
	month, ok1 := digits(2)
	day, ok2 := digits(2)
	hour, ok3 := digits(2)
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	minute, sec, nsec := 0, 0, 0
	if m, ok := digits(2); ok {
		minute = m
		if sv, ok := digits(2); ok {
			sec = sv
		} else {
			q.add("%s: time without seconds", where)
		}
	} else if utc {
		return bad()
	} else {
		q.add("%s: time without minutes", where)
	}
	if len(s) > 0 && (s[0] == '.' || s[0] == ',') {
		if utc {
			return bad()
		}
		s = s[1:]
		n := 0
		scale := 1_000_000_000
		for len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
			if n < 9 {
				scale /= 10
				nsec += int(s[0]-'0') * scale
			}
			n++
			s = s[1:]
		}
		if n == 0 {
			return bad()
		}
	}
	loc := time.UTC
	switch {
	case s == "Z":
	case s == "":
		q.add("%s: time %q without zone, read as China Standard Time (UTC+8)", where, orig)
		loc = chinaStandardTime
	case len(s) == 5 && (s[0] == '+' || s[0] == '-'):
		sign := 1
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
		oh, ok1 := digits(2)
		om, ok2 := digits(2)
		if !ok1 || !ok2 || oh > 14 || om > 59 {
			return bad()
		}
		q.add("%s: time with a UTC offset instead of Z (not DER)", where)
		loc = time.FixedZone("", sign*(oh*3600+om*60))
	default:
		return bad()
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return bad()
	}
	tm := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if tm.Day() != day {
		return bad()
	}
	return tm.UTC(), nil
}

// restoreTrimmedSignature undoes a producer bug seen in real signatures: writing a BIT STRING as
// a named bit list, which drops trailing zero bits and with them whole trailing zero octets, so
// a DER signature value ending in 0x00 arrives a byte short. When the value's own SEQUENCE
// header declares a few more bytes than are present, the missing octets can only have been
// zeros; they are restored with a quirk. Longer shortfalls are left alone (truly truncated).
// signatureValue reads a signature value BIT STRING: its octets, with a trimmed r‖s restored
// and a non-DER encoding noted (both quirks).
func signatureValue(t tlv, q *quirks, where string) ([]byte, error) {
	v, err := bitString(t, q, where)
	if err != nil {
		return nil, err
	}
	v = restoreTrimmedSignature(v, q, where)
	noteSignatureEncoding(v, q, where)
	return v, nil
}

// dataHash reads a dataHash BIT STRING: its octets, with a trimmed digest restored (a quirk).
func dataHash(t tlv, q *quirks, where string) ([]byte, error) {
	v, err := bitString(t, q, where)
	if err != nil {
		return nil, err
	}
	return restoreTrimmedDigest(v, q, where), nil
}

func restoreTrimmedSignature(v []byte, q *quirks, where string) []byte {
	if len(v) < 2 || v[0] != tagSequence || v[1] >= 0x80 {
		return v
	}
	declared := 2 + int(v[1])
	missing := declared - len(v)
	if missing < 1 || missing > 4 {
		return v
	}
	q.add("%s: %d trailing zero octet(s) missing (BIT STRING written as a named bit list); restored", where, missing)
	return append(append([]byte(nil), v...), make([]byte, missing)...)
}

// restoreTrimmedDigest does the same for a 32-byte digest (SM3) that lost trailing zero octets.
func restoreTrimmedDigest(v []byte, q *quirks, where string) []byte {
	const sm3Size = 32
	if len(v) < sm3Size-4 || len(v) >= sm3Size {
		return v
	}
	missing := sm3Size - len(v)
	q.add("%s: %d bytes, %d short of an SM3 digest; trailing zero octet(s) restored (BIT STRING written as a named bit list)", where, len(v), missing)
	return append(append([]byte(nil), v...), make([]byte, missing)...)
}

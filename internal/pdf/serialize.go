package pdf

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
)

// The serializer writes objects of the reader's model back as PDF syntax, for the incremental
// updates this package writes (update.go). It is exact where it matters: a string is written
// as a hex string of exactly its bytes (so text in any language, or a binary /ID, cannot break
// the syntax), a name with every byte outside the regular printable characters #-escaped, a
// real without an exponent. Whatever it writes reads back equal (FuzzSerialize).

// appendValue appends the PDF syntax of o.
func appendValue(b []byte, o object) ([]byte, error) {
	switch x := o.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b, fmt.Errorf("pdf: cannot write the number %v", x)
		}
		return appendReal(b, x), nil
	case name:
		return appendName(b, x), nil
	case ref:
		return fmt.Appendf(b, "%d %d R", x.num, x.gen), nil
	case pdfString:
		if x.long > 0 {
			return b, fmt.Errorf("pdf: cannot copy a string of %d bytes that was not kept", x.long)
		}
		return appendHexString(b, x.b), nil
	case array:
		b = append(b, '[')
		for i, v := range x {
			if i > 0 {
				b = append(b, ' ')
			}
			var err error
			if b, err = appendValue(b, v); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case dict:
		b = append(b, "<<"...)
		for _, k := range sortedKeys(x) {
			b = append(b, ' ')
			b = appendName(b, k)
			b = append(b, ' ')
			var err error
			if b, err = appendValue(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, " >>"...), nil
	case *stream:
		return b, fmt.Errorf("pdf: a stream cannot be written inside another object")
	}
	return b, fmt.Errorf("pdf: cannot write a %T", o)
}

// appendReal writes a real in plain decimal notation (PDF has no exponents).
func appendReal(b []byte, f float64) []byte {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if s == "-0" {
		s = "0"
	}
	b = append(b, s...)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return b
		}
	}
	return append(b, ".0"...) // keep it a real, not an integer
}

// appendName writes /name with every byte that is not a regular printable character escaped.
func appendName(b []byte, n name) []byte {
	b = append(b, '/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || !isRegular(c) {
			b = fmt.Appendf(b, "#%02X", c)
			continue
		}
		b = append(b, c)
	}
	return b
}

func appendHexString(b []byte, s []byte) []byte {
	b = append(b, '<')
	b = hex.AppendEncode(b, s)
	return append(b, '>')
}

// TextString encodes s as a PDF text string: PDFDocEncoding's ASCII subset when it is plain
// printable ASCII, else UTF-16BE with its byte order mark.
func TextString(s string) []byte {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return []byte(s)
	}
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xFE, 0xFF
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return out
}

package sign

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"unicode/utf16"
)

// pdfTextString encodes s as a PDF hexadecimal text string: PDFDocEncoding (which is ASCII
// for printable ASCII) when s is printable ASCII, else UTF-16BE with a byte order mark.
// A hex string needs no escaping, so no byte of a Chinese name (用 is U+7528: 0x75 0x28)
// can be taken for a parenthesis or backslash.
func pdfTextString(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		return "<" + strings.ToUpper(hex.EncodeToString([]byte(s))) + ">"
	}
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2+2*len(units))
	b = append(b, 0xFE, 0xFF)
	for _, u := range units {
		b = append(b, byte(u>>8), byte(u))
	}
	return "<" + strings.ToUpper(hex.EncodeToString(b)) + ">"
}

// textPlaceholder is an entry of the signature dictionary that pdfsign writes as an ASCII
// literal string and that is overwritten, at the same length, with the real hex string
// before the document is hashed.
type textPlaceholder struct {
	key    string // "Name", "Reason", ...
	token  string // what pdfsign is given: printable ASCII, unique, nothing to escape
	final  string // what replaces "(" + token + ")": the hex string padded with spaces
	actual string
}

// minPlaceholder keeps tokens long enough to be unique in the signature dictionary.
const minPlaceholder = 32

func newTextPlaceholder(key, value string) (textPlaceholder, error) {
	enc := pdfTextString(value)
	n := max(len(enc), minPlaceholder)
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return textPlaceholder{}, err
	}
	token := "eseal-" + key + "-" + hex.EncodeToString(rnd[:]) + "-"
	token += strings.Repeat("x", max(0, n-2-len(token)))
	// The token, wrapped in ( ), must be exactly as long as the padded hex string.
	final := enc + strings.Repeat(" ", len(token)+2-len(enc))
	return textPlaceholder{key: key, token: token, final: final, actual: value}, nil
}

package smcrypto

import (
	"errors"
	"fmt"
)

// BER to DER conversion. CMS producers that stream (Java, BouncyCastle, some Chinese vendors)
// write indefinite lengths and constructed OCTET STRINGs; cryptobyte reads DER only. The
// converter changes only the encoding of lengths and of constructed strings: it never sorts SET
// OF elements, so bytes that were already DER (the signed attributes, as a signer must write
// them) come out exactly as they went in.

// maxBERDepth bounds recursion; real CMS nests about 12 levels.
const maxBERDepth = 64

var errBERTruncated = errors.New("truncated BER element")

type berHeader struct {
	id          byte
	constructed bool
	length      int
	indefinite  bool
	hdrLen      int
	minimal     bool // definite length in the shortest form
}

func parseBERHeader(in []byte) (h berHeader, err error) {
	if len(in) < 2 {
		return h, errBERTruncated
	}
	h.id = in[0]
	h.constructed = h.id&0x20 != 0
	if h.id&0x1f == 0x1f {
		return h, errors.New("BER high tag numbers are not supported")
	}
	lb := in[1]
	switch {
	case lb < 0x80:
		h.length, h.hdrLen, h.minimal = int(lb), 2, true
	case lb == 0x80:
		if !h.constructed {
			return h, errors.New("BER indefinite length on a primitive element")
		}
		h.indefinite, h.hdrLen = true, 2
		return h, nil
	default:
		n := int(lb & 0x7f)
		if n > 4 {
			return h, errors.New("BER length too large")
		}
		if len(in) < 2+n {
			return h, errBERTruncated
		}
		var l uint64
		for _, b := range in[2 : 2+n] {
			l = l<<8 | uint64(b)
		}
		h.hdrLen = 2 + n
		h.minimal = in[2] != 0 && l >= 0x80
		if l > uint64(len(in)-h.hdrLen) {
			return h, errBERTruncated
		}
		h.length = int(l)
	}
	if h.hdrLen+h.length > len(in) {
		return h, errBERTruncated
	}
	return h, nil
}

// isUniversalString reports universal string types that DER requires to be primitive.
func isUniversalString(id byte) bool {
	if id&0xc0 != 0 {
		return false
	}
	switch id & 0x1f {
	case 3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29, 30:
		return true
	}
	return false
}

// derElementLen returns the length of the element at the start of in if it is DER as far as
// lengths and string constructions go (the part of DER that berToDER fixes).
func derElementLen(in []byte, depth int) (int, bool) {
	if depth > maxBERDepth {
		return 0, false
	}
	h, err := parseBERHeader(in)
	if err != nil || h.indefinite || !h.minimal || h.id == 0 {
		return 0, false
	}
	end := h.hdrLen + h.length
	if h.constructed {
		if isUniversalString(h.id) {
			return 0, false
		}
		for pos := h.hdrLen; pos < end; {
			n, ok := derElementLen(in[pos:end], depth+1)
			if !ok {
				return 0, false
			}
			pos += n
		}
	}
	return end, true
}

// berToDER reads one BER element at the start of in and returns it as DER, the bytes after it,
// and whether the encoding had to change. When nothing changes, der is a sub-slice of in.
func berToDER(in []byte) (der, rest []byte, changed bool, err error) {
	if n, ok := derElementLen(in, 0); ok {
		return in[:n:n], in[n:], false, nil
	}
	out, n, err := convertBER(in, 0)
	if err != nil {
		return nil, nil, false, fmt.Errorf("BER: %w", err)
	}
	return out, in[n:], true, nil
}

func convertBER(in []byte, depth int) (out []byte, consumed int, err error) {
	if depth > maxBERDepth {
		return nil, 0, errors.New("nested too deeply")
	}
	h, err := parseBERHeader(in)
	if err != nil {
		return nil, 0, err
	}
	if h.id == 0 {
		return nil, 0, errors.New("unexpected end-of-contents")
	}
	if !h.constructed {
		end := h.hdrLen + h.length
		return appendElement(nil, h.id, in[h.hdrLen:end]), end, nil
	}
	end := len(in)
	if !h.indefinite {
		end = h.hdrLen + h.length
	}
	var children [][]byte
	pos := h.hdrLen
	for {
		if h.indefinite {
			if pos+2 <= end && in[pos] == 0 && in[pos+1] == 0 {
				pos += 2
				break
			}
			if pos >= end {
				return nil, 0, errors.New("missing end-of-contents")
			}
		} else if pos == end {
			break
		}
		child, n, err := convertBER(in[pos:end], depth+1)
		if err != nil {
			return nil, 0, err
		}
		children = append(children, child)
		pos += n
	}
	if isUniversalString(h.id) {
		content, err := joinStringSegments(h.id&0x1f, children)
		if err != nil {
			return nil, 0, err
		}
		return appendElement(nil, h.id&^0x20, content), pos, nil
	}
	size := 0
	for _, c := range children {
		size += len(c)
	}
	out = appendHeader(make([]byte, 0, size+6), h.id, size)
	for _, c := range children {
		out = append(out, c...)
	}
	return out, pos, nil
}

// joinStringSegments concatenates the (already DER, so primitive) segments of a constructed
// string; a BIT STRING keeps one unused-bits octet, which only its last segment may set.
func joinStringSegments(tag byte, segments [][]byte) ([]byte, error) {
	var content []byte
	if tag == 3 {
		content = []byte{0}
	}
	for i, seg := range segments {
		h, err := parseBERHeader(seg)
		if err != nil {
			return nil, err
		}
		if h.id != tag {
			return nil, fmt.Errorf("constructed string of type %d has a segment of type %d", tag, h.id)
		}
		body := seg[h.hdrLen:]
		if tag == 3 {
			if len(body) == 0 || body[0] > 7 || (body[0] != 0 && i != len(segments)-1) {
				return nil, errors.New("bad BIT STRING segment")
			}
			content[0] = body[0]
			body = body[1:]
		}
		content = append(content, body...)
	}
	return content, nil
}

func appendHeader(out []byte, id byte, length int) []byte {
	out = append(out, id)
	switch {
	case length < 0x80:
		return append(out, byte(length))
	case length <= 0xff:
		return append(out, 0x81, byte(length))
	case length <= 0xffff:
		return append(out, 0x82, byte(length>>8), byte(length))
	case length <= 0xffffff:
		return append(out, 0x83, byte(length>>16), byte(length>>8), byte(length))
	default:
		return append(out, 0x84, byte(length>>24), byte(length>>16), byte(length>>8), byte(length))
	}
}

func appendElement(out []byte, id byte, content []byte) []byte {
	out = appendHeader(out, id, len(content))
	return append(out, content...)
}

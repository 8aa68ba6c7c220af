package testpdf

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// ManySignatures is a one-revision PDF with n signature fields whose dictionaries all come
// before a filler stream of fillerSize bytes. Each ByteRange [0 a b size-b] covers the entire
// file, and each signature's own bytes (those after its /Contents) are nearly the whole file:
// a verifier that hashes each signature on its own hashes the file n times. Every /Contents
// holds cms (whatever it signed). It is the shape of a denial-of-service document, for tests of
// the verifier's work bounds.
func ManySignatures(n int, fillerSize int, cms []byte) []byte {
	contents := strings.ToUpper(hex.EncodeToString(cms))
	w := NewWriter()
	fields := make([]string, n)
	for i := range n {
		fields[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	w.Obj(1, fmt.Sprintf("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>", strings.Join(fields, " ")))
	w.Obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.Obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Annots [%s] >>", strings.Join(fields, " ")))
	for i := range n {
		w.Obj(5+2*i, fmt.Sprintf("<< /FT /Sig /T (Sig%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V %d 0 R >>", i+1, 6+2*i))
		w.Obj(6+2*i, fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> /M (D:20261127120000Z) >>", contents))
	}
	w.Stream(4, "", strings.Repeat("%", fillerSize))
	w.EndRevision()
	data := w.Buf.Bytes()
	size := len(data)
	const placeholder = "[0 0000000000 0000000000 0000000000] /Contents <"
	for at := 0; ; {
		i := bytes.Index(data[at:], []byte(placeholder))
		if i < 0 {
			break
		}
		i += at
		a := i + len(placeholder) - 1
		e := a + 2 + len(contents)
		copy(data[i:], fmt.Sprintf("[0 %010d %010d %010d]", a, e, size-e))
		at = e
	}
	return data
}

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
	var b bytes.Buffer
	offs := make([]int, 4+2*n)
	obj := func(num int, body string) {
		offs[num-1] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	fields := make([]string, n)
	for i := range n {
		fields[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj(1, fmt.Sprintf("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /SigFlags 3 >> >>", strings.Join(fields, " ")))
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Annots [%s] >>", strings.Join(fields, " ")))
	for i := range n {
		obj(5+2*i, fmt.Sprintf("<< /FT /Sig /T (Sig%d) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 132 /P 3 0 R /V %d 0 R >>", i+1, 6+2*i))
		obj(6+2*i, fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0000000000 0000000000 0000000000] /Contents <%s> /M (D:20261127120000Z) >>", contents))
	}
	obj(4, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", fillerSize, strings.Repeat("%", fillerSize)))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	data := b.Bytes()
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

package api

import (
	"bytes"
	"net/http/httptest"
	"os"
	"testing"
)

// FuzzReadForm: any multipart body gives a form or a refusal, never a panic, and leaves no
// temporary file behind once closed; the document never exceeds the limit.
func FuzzReadForm(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"seal\"\r\n\r\n33010000000001\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\r\n--b--\r\n"))
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"signature\"; filename=\"s\"\r\n\r\n0\x82\x01\x00\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--b--\r\n"))
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"))
	f.Add([]byte("--b--\r\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, opts := range []formOptions{{}, {binary: map[string]int64{"signature": 64}, documentUnless: "signature"}} {
			r := httptest.NewRequest("POST", "/v1/sign", bytes.NewReader(body))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
			form, err := readForm(r, dir, 1024, opts)
			if err == nil {
				if form.upload == nil || form.size > 1024 || form.size <= 0 {
					t.Fatalf("a form with document size %d", form.size)
				}
				for name, v := range form.binary {
					if int64(len(v)) > opts.binary[name] {
						t.Fatalf("field %s of %d bytes", name, len(v))
					}
				}
				form.Close()
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
		}
	})
}

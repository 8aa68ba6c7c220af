package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"strings"
	"testing"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/verify"
)

type batchFile struct {
	name string
	data []byte
}

func batchForm(t *testing.T, fields map[string]string, files ...batchFile) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := mw.CreateFormFile("file", f.name)
		fw.Write(f.data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// TestSignBatchRoute: a batch of licences (PDFs with distinct numbers, an OFD, one damaged file)
// comes back as a zip whose signed documents all verify and whose manifest says why the bad one
// was not signed; every signed one is recorded once, under the caller's token.
func TestSignBatchRoute(t *testing.T) {
	tempDir := t.TempDir()
	p := newPrivileged(t, Config{TempDir: tempDir})
	if _, err := p.store.SetPublicURL("https://zwfw.example.gov.cn/eseal"); err != nil {
		t.Fatal(err)
	}
	var files []batchFile
	for i := range 5 {
		l := testpdf.DefaultLicence
		l.Number = fmt.Sprintf("330100-2026-%06d", 900+i)
		files = append(files, batchFile{fmt.Sprintf("许可证%d.pdf", i), l.Bytes()})
	}
	files = append(files, batchFile{"许可证.ofd", testofd.DefaultLicence.Bytes()}, batchFile{"损坏.pdf", []byte("%PDF-1.7\nnot really")})
	body, ct := batchForm(t, map[string]string{"seal": p.esID, "timestamp": "false", "qr": "true"}, files...)
	resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign/batch", ct, body)
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Eseal-Batch-Signed") != "6" || resp.Header.Get("Eseal-Batch-Failed") != "1" {
		t.Fatalf("batch: %d %v %.300s", resp.StatusCode, resp.Header, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Signed, Failed int
		Documents      []batchItem
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "manifest.json" {
			if err := json.Unmarshal(b, &manifest); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got[strings.TrimPrefix(f.Name, "signed/")] = b
	}
	if len(got) != 6 || manifest.Signed != 6 || manifest.Failed != 1 || len(manifest.Documents) != 7 {
		t.Fatalf("zip: %d documents, manifest %+v", len(got), manifest)
	}
	codes := map[string]bool{}
	for _, d := range manifest.Documents {
		switch {
		case d.Name == "损坏.pdf":
			if d.Status != "failed" || !strings.Contains(d.Error, "PDF") {
				t.Errorf("the damaged file: %+v", d)
			}
		case d.Status != "signed" || len(d.Code) != 16 || !strings.HasPrefix(d.Link, "https://zwfw.example.gov.cn/eseal/v/") || got[d.Name] == nil:
			t.Errorf("document %+v", d)
		default:
			codes[d.Code] = true
			if rep := verifyBytes(t, p.srv.URL, got[d.Name]); rep.Indication != verify.TotalPassed {
				t.Errorf("%s: %s", d.Name, rep.Indication)
			}
			rec, err := p.store.IssuanceByCode(d.Code)
			if err != nil || rec.Document != d.Name || rec.ID != d.Digest {
				t.Errorf("%s: registry %+v %v", d.Name, rec, err)
			}
		}
	}
	if len(codes) != 6 {
		t.Errorf("%d distinct codes for 6 documents", len(codes))
	}
	log, _ := p.store.AuditLog()
	n := 0
	for _, r := range log {
		if r.Action == "issuance" && strings.HasPrefix(r.Actor, "token:issuer") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d issuances audited under the issuer's token, want 6", n)
	}
	if left, _ := os.ReadDir(tempDir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestSignBatchRouteErrors: a batch that cannot run is refused whole, with a problem.
func TestSignBatchRouteErrors(t *testing.T) {
	p := newPrivileged(t, Config{MaxUploadBytes: 1 << 20})
	pdf := testpdf.DefaultLicence.Bytes()
	many := make([]batchFile, MaxBatchFiles+1)
	for i := range many {
		many[i] = batchFile{fmt.Sprintf("%d.pdf", i), []byte("%PDF-")}
	}
	for _, tc := range []struct {
		name   string
		fields map[string]string
		files  []batchFile
		status int
		code   string
	}{
		{"no seal", nil, []batchFile{{"a.pdf", pdf}}, 400, "bad_request"},
		{"no files", map[string]string{"seal": p.esID}, nil, 400, "bad_request"},
		{"a licence field", map[string]string{"seal": p.esID, "licence-id": "X-1"}, []batchFile{{"a.pdf", pdf}}, 400, "bad_request"},
		{"two alike names", map[string]string{"seal": p.esID}, []batchFile{{"a.pdf", pdf}, {"a.pdf", pdf}}, 400, "bad_request"},
		{"no file name", map[string]string{"seal": p.esID}, []batchFile{{"", pdf}}, 400, "bad_request"},
		{"too many", map[string]string{"seal": p.esID}, many, 400, "bad_request"},
		{"bad page", map[string]string{"seal": p.esID, "page": "x"}, []batchFile{{"a.pdf", pdf}}, 400, "bad_request"},
		{"bad qr", map[string]string{"seal": p.esID, "qr": "maybe"}, []batchFile{{"a.pdf", pdf}}, 400, "bad_request"},
		{"qr without a public URL", map[string]string{"seal": p.esID, "qr": "true"}, []batchFile{{"a.pdf", pdf}}, 409, "conflict"},
		{"unknown seal", map[string]string{"seal": "99999999999999"}, []batchFile{{"a.pdf", pdf}}, 404, "not_found"},
		{"together too large", map[string]string{"seal": p.esID}, []batchFile{{"a.pdf", bytes.Repeat([]byte("%PDF-"), 150_000)}, {"b.pdf", bytes.Repeat([]byte("%PDF-"), 150_000)}}, 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := batchForm(t, tc.fields, tc.files...)
			checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/sign/batch", ct, body), tc.status, tc.code)
		})
	}
	checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/sign/batch", "application/pdf", bytes.NewReader(pdf)), 415, "unsupported_media_type")
}

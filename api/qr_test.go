package api

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/internal/testpdf"
)

// TestQRLicence: an issuer signs a licence with qr=true; an independent decoder (zbarimg, on
// poppler's rendering of the page) reads the link from the printed code; following it opens the
// page, and the issuance it names shows the licence in force, then not in force after its
// revocation, then revoked after its seal's, without uploading anything.
func TestQRLicence(t *testing.T) {
	p := newPrivileged(t, Config{})
	body, ct := signForm(t, testpdf.DefaultLicence.Bytes(), "l.pdf", map[string]string{"seal": p.esID, "qr": "true"})
	checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body), 409, "conflict") // no public URL yet
	if _, err := p.store.SetPublicURL(p.srv.URL); err != nil {
		t.Fatal(err)
	}
	body, ct = signForm(t, testpdf.DefaultLicence.Bytes(), "l.pdf", map[string]string{"seal": p.esID, "qr": "true", "licence-id": "LOCAL-2026-0500", "holder": "杭州某某贸易有限公司"})
	resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
	signed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, link := resp.Header.Get("Eseal-Verification-Code"), resp.Header.Get("Eseal-Verification-Link")
	if resp.StatusCode != 200 || len(code) != 16 || link != p.srv.URL+"/v/"+code {
		t.Fatalf("sign with qr: %d, code %q, link %q", resp.StatusCode, code, link)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "l.pdf")
	os.WriteFile(pdfPath, signed, 0o644)
	for _, tool := range []string{"pdftoppm", "zbarimg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (the test command installs it)", tool)
		}
	}
	if out, err := exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", pdfPath, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	decoded, err := exec.Command("zbarimg", "--quiet", "--raw", filepath.Join(dir, "page.png")).Output()
	if err != nil || strings.TrimSpace(string(decoded)) != link {
		t.Fatalf("zbarimg read %q (%v), want %q", decoded, err, link)
	}

	// The link opens the page; the page asks the registry.
	page, err := http.Get(strings.TrimSpace(string(decoded)))
	if err != nil || page.StatusCode != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("following the link: %v %v", err, page)
	}
	page.Body.Close()
	standing := func() issuanceView {
		t.Helper()
		return decodeStatus[issuanceView](t, p.doJSON("", "GET", "/v1/issuances/"+code, ""), 200)
	}
	v := standing()
	if v.Standing != "in_force" || v.Licence == nil || v.Licence.Holder != "杭州某某贸易有限公司" || v.Seal.Name != "杭州市行政审批局行政审批专用章" ||
		len(v.Seal.Picture) == 0 || v.Region.Code != "330100" || v.Digest != resp.Header.Get("Eseal-Issuance") {
		t.Fatalf("in force: %+v", v)
	}
	if rep := verifyBytes(t, p.srv.URL, signed); rep.Indication != "TOTAL_PASSED" {
		t.Errorf("the licence with its QR code: %s", rep.Indication)
	}
	decodeStatus[certstore.LicenceRecord](t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/LOCAL-2026-0500/revoke", `{"reason":"未履行告知承诺","basis":"《行政许可法》第六十九条"}`), 200)
	if v := standing(); v.Standing != "not_in_force" || v.Licence.State != "revoked" || v.Licence.Reason != "未履行告知承诺" || strings.Join(v.Reasons, ",") != "licence_revoked" {
		t.Errorf("after the licence's revocation: %+v", v)
	}
	decodeStatus[certstore.SealRevocation](t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"`+p.esID+`","reason":"keyCompromise"}`), 200)
	if v := standing(); v.Standing != "revoked" || v.Seal.Revocation == nil || v.Seal.Revocation.Reason != "keyCompromise" {
		t.Errorf("after the seal's revocation: %+v", v)
	}
	checkProblem(t, p.doJSON("", "GET", "/v1/issuances/AAAAAAAAAAAAAAAA", ""), 404, "not_found")
	checkProblem(t, p.doJSON("", "GET", "/v1/issuances/"+strings.ToLower(code), ""), 404, "not_found")
}

// TestQRRefused: qr only on PDFs, and only true or false.
func TestQRRefused(t *testing.T) {
	p := newPrivileged(t, Config{})
	if _, err := p.store.SetPublicURL(p.srv.URL); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		doc    []byte
		fields map[string]string
	}{
		{"detached", []byte("材料"), map[string]string{"seal": p.esID, "qr": "true", "detached": "ses"}},
		{"OFD", testofd.DefaultLicence.Bytes(), map[string]string{"seal": p.esID, "qr": "true"}},
		{"bad value", testpdf.DefaultLicence.Bytes(), map[string]string{"seal": p.esID, "qr": "yes"}},
	} {
		body, ct := signForm(t, tc.doc, "x", tc.fields)
		if pr := checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body), 400, "bad_request"); !strings.Contains(pr.Detail, "qr") {
			t.Errorf("%s: %s", tc.name, pr.Detail)
		}
	}
	// Every signature gets a verification code, QR or not.
	body, ct := signForm(t, testpdf.DefaultLicence.Bytes(), "x.pdf", map[string]string{"seal": p.esID})
	resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if code := resp.Header.Get("Eseal-Verification-Code"); len(code) != 16 || !bytes.Contains([]byte(resp.Header.Get("Eseal-Verification-Link")), []byte(code)) {
		t.Errorf("no code without qr: %q %q", code, resp.Header.Get("Eseal-Verification-Link"))
	}
}

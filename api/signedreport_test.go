package api

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// TestSignedReport: ?signed=1 answers the report with a detached SM2 signature by the region
// root over the exact bytes of the body; our verifier and OpenSSL 3 accept it and refuse a body
// changed by one byte.
func TestSignedReport(t *testing.T) {
	srv, signedPDF, store := testServerStore(t, Config{})
	resp, err := http.Post(srv.URL+"/v1/verify?signed=1", "application/pdf", bytes.NewReader(signedPDF))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rep verify.Report
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Indication != verify.TotalPassed {
		t.Fatalf("signed report: %d %.300s", resp.StatusCode, body)
	}
	sig, err1 := base64.StdEncoding.DecodeString(resp.Header.Get("Eseal-Report-Signature"))
	rootDER, err2 := base64.StdEncoding.DecodeString(resp.Header.Get("Eseal-Report-Signer"))
	if err1 != nil || err2 != nil || len(sig) == 0 {
		t.Fatalf("headers: %v %v", err1, err2)
	}
	root, err := store.RootCertificate()
	if err != nil || !bytes.Equal(root.Raw, rootDER) {
		t.Fatalf("the signer is not the region root: %v", err)
	}
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		t.Fatal("the root's key is not an EC key")
	}
	if _, err := smcrypto.VerifySM2(pub, nil, body, sig); err != nil {
		t.Errorf("our verifier: %v", err)
	}
	changed := bytes.Replace(body, []byte("TOTAL_PASSED"), []byte("TOTAL_FAILED"), 1)
	if _, err := smcrypto.VerifySM2(pub, nil, changed, sig); err == nil {
		t.Error("a changed report verified")
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required (the test command installs it)")
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootPEM, sigFile := write("root.pem", smcrypto.EncodeCertificatePEM(root)), write("sig.der", sig)
	for _, tc := range []struct {
		body []byte
		ok   bool
	}{{body, true}, {changed, false}} {
		out, err := exec.Command(openssl, "pkeyutl", "-verify", "-certin", "-inkey", rootPEM, "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+smcrypto.DefaultSignerID, "-in", write("report.json", tc.body), "-sigfile", sigFile).CombinedOutput()
		if ok := err == nil && bytes.Contains(out, []byte("Signature Verified Successfully")); ok != tc.ok {
			t.Errorf("openssl pkeyutl -verify (want %v): %v\n%s", tc.ok, err, out)
		}
	}

	// Without ?signed, no signature; a bad value is a 400; a service without a signer, 404.
	resp, _ = http.Post(srv.URL+"/v1/verify", "application/pdf", bytes.NewReader(signedPDF))
	resp.Body.Close()
	if resp.Header.Get("Eseal-Report-Signature") != "" {
		t.Error("an unsigned request got a signature")
	}
	resp, _ = http.Post(srv.URL+"/v1/verify?signed=yes", "application/pdf", bytes.NewReader(signedPDF))
	checkProblem(t, resp, 400, "bad_request")
	bare := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()}))
	defer bare.Close()
	resp, _ = http.Post(bare.URL+"/v1/verify?signed=1", "application/pdf", bytes.NewReader(signedPDF))
	checkProblem(t, resp, 404, "not_found")
}

// TestVerifyLangAndPictures: ?lang adds the words for a person (Chinese: verdict, summary,
// 签发机关, an explanation per check) and ?pictures=1 the seal's picture and where it is; bad
// values are refused.
func TestVerifyLangAndPictures(t *testing.T) {
	srv, signedPDF := testServer(t, Config{})
	resp, err := http.Post(srv.URL+"/v1/verify?lang=zh&pictures=1", "application/pdf", bytes.NewReader(signedPDF))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Lang       string
		Signatures []struct {
			VerdictText, SummaryText, Issuer string
			Explanations                     []string
			Checks                           []json.RawMessage
			Rect, PageBox                    *[4]float64
			Seal                             struct {
				Picture struct {
					Type string
					Data []byte
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := rep.Signatures[0]
	if rep.Lang != "zh" || s.VerdictText != "有效" || !strings.HasPrefix(s.SummaryText, "有效：由印章“杭州市行政审批局行政审批专用章”") ||
		s.Issuer != "杭州市行政审批局" || len(s.Explanations) != len(s.Checks) || s.Explanations[2] != "文件自签章后未被修改" {
		t.Errorf("Chinese words: %+v", s)
	}
	if s.Seal.Picture.Type != "PNG" || !bytes.HasPrefix(s.Seal.Picture.Data, []byte("\x89PNG")) || s.Rect == nil || s.PageBox == nil || s.Rect[2] > s.PageBox[2] {
		t.Errorf("picture and place: %s %d bytes, rect %v, page %v", s.Seal.Picture.Type, len(s.Seal.Picture.Data), s.Rect, s.PageBox)
	}
	resp, _ = http.Post(srv.URL+"/v1/verify", "application/pdf", bytes.NewReader(signedPDF))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(body, []byte(`"verdictText"`)) || bytes.Contains(body, []byte(`"data"`)) {
		t.Error("words or pictures without asking")
	}
	for _, q := range []string{"lang=fr", "pictures=yes"} {
		resp, _ := http.Post(srv.URL+"/v1/verify?"+q, "application/pdf", bytes.NewReader(signedPDF))
		checkProblem(t, resp, 400, "bad_request")
	}
}

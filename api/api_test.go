package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/status"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// testServer wires a real store (region, seal) into the router, as `eseal serve` does, and returns
// the server and a PDF sealed with the store's seal.
func testServer(t *testing.T, cfg Config) (*httptest.Server, []byte) {
	t.Helper()
	srv, signed, _ := testServerStore(t, cfg)
	return srv, signed
}

// testServerStore is testServer that also returns the store behind the server.
func testServerStore(t *testing.T, cfg Config) (*httptest.Server, []byte, *certstore.Store) {
	t.Helper()
	store, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("api test")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		t.Fatal(err)
	}
	rec, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		t.Fatal(err)
	}
	key, sl, chain, err := store.SealSigner(rec.ESID)
	if err != nil {
		t.Fatal(err)
	}
	var signed bytes.Buffer
	if _, err := sign.SignPDF(bytes.NewReader(testpdf.DefaultLicence.Bytes()), &signed, sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}, sign.PDFOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg.Anchors, cfg.Revocation, cfg.Store, cfg.ReportSigner = store, store, store, store
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	srv := httptest.NewServer(NewRouter(cfg))
	t.Cleanup(srv.Close)
	return srv, signed.Bytes(), store
}

func multipartBody(t *testing.T, field, filename string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("comment", "a field before the file")
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decoding response: %v", err)
	}
	return v
}

// checkProblem asserts an RFC 9457 problem answer with this status and code, and returns it.
func checkProblem(t *testing.T, resp *http.Response, status int, code string) problem {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decoding the problem: %v", err)
	}
	if resp.StatusCode != status || p.Status != status || p.Code != code || p.Type != ProblemTypePrefix+code ||
		p.Title != http.StatusText(status) || p.Detail == "" || p.Instance != resp.Request.URL.Path || p.RequestID == "" ||
		p.Error == nil || p.Error.Code != code || p.Error.Message != p.Detail {
		t.Errorf("got %d %+v (error %+v), want %d %s", resp.StatusCode, p, p.Error, status, code)
	}
	return p
}

func TestHealthz(t *testing.T) {
	srv, _ := testServer(t, Config{})
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if got := decode[map[string]string](t, resp); resp.StatusCode != 200 || got["status"] != "ok" {
		t.Errorf("healthz = %d %v", resp.StatusCode, got)
	}
}

func TestVerify(t *testing.T) {
	srv, signed := testServer(t, Config{})
	tampered := bytes.Replace(signed, []byte("Hangzhou Example"), []byte("Hangzhou Exampla"), 1)
	for _, tc := range []struct {
		name      string
		body      func() (io.Reader, string)
		wantOver  verify.Indication
		wantSig   verify.Indication
		wantSub   verify.SubIndication
		wantSeal  string
		wantNames string
	}{
		{"multipart signed", func() (io.Reader, string) { return multipartBody(t, "file", "licence.pdf", signed) },
			verify.TotalPassed, verify.TotalPassed, "", "杭州市行政审批局行政审批专用章", "licence.pdf"},
		{"raw body signed", func() (io.Reader, string) { return bytes.NewReader(signed), "application/pdf" },
			verify.TotalPassed, verify.TotalPassed, "", "杭州市行政审批局行政审批专用章", ""},
		{"tampered", func() (io.Reader, string) { return bytes.NewReader(tampered), "application/pdf" },
			verify.TotalFailed, verify.TotalFailed, verify.HashFailure, "", ""},
		{"unsigned", func() (io.Reader, string) { return bytes.NewReader(testpdf.DefaultLicence.Bytes()), "application/pdf" },
			verify.NoSignatureFound, "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body()
			resp, err := http.Post(srv.URL+"/v1/verify", ct, body)
			if err != nil {
				t.Fatal(err)
			}
			rep := decode[verify.Report](t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if rep.Indication != tc.wantOver {
				t.Errorf("indication %s, want %s", rep.Indication, tc.wantOver)
			}
			if tc.wantSig == "" {
				if len(rep.Signatures) != 0 {
					t.Errorf("%d signatures, want none", len(rep.Signatures))
				}
				return
			}
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures, want 1", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			if s.Indication != tc.wantSig || s.SubIndication != tc.wantSub {
				t.Errorf("signature %s/%s, want %s/%s", s.Indication, s.SubIndication, tc.wantSig, tc.wantSub)
			}
			if tc.wantSeal != "" && (s.Seal == nil || s.Seal.Name != tc.wantSeal) {
				t.Errorf("seal %+v, want %s", s.Seal, tc.wantSeal)
			}
			if rep.Document.Name != tc.wantNames {
				t.Errorf("document name %q, want %q", rep.Document.Name, tc.wantNames)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	tempDir := t.TempDir()
	srv, signed := testServer(t, Config{MaxUploadBytes: 64 << 10, TempDir: tempDir})
	// Too large, but a PDF as far as its first bytes tell: it is refused for its size.
	big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 65<<10-9)...)
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		body       func() (io.Reader, string)
		wantStatus int
		wantCode   string
	}{
		{"empty body", "POST", "/v1/verify", func() (io.Reader, string) { return strings.NewReader(""), "application/pdf" }, 400, "bad_request"},
		{"not a PDF", "POST", "/v1/verify", func() (io.Reader, string) { return strings.NewReader("hello"), "text/plain" }, 422, "unusable_document"},
		{"truncated PDF", "POST", "/v1/verify", func() (io.Reader, string) { return bytes.NewReader(signed[:200]), "application/pdf" }, 422, "unusable_document"},
		{"signed PDF cut short", "POST", "/v1/verify", func() (io.Reader, string) {
			return bytes.NewReader(signed[:min(len(signed)-300, 60000)]), "application/pdf"
		}, 422, "unusable_document"},
		{"too large raw", "POST", "/v1/verify", func() (io.Reader, string) { return bytes.NewReader(big), "application/pdf" }, 413, "too_large"},
		{"too large multipart", "POST", "/v1/verify", func() (io.Reader, string) { return multipartBody(t, "file", "big.pdf", big) }, 413, "too_large"},
		// Exactly the limit is accepted in either form (the framing does not count): it is then
		// judged as a document, and these bytes are no PDF.
		{"limit-sized raw", "POST", "/v1/verify", func() (io.Reader, string) { return bytes.NewReader(big[:64<<10]), "application/pdf" }, 422, "unusable_document"},
		{"limit-sized multipart", "POST", "/v1/verify", func() (io.Reader, string) { return multipartBody(t, "file", "x.pdf", big[:64<<10]) }, 422, "unusable_document"},
		{"multipart framing beyond the allowance", "POST", "/v1/verify", func() (io.Reader, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("padding", strings.Repeat("p", 64<<10+multipartAllowance+1))
			fw, _ := mw.CreateFormFile("file", "x.pdf")
			fw.Write([]byte("%PDF"))
			mw.Close()
			return &buf, mw.FormDataContentType()
		}, 413, "too_large"},
		{"multipart without file", "POST", "/v1/verify", func() (io.Reader, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("other", "x")
			mw.Close()
			return &buf, mw.FormDataContentType()
		}, 400, "bad_request"},
		{"multipart without boundary", "POST", "/v1/verify", func() (io.Reader, string) { return strings.NewReader("x"), "multipart/form-data" }, 400, "bad_request"},
		{"malformed multipart", "POST", "/v1/verify", func() (io.Reader, string) {
			return strings.NewReader("--b\r\nno headers end"), "multipart/form-data; boundary=b"
		}, 400, "bad_request"},
		{"bad revocation policy", "POST", "/v1/verify?revocation=maybe", func() (io.Reader, string) { return bytes.NewReader(signed), "application/pdf" }, 400, "bad_request"},
		{"unknown route", "GET", "/v1/nothing", func() (io.Reader, string) { return nil, "" }, 404, "not_found"},
		{"wrong method", "GET", "/v1/verify", func() (io.Reader, string) { return nil, "" }, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			checkProblem(t, resp, tc.wantStatus, tc.wantCode)
		})
	}
	// Every upload was spooled to a temporary file and removed afterwards.
	time.Sleep(50 * time.Millisecond)
	left, _ := filepath.Glob(filepath.Join(tempDir, "eseal-upload-*"))
	if len(left) != 0 {
		t.Errorf("temporary uploads left behind: %v", left)
	}
	if _, err := os.Stat(tempDir); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRevocationPolicy: a server whose store knows nothing of a signer fails closed, unless
// the request asks for soft-fail.
func TestVerifyRevocationPolicy(t *testing.T) {
	_, signed, first := testServerStore(t, Config{})
	root, err := first.RootCertificate()
	if err != nil {
		t.Fatal(err)
	}
	// A second server with another region's store: it trusts the first root but knows none of
	// its certificates.
	other, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("other")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.InitRegion("110108", "北京"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddTrustAnchor(root, "test"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewRouter(Config{Anchors: other, Revocation: other, TempDir: t.TempDir()}))
	defer srv.Close()
	for query, want := range map[string]verify.Indication{"": verify.Indeterminate, "?revocation=required": verify.Indeterminate, "?revocation=soft-fail": verify.TotalPassed} {
		resp, err := http.Post(srv.URL+"/v1/verify"+query, "application/pdf", bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		rep := decode[verify.Report](t, resp)
		if rep.Indication != want {
			t.Errorf("%q: %s, want %s", query, rep.Indication, want)
		}
	}
}

// TestVerifyRevokedAfterCached: the server keeps what it verified of certificates and seals
// between requests; a revocation made since must still show at once.
func TestVerifyRevokedAfterCached(t *testing.T) {
	srv, signed, store := testServerStore(t, Config{})
	post := func() verify.Report {
		t.Helper()
		resp, err := http.Post(srv.URL+"/v1/verify", "application/pdf", bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		return decode[verify.Report](t, resp)
	}
	first := post()
	if first.Indication != verify.TotalPassed || len(first.Signatures) != 1 {
		t.Fatalf("before revocation: %s", first.Indication)
	}
	if again := post(); again.Indication != verify.TotalPassed {
		t.Fatalf("second verification (from the cache): %s", again.Indication)
	}
	if _, err := store.RevokeCertificate(certstore.RevokeRequest{Serial: first.Signatures[0].Signer.Serial, Reason: verify.ReasonKeyCompromise}); err != nil {
		t.Fatal(err)
	}
	after := post()
	if after.Indication == verify.TotalPassed || !strings.Contains(string(after.Signatures[0].SubIndication), "REVOKED") {
		t.Errorf("after revocation: %s/%s, want the revocation reported", after.Indication, after.Signatures[0].SubIndication)
	}
}

// TestVerifyOFD: POST /v1/verify takes OFD documents too, told by their bytes: a licence
// sealed by the region's seal is valid, and with a changed page it is not.
func TestVerifyOFD(t *testing.T) {
	srv, _, store := testServerStore(t, Config{})
	seals, err := store.Seals()
	if err != nil || len(seals) == 0 {
		t.Fatalf("seals: %v", err)
	}
	key, sl, chain, err := store.SealSigner(seals[0].ESID)
	if err != nil {
		t.Fatal(err)
	}
	in := testofd.DefaultLicence.Bytes()
	var sealed bytes.Buffer
	if _, err := sign.SignOFD(bytes.NewReader(in), int64(len(in)), &sealed, sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}, sign.OFDOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body []byte
		want verify.Indication
	}{
		{"sealed", sealed.Bytes(), verify.TotalPassed},
		{"unsigned", in, verify.NoSignatureFound},
	} {
		resp, err := http.Post(srv.URL+"/v1/verify", "application/ofd", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		rep := decode[verify.Report](t, resp)
		if resp.StatusCode != http.StatusOK || rep.Indication != tc.want || rep.Document.Format != "OFD" {
			t.Errorf("%s: status %d, %s, format %q", tc.name, resp.StatusCode, rep.Indication, rep.Document.Format)
		}
	}
}

// TestCRLRoute: GET /v1/crl/{issuer} serves the region's latest CRL in DER, cacheable until its
// nextUpdate, 304 for the same ETag; an unknown issuer is 404, a malformed one 400.
func TestCRLRoute(t *testing.T) {
	srv0, _, store := testServerStore(t, Config{})
	srv0.Close()
	srv := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, CRLs: store, TempDir: t.TempDir()}))
	defer srv.Close()
	region, err := store.Region()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	checkProblem(t, get("/v1/crl/"+issuer, nil), http.StatusNotFound, "not_found") // before any CRL
	if _, err := store.IssueCRL(); err != nil {
		t.Fatal(err)
	}
	resp := get("/v1/crl/"+issuer, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pkix-crl" || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	crl, err := smcrypto.ParseCRL(body)
	if err != nil || crl.CheckSignatureFrom(root) != nil {
		t.Fatalf("the CRL served: %v", err)
	}
	if again := get("/v1/crl/"+issuer, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); again.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: %d", again.StatusCode)
	}
	checkProblem(t, get("/v1/crl/00112233", nil), http.StatusNotFound, "not_found")
	checkProblem(t, get("/v1/crl/not-hex", nil), http.StatusBadRequest, "bad_request")
}

// TestStatusRoutes: GET /v1/status/... serves the region's signed status of a certificate, a
// seal and a licence, which a relying party holding only the root verifies; malformed names are
// 400, and a service without a status source answers 404.
func TestStatusRoutes(t *testing.T) {
	srv0, _, store := testServerStore(t, Config{})
	srv0.Close()
	srv := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, Status: store, TempDir: t.TempDir()}))
	defer srv.Close()
	bare := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()}))
	defer bare.Close()
	region, err := store.Region()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RevokeSeal(certstore.SealRevokeRequest{ESID: seal.ESID, Reason: verify.ReasonAffiliationChanged}); err != nil {
		t.Fatal(err)
	}
	get := func(base, path string) (int, []byte) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	for _, tc := range []struct{ path, typ, state string }{
		{"/v1/status/cert/" + issuer + "/" + seal.SignerSerial, "certificate", "good"},
		{"/v1/status/seal/" + seal.ESID, "seal", "revoked"},
		{"/v1/status/licence/LOCAL-2026-0001", "licence", "unknown"},
	} {
		code, body := get(srv.URL, tc.path)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.path, code, body)
		}
		st, err := status.Verify(body, []*smcrypto.Certificate{root}, time.Now())
		if err != nil || st.Type != tc.typ || st.State != tc.state {
			t.Errorf("%s: %+v %v", tc.path, st, err)
		}
		if resp, err := http.Get(bare.URL + tc.path); err == nil {
			checkProblem(t, resp, http.StatusNotFound, "not_found") // no status source
		}
	}
	if resp, err := http.Get(srv.URL + "/v1/status/cert/" + issuer + "/xyz"); err == nil {
		checkProblem(t, resp, http.StatusBadRequest, "bad_request")
	}
}

// TestEventsRoute: GET /v1/events pages through the event log, whose chain a department holding
// only the root verifies; malformed after/limit are 400, no source 404.
func TestEventsRoute(t *testing.T) {
	srv0, _, store := testServerStore(t, Config{})
	srv0.Close()
	srv := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, Events: store, TempDir: t.TempDir()}))
	defer srv.Close()
	bare := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()}))
	defer bare.Close()
	region, err := store.Region()
	if err != nil {
		t.Fatal(err)
	}
	root, err := smcrypto.ParseCertificate(region.RootCert)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		seal, err := store.NewSeal(certstore.SealRequest{Name: "专用章"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.RevokeSeal(certstore.SealRevokeRequest{ESID: seal.ESID, Reason: verify.ReasonSuperseded}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(base, query string) (int, eventsPage) {
		resp, err := http.Get(base + "/v1/events" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page eventsPage
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, page
	}
	code, first := get(srv.URL, "?limit=2")
	if code != http.StatusOK || len(first.Events) != 2 || first.Next != 2 {
		t.Fatalf("first page: %d %+v", code, first)
	}
	code, second := get(srv.URL, fmt.Sprintf("?after=%d", first.Next))
	if code != http.StatusOK || len(second.Events) != 1 || second.Next != 3 {
		t.Fatalf("second page: %d %+v", code, second)
	}
	if err := eventlog.VerifyChain(append(first.Events, second.Events...), root, 0, ""); err != nil {
		t.Errorf("the chain served: %v", err)
	}
	if code, empty := get(srv.URL, "?after=3"); code != http.StatusOK || len(empty.Events) != 0 || empty.Next != 3 {
		t.Errorf("nothing newer: %d %+v", code, empty)
	}
	for _, q := range []string{"?after=-1", "?after=x", "?limit=0", "?limit=1001", "?limit=x"} {
		if resp, err := http.Get(srv.URL + "/v1/events" + q); err == nil {
			checkProblem(t, resp, http.StatusBadRequest, "bad_request")
		}
	}
	if resp, err := http.Get(bare.URL + "/v1/events"); err == nil {
		checkProblem(t, resp, http.StatusNotFound, "not_found")
	}
}

// TestOCSPRoute: OpenSSL, as an OCSP client, asks the responder (POST) about a sealing
// certificate, good and then revoked (its OCSP verification cannot pass the SM2 signer ID
// 1234567812345678, so -noverify: smcrypto's TestOCSPWithOpenSSL checks the signature value with
// OpenSSL, and this test with the region root); the GET
// form is cacheable; malformed requests are 400 with a malformedRequest response, another
// issuer's certificate an unauthorized one.
func TestOCSPRoute(t *testing.T) {
	srv0, _, store := testServerStore(t, Config{})
	srv0.Close()
	srv := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, OCSP: store, TempDir: t.TempDir()}))
	defer srv.Close()
	bare := httptest.NewServer(NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()}))
	defer bare.Close()
	seal, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, chain, err := store.SealSigner(seal.ESID)
	if err != nil {
		t.Fatal(err)
	}
	leaf, root := chain[0], chain[1]
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootPEM, leafPEM := write("root.pem", smcrypto.EncodeCertificatePEM(root)), write("leaf.pem", smcrypto.EncodeCertificatePEM(leaf))
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is required (the test command installs it)")
	}
	ask := func() string {
		out, err := exec.Command(openssl, "ocsp", "-issuer", rootPEM, "-cert", leafPEM, "-url", srv.URL+"/v1/ocsp",
			"-noverify", "-no_nonce", "-resp_text", "-respout", filepath.Join(dir, "resp.der")).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		return string(out)
	}
	checkSigned := func() {
		t.Helper()
		der, err := os.ReadFile(filepath.Join(dir, "resp.der"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := smcrypto.ParseOCSPResponse(der)
		if err != nil || resp.CheckSignatureFrom(root) != nil {
			t.Errorf("the response OpenSSL received: %v", err)
		}
	}
	if out := ask(); !strings.Contains(out, leafPEM+": good") {
		t.Fatalf("good:\n%s", out)
	}
	checkSigned()
	if _, err := store.RevokeCertificate(certstore.RevokeRequest{Serial: seal.SignerSerial, Reason: verify.ReasonKeyCompromise}); err != nil {
		t.Fatal(err)
	}
	if out := ask(); !strings.Contains(out, leafPEM+": revoked") || !strings.Contains(out, "Reason: keyCompromise") {
		t.Fatalf("revoked:\n%s", out)
	}
	checkSigned()

	id, err := smcrypto.NewOCSPCertID(root, leaf.SerialNumber, smcrypto.OIDSM3)
	if err != nil {
		t.Fatal(err)
	}
	reqDER, err := smcrypto.MarshalOCSPRequest(id)
	if err != nil {
		t.Fatal(err)
	}
	get := func(base, path string, hdr ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get(srv.URL, "/v1/ocsp/"+url.PathEscape(base64.StdEncoding.EncodeToString(reqDER)))
	parsed, err := smcrypto.ParseOCSPResponse(body)
	if resp.StatusCode != http.StatusOK || err != nil || parsed.Single.Status != smcrypto.OCSPRevoked || parsed.CheckSignatureFrom(root) != nil ||
		!strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") || resp.Header.Get("Content-Type") != "application/ocsp-response" {
		t.Fatalf("GET: %d %v %+v %v", resp.StatusCode, err, parsed, resp.Header)
	}
	if again, _ := get(srv.URL, "/v1/ocsp/"+url.PathEscape(base64.StdEncoding.EncodeToString(reqDER)), "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: %d", again.StatusCode)
	}

	post := func(base string, body []byte) (int, *smcrypto.OCSPResponse) {
		resp, err := http.Post(base+"/v1/ocsp", "application/ocsp-request", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		parsed, _ := smcrypto.ParseOCSPResponse(data)
		return resp.StatusCode, parsed
	}
	foreign, _ := smcrypto.NewOCSPCertID(leaf, leaf.SerialNumber, smcrypto.OIDSHA1)
	foreignDER, _ := smcrypto.MarshalOCSPRequest(foreign)
	for _, tc := range []struct {
		name       string
		body       []byte
		code, ocsp int
	}{
		{"not DER", []byte("hello"), http.StatusBadRequest, smcrypto.OCSPMalformedRequest},
		{"too large", make([]byte, smcrypto.MaxOCSPRequestSize+10), http.StatusBadRequest, smcrypto.OCSPMalformedRequest},
		{"another issuer", foreignDER, http.StatusOK, smcrypto.OCSPUnauthorized},
	} {
		if code, parsed := post(srv.URL, tc.body); code != tc.code || parsed == nil || parsed.Status != tc.ocsp {
			t.Errorf("%s: HTTP %d, %+v", tc.name, code, parsed)
		}
	}
	badEscape := httptest.NewRequest("GET", "/v1/ocsp/x", nil)
	badEscape.URL.RawPath = "/v1/ocsp/%zz"
	rec := httptest.NewRecorder()
	srv.Config.Handler.ServeHTTP(rec, badEscape)
	if parsed, err := smcrypto.ParseOCSPResponse(rec.Body.Bytes()); rec.Code != http.StatusBadRequest || err != nil || parsed.Status != smcrypto.OCSPMalformedRequest {
		t.Errorf("bad escaping: %d %v", rec.Code, err)
	}
	if r, _ := get(srv.URL, "/v1/ocsp/bm90IGJhc2U2NA!!"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad base64: %d", r.StatusCode)
	}
	if code, _ := post(bare.URL, reqDER); code != http.StatusNotFound {
		t.Errorf("no responder: %d", code)
	}
}

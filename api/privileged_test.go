package api

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/verify"
)

// privileged is a test service with a token per role.
type privileged struct {
	t      *testing.T
	srv    *httptest.Server
	store  *certstore.Store
	esID   string
	tokens map[string]string // role → token
}

func newPrivileged(t *testing.T, cfg Config) *privileged {
	t.Helper()
	srv, _, store := testServerStore(t, cfg)
	p := &privileged{t: t, srv: srv, store: store, tokens: map[string]string{}}
	seals, err := store.Seals()
	if err != nil || len(seals) != 1 {
		t.Fatalf("seals: %v %v", seals, err)
	}
	p.esID = seals[0].ESID
	for _, role := range certstore.Roles {
		_, tok, err := store.CreateToken(role+" 岗位", role)
		if err != nil {
			t.Fatal(err)
		}
		p.tokens[role] = tok
	}
	return p
}

// do sends a request with the role's token ("" for none).
func (p *privileged) do(role, method, path, contentType string, body io.Reader) *http.Response {
	p.t.Helper()
	req, err := http.NewRequest(method, p.srv.URL+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+p.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

func (p *privileged) doJSON(role, method, path, body string) *http.Response {
	p.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return p.do(role, method, path, "application/json", r)
}

// signForm is a POST /v1/sign body.
func signForm(t *testing.T, doc []byte, filename string, fields map[string]string) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if doc != nil {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(doc)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// TestPrivilegedRoutesRefuse: every privileged route answers 401 without a token or with a
// wrong one, and 403 to a token of another role, as problems.
func TestPrivilegedRoutesRefuse(t *testing.T) {
	p := newPrivileged(t, Config{})
	routes := []struct{ method, path, role string }{
		{"POST", "/v1/sign", certstore.RoleIssuer},
		{"POST", "/v1/sign/batch", certstore.RoleIssuer},
		{"GET", "/v1/seals", certstore.RoleIssuer},
		{"POST", "/v1/seals", certstore.RoleIssuer},
		{"GET", "/v1/seals/" + p.esID, certstore.RoleIssuer},
		{"GET", "/v1/revocations", certstore.RoleRevoker},
		{"POST", "/v1/revocations/cert", certstore.RoleRevoker},
		{"POST", "/v1/revocations/seal", certstore.RoleRevoker},
		{"GET", "/v1/licences/X-1", certstore.RoleRevoker},
		{"POST", "/v1/licences/X-1/revoke", certstore.RoleRevoker},
		{"GET", "/v1/audit", certstore.RoleAuditor},
		{"GET", "/v1/tokens", certstore.RoleAdmin},
		{"POST", "/v1/tokens", certstore.RoleAdmin},
		{"DELETE", "/v1/tokens/0000000000000000", certstore.RoleAdmin},
		{"GET", "/v1/webhooks", certstore.RoleAdmin},
		{"POST", "/v1/webhooks", certstore.RoleAdmin},
		{"DELETE", "/v1/webhooks/0000000000000000", certstore.RoleAdmin},
		{"GET", "/v1/backup", certstore.RoleAdmin},
		{"POST", "/v1/trust/bundle", certstore.RoleAdmin},
		{"POST", "/v1/trust/import", certstore.RoleAdmin},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			resp := p.do("", rt.method, rt.path, "", nil)
			if resp.Header.Get("WWW-Authenticate") != `Bearer realm="eseal"` {
				t.Errorf("401 without WWW-Authenticate: %q", resp.Header.Get("WWW-Authenticate"))
			}
			checkProblem(t, resp, 401, "unauthenticated")
			for _, bad := range []string{"Bearer eseal_0000000000000000_AAAA", "Basic dXNlcjpwYXNz", "Bearer", p.tokens[certstore.RoleAdmin]} {
				req, _ := http.NewRequest(rt.method, p.srv.URL+rt.path, nil)
				req.Header.Set("Authorization", bad)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				checkProblem(t, resp, 401, "unauthenticated")
			}
			for _, other := range certstore.Roles {
				if other == rt.role || other == certstore.RoleAdmin {
					continue
				}
				checkProblem(t, p.do(other, rt.method, rt.path, "", nil), 403, "forbidden")
			}
		})
	}
}

// TestSignRoute: an issuer signs a PDF, an OFD and a detached signature over the API; each is
// recorded under the token's name and verifies.
func TestSignRoute(t *testing.T) {
	p := newPrivileged(t, Config{})
	body, ct := signForm(t, testpdf.DefaultLicence.Bytes(), "许可证.pdf", map[string]string{
		"seal": p.esID, "licence-id": "LOCAL-2026-0042", "holder": "杭州某某贸易有限公司", "licence-type": "食品经营许可证", "reason": "行政许可决定",
	})
	resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
	signed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(signed, []byte("%PDF-")) {
		t.Fatalf("sign PDF: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), signed)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=utf-8''%E8%AE%B8") {
		t.Errorf("Content-Disposition %q does not carry the Chinese name", cd)
	}
	digest := resp.Header.Get("Eseal-Issuance")
	rep := verifyBytes(t, p.srv.URL, signed)
	if rep.Indication != verify.TotalPassed || rep.Signatures[0].Licence == nil || rep.Signatures[0].Licence.ID != "LOCAL-2026-0042" {
		t.Fatalf("the signed PDF: %+v", rep)
	}
	raw, _ := hex.DecodeString(digest)
	if lic, err := p.store.LicenceStatus(raw); err != nil || lic == nil || lic.State != "in_force" {
		t.Errorf("issuance %s: %+v %v", digest, lic, err)
	}

	ofd := testofd.DefaultLicence.Bytes()
	body, ct = signForm(t, ofd, "licence.ofd", map[string]string{"seal": p.esID, "timestamp": "false"})
	resp = p.do(certstore.RoleAdmin, "POST", "/v1/sign", ct, body) // admin covers issuer
	sealedOFD, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ofd" {
		t.Fatalf("sign OFD: %d %.200s", resp.StatusCode, sealedOFD)
	}
	if rep := verifyBytes(t, p.srv.URL, sealedOFD); rep.Indication != verify.TotalPassed {
		t.Errorf("the signed OFD: %s", rep.Indication)
	}

	body, ct = signForm(t, []byte("任何电子材料"), "材料.txt", map[string]string{"seal": p.esID, "detached": "cms"})
	resp = p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
	sig, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(sig) < 100 || sig[0] != 0x30 || !strings.Contains(resp.Header.Get("Content-Disposition"), ".p7s") {
		t.Fatalf("detached: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}

	log, _ := p.store.AuditLog()
	var issued []string
	for _, r := range log {
		if r.Action == "issuance" {
			issued = append(issued, r.Actor)
		}
	}
	if len(issued) != 3 || !strings.HasPrefix(issued[0], "token:issuer 岗位 (") || !strings.HasPrefix(issued[1], "token:admin 岗位 (") {
		t.Errorf("issuances audited as %q", issued)
	}
}

func verifyBytes(t *testing.T, base string, doc []byte) verify.Report {
	t.Helper()
	resp, err := http.Post(base+"/v1/verify", "application/octet-stream", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return decode[verify.Report](t, resp)
}

// TestSignRouteErrors: each bad request gets its status and a problem; nothing is recorded.
func TestSignRouteErrors(t *testing.T) {
	tempDir := t.TempDir()
	p := newPrivileged(t, Config{MaxUploadBytes: 1 << 20, TempDir: tempDir})
	other, err := p.store.NewSeal(certstore.SealRequest{Name: "已吊销的专用章"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.RevokeSeal(certstore.SealRevokeRequest{ESID: other.ESID, Reason: verify.ReasonSuperseded}); err != nil {
		t.Fatal(err)
	}
	pdf := testpdf.DefaultLicence.Bytes()
	form := func(doc []byte, fields map[string]string) func() (io.Reader, string) {
		return func() (io.Reader, string) { return signForm(t, doc, "x.pdf", fields) }
	}
	for _, tc := range []struct {
		name   string
		body   func() (io.Reader, string)
		status int
		code   string
	}{
		{"not multipart", func() (io.Reader, string) { return bytes.NewReader(pdf), "application/pdf" }, 415, "unsupported_media_type"},
		{"no boundary", func() (io.Reader, string) { return strings.NewReader("x"), "multipart/form-data" }, 400, "bad_request"},
		{"malformed multipart", func() (io.Reader, string) {
			return strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"), "multipart/form-data; boundary=b"
		}, 400, "bad_request"},
		{"no file field", form(nil, map[string]string{"seal": p.esID}), 400, "bad_request"},
		{"no seal field", form(pdf, nil), 400, "bad_request"},
		{"unknown field", form(pdf, map[string]string{"seal": p.esID, "colour": "red"}), 400, "bad_request"},
		{"another file part", func() (io.Reader, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("seal", p.esID)
			aw, _ := mw.CreateFormFile("attachment", "a.pdf")
			aw.Write(pdf)
			fw, _ := mw.CreateFormFile("file", "x.pdf")
			fw.Write(pdf)
			mw.Close()
			return &buf, mw.FormDataContentType()
		}, 400, "bad_request"},
		{"bad licence id", form(pdf, map[string]string{"seal": p.esID, "licence-id": "1.2.156.3005.2.x"}), 400, "bad_request"},
		{"holder without licence", form(pdf, map[string]string{"seal": p.esID, "holder": "某公司"}), 400, "bad_request"},
		{"bad page", form(pdf, map[string]string{"seal": p.esID, "page": "0"}), 400, "bad_request"},
		{"bad detached", form(pdf, map[string]string{"seal": p.esID, "detached": "xml"}), 400, "bad_request"},
		{"bad timestamp", form(pdf, map[string]string{"seal": p.esID, "timestamp": "maybe"}), 400, "bad_request"},
		{"unknown seal", form(pdf, map[string]string{"seal": "99999999999999"}), 404, "not_found"},
		{"revoked seal", form(pdf, map[string]string{"seal": other.ESID}), 409, "conflict"},
		{"garbage document", form([]byte("this is not a PDF at all"), map[string]string{"seal": p.esID}), 422, "unusable_document"},
		{"page out of range", form(pdf, map[string]string{"seal": p.esID, "page": "9"}), 422, "unusable_document"},
		{"too large", form(bytes.Repeat([]byte("%PDF-"), 300_000), map[string]string{"seal": p.esID}), 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.body()
			checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body), tc.status, tc.code)
		})
	}
	log, _ := p.store.AuditLog()
	for _, r := range log {
		if r.Action == "issuance" {
			t.Errorf("a refused request was recorded: %+v", r)
		}
	}
	if left, _ := os.ReadDir(tempDir); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestSealRoutes: an issuer lists, makes and reads seals; bad bodies are refused.
func TestSealRoutes(t *testing.T) {
	p := newPrivileged(t, Config{})
	resp := p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `{"name":"杭州市行政审批局合同专用章"}`)
	made := decodeStatus[sealView](t, resp, 201)
	if made.Name != "杭州市行政审批局合同专用章" || len(made.Seal) == 0 || resp.Header.Get("Location") != "/v1/seals/"+made.ESID {
		t.Fatalf("new seal: %+v %q", made, resp.Header.Get("Location"))
	}
	list := decodeStatus[struct{ Seals []sealView }](t, p.doJSON(certstore.RoleIssuer, "GET", "/v1/seals", ""), 200)
	if len(list.Seals) != 2 || list.Seals[0].Seal != nil {
		t.Errorf("list: %+v", list)
	}
	got := decodeStatus[sealView](t, p.doJSON(certstore.RoleIssuer, "GET", "/v1/seals/"+made.ESID, ""), 200)
	if got.ESID != made.ESID || !bytes.Equal(got.Seal, made.Seal) || got.Revoked {
		t.Errorf("get: %+v", got)
	}
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "GET", "/v1/seals/00000000000000", ""), 404, "not_found")
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `{"name":"  "}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `{"name":"x","colour":"red"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `{"name":"x"} {}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `not json`), 400, "bad_request")
	checkProblem(t, p.do(certstore.RoleIssuer, "POST", "/v1/seals", "text/plain", strings.NewReader(`{"name":"x"}`)), 415, "unsupported_media_type")
	checkProblem(t, p.doJSON(certstore.RoleIssuer, "POST", "/v1/seals", `{"name":"`+strings.Repeat("x", 2<<20)+`"}`), 413, "too_large")
}

func decodeStatus[T any](t *testing.T, resp *http.Response, status int) T {
	t.Helper()
	if resp.StatusCode != status {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	return decode[T](t, resp)
}

// TestRevocationAndLicenceRoutes: a revoker revokes a seal and a licence over the API; verify
// then reports both; the audit log names the revoker's token.
func TestRevocationAndLicenceRoutes(t *testing.T) {
	p := newPrivileged(t, Config{})
	body, ct := signForm(t, testpdf.DefaultLicence.Bytes(), "l.pdf", map[string]string{"seal": p.esID, "licence-id": "LOCAL-2026-0007", "timestamp": "false"})
	resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
	signed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	lic := decodeStatus[certstore.LicenceRecord](t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/LOCAL-2026-0007/revoke",
		`{"reason":"未履行告知承诺","basis":"《行政许可法》第六十九条"}`), 200)
	if lic.State != certstore.LicenceRevoked || !strings.HasPrefix(lic.History[len(lic.History)-1].By, "token:revoker 岗位") {
		t.Fatalf("revoked licence: %+v", lic)
	}
	if rep := verifyBytes(t, p.srv.URL, signed); rep.Indication != verify.TotalFailed || rep.Signatures[0].Licence.State != "revoked" {
		t.Errorf("verify after the licence's revocation: %s %+v", rep.Indication, rep.Signatures[0].Licence)
	}
	got := decodeStatus[certstore.LicenceRecord](t, p.doJSON(certstore.RoleRevoker, "GET", "/v1/licences/LOCAL-2026-0007", ""), 200)
	if got.State != certstore.LicenceRevoked || len(got.History) != 2 {
		t.Errorf("licence: %+v", got)
	}
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/LOCAL-2026-0007/cancel", `{"reason":"r","basis":"b"}`), 400, "bad_request") // an end is final
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/LOCAL-2026-0007/suspend", `{"reason":"r","basis":"b"}`), 404, "not_found")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/NOPE-1/withdraw", `{"reason":"r","basis":"b"}`), 404, "not_found")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/licences/LOCAL-2026-0007/withdraw", `{"reason":"r"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "GET", "/v1/licences/NOPE-1", ""), 404, "not_found")

	rev := decodeStatus[certstore.SealRevocation](t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"`+p.esID+`","reason":"keyCompromise"}`), 200)
	if rev.ESID != p.esID || rev.Reason != verify.ReasonKeyCompromise {
		t.Errorf("seal revocation: %+v", rev)
	}
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"`+p.esID+`","reason":"superseded"}`), 409, "conflict")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"`+p.esID+`","reason":"bored"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"`+p.esID+`"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"serial":"01","reason":"superseded"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/seal", `{"esID":"00000000000000","reason":"superseded"}`), 404, "not_found")

	seal, _ := p.store.Seal(p.esID)
	cert := decodeStatus[certstore.Revocation](t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/cert", `{"serial":"`+seal.SignerSerial+`","reason":"superseded","invalidityDate":"2026-01-02T03:04:05Z"}`), 200)
	if cert.Serial != seal.SignerSerial || cert.InvalidityDate.IsZero() {
		t.Errorf("certificate revocation: %+v", cert)
	}
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/cert", `{"serial":"ffffffff","reason":"superseded"}`), 404, "not_found")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/cert", `{"reason":"superseded"}`), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleRevoker, "POST", "/v1/revocations/cert", `{"serial":"`+seal.SignerSerial+`","reason":"superseded","invalidityDate":"yesterday"}`), 400, "bad_request")

	list := decodeStatus[struct {
		Certificates []certstore.Revocation
		Seals        []certstore.SealRevocation
	}](t, p.doJSON(certstore.RoleRevoker, "GET", "/v1/revocations", ""), 200)
	if len(list.Certificates) != 1 || len(list.Seals) != 1 {
		t.Errorf("revocations: %+v", list)
	}
	if rep := verifyBytes(t, p.srv.URL, signed); rep.Signatures[0].Revocation == nil {
		t.Errorf("verify after the revocations: no revocation reported: %+v", rep.Signatures[0])
	}
}

// TestAdminAndAuditRoutes: tokens made and revoked over the API take effect at once; webhooks;
// the auditor reads an intact log naming each actor; a backup opens as a store.
func TestAdminAndAuditRoutes(t *testing.T) {
	p := newPrivileged(t, Config{})
	var made struct {
		certstore.Token
		Secret string `json:"token"`
	}
	made = decodeStatus[struct {
		certstore.Token
		Secret string `json:"token"`
	}](t, p.doJSON(certstore.RoleAdmin, "POST", "/v1/tokens", `{"name":"外区核验接口","role":"auditor"}`), 201)
	if made.Role != "auditor" || !strings.HasPrefix(made.Secret, "eseal_"+made.ID+"_") || made.Hash != "" {
		t.Fatalf("new token: %+v", made)
	}
	p.tokens["new"] = made.Secret
	audit := decodeStatus[struct {
		Records []certstore.AuditRecord
		Intact  bool
		Head    string
	}](t, p.doJSON("new", "GET", "/v1/audit", ""), 200)
	if !audit.Intact || audit.Head == "" || audit.Records[len(audit.Records)-1].Action != "token.create" ||
		!strings.HasPrefix(audit.Records[len(audit.Records)-1].Actor, "token:admin 岗位") {
		t.Errorf("audit: intact %v, head %q, last %+v", audit.Intact, audit.Head, audit.Records[len(audit.Records)-1])
	}
	decodeStatus[certstore.Token](t, p.doJSON(certstore.RoleAdmin, "DELETE", "/v1/tokens/"+made.ID, ""), 200)
	checkProblem(t, p.doJSON("new", "GET", "/v1/audit", ""), 401, "unauthenticated")
	checkProblem(t, p.doJSON(certstore.RoleAdmin, "DELETE", "/v1/tokens/"+made.ID, ""), 400, "bad_request")
	checkProblem(t, p.doJSON(certstore.RoleAdmin, "DELETE", "/v1/tokens/0000000000000000", ""), 404, "not_found")
	checkProblem(t, p.doJSON(certstore.RoleAdmin, "POST", "/v1/tokens", `{"role":"root"}`), 400, "bad_request")
	tokens := decodeStatus[struct{ Tokens []certstore.Token }](t, p.doJSON(certstore.RoleAdmin, "GET", "/v1/tokens", ""), 200)
	if len(tokens.Tokens) != 5 {
		t.Errorf("tokens: %+v", tokens)
	}

	wh := decodeStatus[certstore.Webhook](t, p.doJSON(certstore.RoleAdmin, "POST", "/v1/webhooks", `{"url":"https://scjg.example.gov.cn/hook","note":"市市场监管局"}`), 201)
	hooks := decodeStatus[struct{ Webhooks []certstore.Webhook }](t, p.doJSON(certstore.RoleAdmin, "GET", "/v1/webhooks", ""), 200)
	if len(hooks.Webhooks) != 1 || hooks.Webhooks[0].Note != "市市场监管局" {
		t.Errorf("webhooks: %+v", hooks)
	}
	checkProblem(t, p.doJSON(certstore.RoleAdmin, "POST", "/v1/webhooks", `{"url":"ftp://x"}`), 400, "bad_request")
	if resp := p.doJSON(certstore.RoleAdmin, "DELETE", "/v1/webhooks/"+wh.ID, ""); resp.StatusCode != 204 {
		t.Errorf("remove webhook: %d", resp.StatusCode)
	}
	checkProblem(t, p.doJSON(certstore.RoleAdmin, "DELETE", "/v1/webhooks/"+wh.ID, ""), 404, "not_found")

	resp := p.do(certstore.RoleAdmin, "GET", "/v1/backup", "", nil)
	backup, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || int64(len(backup)) != resp.ContentLength || len(backup) < 4096 {
		t.Fatalf("backup: %d, %d bytes of %d", resp.StatusCode, len(backup), resp.ContentLength)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, certstore.DBFileName), backup, 0o600); err != nil {
		t.Fatal(err)
	}
	copy, err := certstore.Open(dir, certstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer copy.Close()
	if _, err := copy.Seal(p.esID); err != nil {
		t.Errorf("the backup lacks the seal: %v", err)
	}
	if err := copy.VerifyAudit(); err != nil {
		t.Errorf("the backup's audit log: %v", err)
	}
	if log, _ := copy.AuditLog(); log[len(log)-1].Action != "store.backup" || !strings.HasPrefix(log[len(log)-1].Actor, "token:admin") {
		t.Errorf("the backup's last record: %+v", log[len(log)-1])
	}
}

// TestMutualTLS: with RequireClientCert, a valid token without a client certificate is 401;
// with one the server's client CA issued, the request passes and the audit log names both.
func TestMutualTLS(t *testing.T) {
	store, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("mtls")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		t.Fatal(err)
	}
	_, token, err := store.CreateToken("运维", certstore.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eseal client CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientDER, _ := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "审批系统"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, ca, &clientKey.PublicKey, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	srv := httptest.NewUnstartedServer(NewRouter(Config{Anchors: store, Revocation: store, Store: store, RequireClientCert: true, TempDir: t.TempDir()}))
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	defer srv.Close()
	get := func(client *http.Client) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/tokens", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	checkProblem(t, get(srv.Client()), 401, "unauthenticated")
	serverRoots := x509.NewCertPool()
	serverRoots.AddCert(srv.Certificate())
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverRoots,
		Certificates: []tls.Certificate{{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}}}}}
	if resp := get(withCert); resp.StatusCode != 200 {
		t.Fatalf("with a client certificate: %d", resp.StatusCode)
	}
	// Public routes stay public.
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz without a client certificate: %v", err)
	}
	// The audit log names the token and the certificate.
	req, _ := http.NewRequest("POST", srv.URL+"/v1/tokens", strings.NewReader(`{"role":"auditor"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := withCert.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create a token over mTLS: %v", err)
	}
	log, _ := store.AuditLog()
	if last := log[len(log)-1]; !strings.HasPrefix(last.Actor, "token:运维 (") || !strings.HasSuffix(last.Actor, " mTLS CN=审批系统") {
		t.Errorf("audited as %q", last.Actor)
	}

	// The same through the service's own server (api.Server with ServerOptions.TLS, as eseal
	// serve --tls-cert --client-ca runs it): TLS over its connection limit, r.TLS seen.
	serverKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serverDER, _ := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "eseal"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, ca, &serverKey.PublicKey, caKey)
	addr, _ := serveOps(t, NewRouter(Config{Anchors: store, Revocation: store, Store: store, RequireClientCert: true, TempDir: t.TempDir()}),
		ServerOptions{TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}},
			ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}})
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
	}
	get2 := func(c *http.Client) *http.Response {
		req, _ := http.NewRequest("GET", "https://"+addr+"/v1/tokens", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	checkProblem(t, get2(client()), 401, "unauthenticated")
	if resp := get2(client(tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey})); resp.StatusCode != 200 {
		t.Errorf("api.Server with TLS and a client certificate: %d", resp.StatusCode)
	}
}

// TestVerifyDetachedRoute: POST /v1/verify with "file" and "signature" verifies a detached
// signature (SES and CMS); a changed file fails; a bad signature field is refused.
func TestVerifyDetachedRoute(t *testing.T) {
	p := newPrivileged(t, Config{})
	material := []byte("申请材料：营业执照副本扫描件")
	for _, format := range []string{"ses", "cms"} {
		body, ct := signForm(t, material, "材料.txt", map[string]string{"seal": p.esID, "detached": format})
		resp := p.do(certstore.RoleIssuer, "POST", "/v1/sign", ct, body)
		sig, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: sign: %d %s", format, resp.StatusCode, sig)
		}
		verifyForm := func(doc, sig []byte, extra ...string) *http.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for range extra {
				sw, _ := mw.CreateFormFile("signature", "sig")
				sw.Write(sig)
			}
			if sig != nil { // the signature first: then the file may be anything
				sw, _ := mw.CreateFormFile("signature", "材料.txt."+format)
				sw.Write(sig)
			}
			fw, _ := mw.CreateFormFile("file", "材料.txt")
			fw.Write(doc)
			mw.Close()
			resp, err := http.Post(p.srv.URL+"/v1/verify", mw.FormDataContentType(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		if rep := decode[verify.Report](t, verifyForm(material, sig)); rep.Indication != verify.TotalPassed {
			t.Errorf("%s: %s", format, rep.Indication)
		}
		if rep := decode[verify.Report](t, verifyForm(append(bytes.Clone(material), '!'), sig)); rep.Indication != verify.TotalFailed {
			t.Errorf("%s, changed file: %s", format, rep.Indication)
		}
		checkProblem(t, verifyForm(material, []byte("not a signature")), 422, "unusable_document")
		checkProblem(t, verifyForm(material, []byte{}), 400, "bad_request")
		checkProblem(t, verifyForm(material, sig, "again"), 400, "bad_request")
		// The file first and no signature before it: not a document, refused on its first bytes.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "材料.txt")
		fw.Write(material)
		sw, _ := mw.CreateFormFile("signature", "sig")
		sw.Write(sig)
		mw.Close()
		resp, err := http.Post(p.srv.URL+"/v1/verify", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		if pr := checkProblem(t, resp, 422, "unusable_document"); !strings.Contains(pr.Detail, `send the field "signature" before "file"`) {
			t.Errorf("the refusal does not say what to do: %s", pr.Detail)
		}
	}
}

// TestTrustRoutes: region A exports its bundle over the API and publishes it; region B's admin
// imports it with A's root fingerprint; replays, wrong fingerprints and damaged bundles are
// refused; GET /v1/trust shows whom B trusts.
func TestTrustRoutes(t *testing.T) {
	a := newPrivileged(t, Config{})
	b := newPrivileged(t, Config{})
	checkProblem(t, a.doJSON(certstore.RoleAdmin, "POST", "/v1/trust/bundle", ""), 400, "bad_request") // no public URL yet
	checkProblem(t, a.doJSON("", "GET", "/v1/trust/bundle", ""), 404, "not_found")
	if _, err := a.store.SetPublicURL(a.srv.URL); err != nil {
		t.Fatal(err)
	}
	checkProblem(t, a.doJSON(certstore.RoleAdmin, "POST", "/v1/trust/bundle?validity=soon", ""), 400, "bad_request")
	resp := a.doJSON(certstore.RoleAdmin, "POST", "/v1/trust/bundle?validity=720h", "")
	bundle, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fp := resp.Header.Get("Eseal-Root-Fingerprint")
	if resp.StatusCode != 201 || len(fp) != 64 {
		t.Fatalf("export: %d %s", resp.StatusCode, bundle)
	}
	resp = a.doJSON("", "GET", "/v1/trust/bundle", "")
	published, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(published, bundle) {
		t.Fatalf("published: %d", resp.StatusCode)
	}
	upper := strings.ToUpper(fp[:2] + ":" + fp[2:])
	imp := decodeStatus[importResult](t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint="+upper+"&note=杭州", "application/json", bytes.NewReader(bundle)), 200)
	if imp.Region != "330100" || imp.Sequence != 1 || len(imp.Added) != 1 || !strings.Contains(imp.Added[0], "杭州市行政审批局") {
		t.Errorf("import: %+v", imp)
	}
	checkProblem(t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint="+fp, "application/json", bytes.NewReader(bundle)), 409, "conflict")
	other := strings.Repeat("ab", 32)
	checkProblem(t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint="+other, "application/json", bytes.NewReader(bundle)), 422, "bundle_refused")
	checkProblem(t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint=xyz", "application/json", bytes.NewReader(bundle)), 400, "bad_request")
	checkProblem(t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint="+fp, "application/json", strings.NewReader("{}")), 422, "bundle_refused")
	checkProblem(t, b.do(certstore.RoleAdmin, "POST", "/v1/trust/import?fingerprint="+fp, "application/json", bytes.NewReader(make([]byte, 2<<20))), 413, "too_large")
	view := decodeStatus[trustView](t, b.doJSON("", "GET", "/v1/trust", ""), 200)
	if len(view.Anchors) != 2 || len(view.Bundles) != 1 || view.Bundles[0].RegionCode != "330100" || view.Bundles[0].Raw != nil {
		t.Errorf("B trusts: %+v", view)
	}
}

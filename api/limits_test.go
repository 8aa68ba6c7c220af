package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

// opsStore is a store with a region and a seal, and a licence sealed twice with it.
func opsStore(t *testing.T) (*certstore.Store, []byte) {
	t.Helper()
	store, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("ops test")})
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
	sealer := sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}
	doc := testpdf.DefaultLicence.Bytes()
	for range 2 {
		var out bytes.Buffer
		if _, err := sign.SignPDF(bytes.NewReader(doc), &out, sealer, sign.PDFOptions{}); err != nil {
			t.Fatal(err)
		}
		doc = out.Bytes()
	}
	return store, doc
}

// serveOps runs h under NewServer(opts) on loopback and returns its address.
func serveOps(t *testing.T, h http.Handler, opts ServerOptions) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

// rawRequest sends head (the request line and headers, without the blank line) and body on a
// new connection, and leaves the connection open.
func rawRequest(t *testing.T, addr, head string, body []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(body); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads the answer on c, waiting at most 10 s: the status code and body, or 0 when
// the server closed the connection without answering.
func readAnswer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no answer within 10 s")
		}
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitClosed waits at most 10 s for the server to close c.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a stalled connection open for 10 s")
	}
}

func noUploadsLeft(t *testing.T, dir string) {
	t.Helper()
	// The handler removes its file when it returns, which may be just after the answer.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(dir, UploadFilePrefix+"*"))
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("temporary uploads left behind: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUploadKind(t *testing.T) {
	for _, tc := range []struct {
		head []byte
		want string
	}{
		{[]byte("%PDF-1.7\n"), "pdf"},
		{append(bytes.Repeat([]byte{' '}, 1000), "%PDF-1.4"...), "pdf"}, // junk before the header
		{[]byte("PK\x03\x04\x14\x00"), "ofd"},
		{[]byte{0x30, 0x82, 0x05, 0x10}, "signature"},
		{[]byte{0x30, 0x03, 0x02, 0x01, 0x01}, ""}, // too short to be a signature
		{[]byte("PK\x05\x06"), ""},                 // an empty zip
		{[]byte("hello"), ""},
		{[]byte("<html>%PD"), ""},
		{[]byte("签章"), ""},
	} {
		if got := uploadKind(tc.head); got != tc.want {
			t.Errorf("uploadKind(%q) = %q, want %q", tc.head[:min(len(tc.head), 12)], got, tc.want)
		}
	}
}

// TestUploadRefusedEarly: uploads are refused before they are read whole: a declared
// Content-Length over the limit at once, a body that is no document after its first bytes. Each
// client sends a few bytes and then waits: an answer can only come from an early refusal.
func TestUploadRefusedEarly(t *testing.T) {
	store, _ := opsStore(t)
	tempDir := t.TempDir()
	h := NewRouter(Config{Anchors: store, Revocation: store, TempDir: tempDir, MaxUploadBytes: 1 << 20})
	addr, _ := serveOps(t, h, ServerOptions{UploadGrace: time.Minute})
	for _, tc := range []struct {
		name       string
		head       string
		body       string
		wantStatus int
		wantText   string
	}{
		{"declared too large", "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nContent-Length: 1073741824",
			"%PDF", 413, "larger than the limit of 1048576 bytes"},
		{"declared too large multipart", "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=b\nContent-Length: 2000000",
			"--b\r\n", 413, "larger than the limit"},
		{"not a document", "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nContent-Length: 500000",
			"<html><body>" + strings.Repeat("x", 1100), 422, `starts with \"\u003chtml\u003e\u003cbody\u003exxxx\"`},
		{"not a document, chunked", "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nTransfer-Encoding: chunked",
			fmt.Sprintf("%x\r\n%s\r\n", 1100, strings.Repeat("z", 1100)), 422, "not a PDF"},
		{"multipart file not a document", "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=b\nContent-Length: 500000",
			"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\nMZ\x90\x00" + strings.Repeat("\x00", 1100), 422, "not a PDF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawRequest(t, addr, tc.head, []byte(tc.body))
			status, body := readAnswer(t, c)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Errorf("got %d %s, want %d with %q", status, body, tc.wantStatus, tc.wantText)
			}
		})
	}
	noUploadsLeft(t, tempDir)
}

// TestMultipartNeedsFileField: the document is the multipart field "file", never another file
// part that comes first.
func TestMultipartNeedsFileField(t *testing.T) {
	store, signed := opsStore(t)
	h := NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()})
	addr, _ := serveOps(t, h, ServerOptions{})
	post := func(fields ...string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, f := range fields {
			fw, _ := mw.CreateFormFile(f, f+".pdf")
			fw.Write(signed)
		}
		mw.Close()
		resp, err := http.Post("http://"+addr+"/v1/verify", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := post("document"); status != 400 || !strings.Contains(body, `no \"file\" field`) {
		t.Errorf("a file part named document: %d %s, want 400", status, body)
	}
	status, body := post("attachment", "file")
	var rep verify.Report
	json.Unmarshal([]byte(body), &rep)
	if status != 200 || rep.Document.Name != "file.pdf" {
		t.Errorf("field file after another file part: %d, document %q, want file.pdf", status, rep.Document.Name)
	}
}

// TestSlowClientsCutOff: a client that stalls in its headers, or sends a few bytes of its body
// and stops, is disconnected after the grace period (408 for the body); a client that sends at
// a good rate is served.
func TestSlowClientsCutOff(t *testing.T) {
	store, signed := opsStore(t)
	tempDir := t.TempDir()
	h := NewRouter(Config{Anchors: store, Revocation: store, TempDir: tempDir})
	addr, _ := serveOps(t, h, ServerOptions{ReadHeaderTimeout: 300 * time.Millisecond, UploadGrace: 300 * time.Millisecond, MinUploadRate: 64 << 10})

	t.Run("stalled body", func(t *testing.T) {
		c := rawRequest(t, addr, "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nContent-Length: 1000000", []byte("%PDF"))
		status, body := readAnswer(t, c)
		if status != http.StatusRequestTimeout || !strings.Contains(body, "slower than the server's minimum rate") {
			t.Errorf("got %d %s, want 408", status, body)
		}
		waitClosed(t, c)
	})
	t.Run("trickling body", func(t *testing.T) {
		// One byte every 50 ms: always moving, far below the rate.
		c := rawRequest(t, addr, "POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nContent-Length: 1000000", []byte("%PDF-1.7\n"))
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					if _, err := c.Write([]byte{'x'}); err != nil {
						return
					}
				}
			}
		}()
		if status, body := readAnswer(t, c); status != http.StatusRequestTimeout {
			t.Errorf("got %d %s, want 408", status, body)
		}
	})
	t.Run("stalled headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		waitClosed(t, c)
	})
	t.Run("good client", func(t *testing.T) {
		resp, err := http.Post("http://"+addr+"/v1/verify", "application/pdf", bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		var rep verify.Report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != 200 || rep.Indication != verify.TotalPassed {
			t.Errorf("got %d %s %v", resp.StatusCode, rep.Indication, err)
		}
		resp.Body.Close()
	})
	noUploadsLeft(t, tempDir)
}

// TestHeaderLimit: a 1 MB header is refused with 431.
func TestHeaderLimit(t *testing.T) {
	addr, _ := serveOps(t, NewRouter(Config{TempDir: t.TempDir()}), ServerOptions{})
	c := rawRequest(t, addr, "GET /healthz HTTP/1.1\nHost: x\nX-Big: "+strings.Repeat("a", 1<<20), nil)
	if status, body := readAnswer(t, c); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("1 MB header: %d %s, want 431", status, body)
	}
	c = rawRequest(t, addr, "GET /healthz HTTP/1.1\nHost: x\nX-Fair: "+strings.Repeat("a", 32<<10), nil)
	if status, body := readAnswer(t, c); status != http.StatusOK {
		t.Errorf("32 KiB header: %d %s, want 200", status, body)
	}
}

// TestStalledConnectionsLeaveHealthChecks: 250 connections that stall (in their headers or their
// bodies), more than the server's connection bound, do not stop /healthz and /readyz from
// answering; other requests beyond the bound are answered 503; once the stalled clients go, the
// service answers again.
func TestStalledConnectionsLeaveHealthChecks(t *testing.T) {
	store, signed := opsStore(t)
	h := NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir()})
	addr, _ := serveOps(t, h, ServerOptions{MaxConns: 100, MaxOverflowConns: 200, ReadHeaderTimeout: time.Minute, UploadGrace: time.Minute})
	var stalled []net.Conn
	for i := range 250 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 0 {
			io.WriteString(c, "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\nContent-Length: 1000000\r\n\r\n%PDF")
		} else {
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		}
		stalled = append(stalled, c)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// The stalled connections are accepted one by one: wait until the bound is reached.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := get("/v1/events")
		if status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /v1/events with 250 stalled connections: %d, want 503 once the bound is reached", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 20 {
		if status, body := get("/healthz"); status != 200 {
			t.Fatalf("/healthz with 250 stalled connections: %d %s", status, body)
		}
		if status, body := get("/readyz"); status != 200 {
			t.Fatalf("/readyz with 250 stalled connections: %d %s", status, body)
		}
	}
	resp, err := client.Post("http://"+addr+"/v1/verify", "application/pdf", strings.NewReader("%PDF-1.7\n"+strings.Repeat("x", 4000)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("verify beyond the bound: %d %s, want 503 with Retry-After", resp.StatusCode, body)
	}
	for _, c := range stalled {
		c.Close()
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Post("http://"+addr+"/v1/verify", "application/pdf", bytes.NewReader(signed))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify after the stalled clients left: %d", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRateLimit: the public routes allow RateLimit requests a minute per client, then answer 429
// with Retry-After; the health checks and the metrics are not limited.
func TestRateLimit(t *testing.T) {
	store, _ := opsStore(t)
	srv := NewRouter(Config{Anchors: store, Revocation: store, Events: store, TempDir: t.TempDir(), Ops: Operations{RateLimit: 3}})
	addr, _ := serveOps(t, srv, ServerOptions{})
	get := func(path string) *http.Response {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for range 10 {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if resp := get(path); resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d, want 200 (not limited)", path, resp.StatusCode)
			}
		}
	}
	for i := range 3 {
		if resp := get("/v1/events"); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, err := http.Post("http://"+addr+"/v1/verify", "application/pdf", strings.NewReader("%PDF-1.7"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "at most 3 a minute") {
		t.Errorf("4th public request: %d %q %s, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp := get("/v1/nothing"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("unmatched route: %d, want 429 (limited as public)", resp.StatusCode)
	}
}

// TestPublicRoutesExist: every pattern the rate limit treats as public is a route.
func TestPublicRoutesExist(t *testing.T) {
	routes := map[string]bool{}
	chi.Walk(NewRouter(Config{}).(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[route] = true
		return nil
	})
	for p := range publicRoutes {
		if !routes[p] {
			t.Errorf("public route %s is not in the router", p)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if !routes[p] || publicRoutes[p] {
			t.Errorf("%s: routed %v, public %v", p, routes[p], publicRoutes[p])
		}
	}
}

// blockingChecker holds every revocation question until release is closed; entered is signalled
// at the first.
type blockingChecker struct {
	inner   verify.RevocationChecker
	entered chan struct{}
	once    sync.Once
	release chan struct{}
}

func (b *blockingChecker) CertificateStatus(cert, issuer *smcrypto.Certificate) (verify.RevocationStatus, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return b.inner.CertificateStatus(cert, issuer)
}

// scrape returns the value of one metric series (name and labels as exposed) from /metrics.
func scrape(t *testing.T, url, series string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics:\n%s", series, body)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerificationCancelled: the request's context reaches the verifier. A client goes away
// while its document (two signatures) is being verified, held at the first signature's
// revocation question; the verification then stops before the second signature and gives no
// report.
func TestVerificationCancelled(t *testing.T) {
	store, signed := opsStore(t)
	checker := &blockingChecker{inner: store, entered: make(chan struct{}), release: make(chan struct{})}
	tempDir := t.TempDir()
	router := NewRouter(Config{Anchors: store, Revocation: checker, TempDir: tempDir})
	requestCtx := make(chan context.Context, 1)
	handlerDone := make(chan struct{})
	var first sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isFirst := false
		first.Do(func() { isFirst = true })
		if !isFirst {
			router.ServeHTTP(w, r)
			return
		}
		requestCtx <- r.Context()
		defer close(handlerDone)
		router.ServeHTTP(w, r)
	})
	addr, _ := serveOps(t, h, ServerOptions{})
	base := "http://" + addr

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/verify", bytes.NewReader(signed))
	clientDone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		clientDone <- err
	}()
	select {
	case <-checker.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the verification never asked about revocation")
	}
	cancel() // the client goes away
	if err := <-clientDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	select {
	case <-(<-requestCtx).Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not notice that the client went away")
	}
	close(checker.release)
	select {
	case <-handlerDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the verification did not stop")
	}
	if got := scrape(t, base, `eseal_verifications_aborted_total{reason="cancelled"}`); got != 1 {
		t.Errorf("cancelled verifications: %v, want 1", got)
	}
	for _, ind := range []string{"TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"} {
		if got := scrape(t, base, `eseal_verifications_total{format="pdf",indication="`+ind+`"}`); got != 0 {
			t.Errorf("%s reports: %v, want none", ind, got)
		}
	}
	noUploadsLeft(t, tempDir)
	// The same document, with a client that waits, is verified.
	resp, err := http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(signed))
	if err != nil {
		t.Fatal(err)
	}
	var rep verify.Report
	json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Errorf("waiting client: %s with %d signatures", rep.Indication, len(rep.Signatures))
	}
}

// TestVerificationBound: with one verification allowed at a time, a second waits for the queue
// wait and is answered 503 with Retry-After; once the first is done, verifications run again.
func TestVerificationBound(t *testing.T) {
	store, signed := opsStore(t)
	checker := &blockingChecker{inner: store, entered: make(chan struct{}), release: make(chan struct{})}
	router := NewRouter(Config{Anchors: store, Revocation: checker, TempDir: t.TempDir(),
		Ops: Operations{MaxVerifications: 1, QueueWait: 200 * time.Millisecond}})
	addr, _ := serveOps(t, router, ServerOptions{})
	base := "http://" + addr
	first := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(signed))
		if err != nil {
			t.Error(err)
		}
		first <- resp
	}()
	<-checker.entered
	resp, err := http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(signed))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "try again") {
		t.Errorf("second verification: %d %q %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	close(checker.release)
	if resp := <-first; resp == nil || resp.StatusCode != 200 {
		t.Fatalf("first verification: %v", resp)
	}
	if got := scrape(t, base, `eseal_verifications_aborted_total{reason="busy"}`); got != 1 {
		t.Errorf("busy: %v, want 1", got)
	}
	resp, err = http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(signed))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the first: %d", resp.StatusCode)
	}
}

// TestVerifyGateMemory: the running verifications hold at most VerifyMemory bytes of uploads
// together; a wait ends with the client's context (its error, not 503).
func TestVerifyGateMemory(t *testing.T) {
	cfg := newOps(Operations{MaxVerifications: 10, VerifyMemory: 10 << 20, QueueWait: 100 * time.Millisecond}, nil).gate
	ctx := context.Background()
	big, err := cfg.enter(ctx, 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.enter(ctx, 8<<20); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a second 8 MiB upload beside the first: %v, want 503", err)
	}
	small, err := cfg.enter(ctx, 1000) // counts as 1 MiB: fits
	if err != nil {
		t.Errorf("a small upload beside it: %v", err)
	}
	small()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cfg.enter(cancelled, 8<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("a client gone while waiting: %v, want context.Canceled", err)
	}
	huge, err := func() (func(), error) { big(); return cfg.enter(ctx, 1<<40) }() // larger than the whole bound: runs alone
	if err != nil {
		t.Fatalf("an upload larger than the bound, alone: %v", err)
	}
	huge()
}

// TestRequestLog: one log line per request with its ID (answered as X-Request-Id), method,
// route pattern, status, duration and bytes; never the Authorization header nor the upload.
func TestRequestLog(t *testing.T) {
	store, signed := opsStore(t)
	var logBuf syncBuffer
	router := NewRouter(Config{Anchors: store, Revocation: store, Status: store, TempDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	addr, _ := serveOps(t, router, ServerOptions{})
	base := "http://" + addr
	const secret = "Bearer esk_7f3c9a0d1e2b4c6a8e0f"
	do := func(method, path, reqID string, body []byte) *http.Response {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", secret)
		if reqID != "" {
			req.Header.Set("X-Request-Id", reqID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := do("POST", "/v1/verify", "trace-42", signed)
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "trace-42" {
		t.Errorf("verify: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	resp = do("GET", "/v1/status/seal/33010000000001", "bad id with spaces", nil)
	genID := resp.Header.Get("X-Request-Id")
	if genID == "" || strings.Contains(genID, " ") {
		t.Errorf("an unusable client ID: answered %q, want a fresh one", genID)
	}
	do("GET", "/v1/no/such/route", "", nil)

	type line struct {
		Msg       string
		RequestID string `json:"request_id"`
		Method    string
		Route     string
		Status    int
		Duration  int64
		BytesIn   int64 `json:"bytes_in"`
		BytesOut  int64 `json:"bytes_out"`
	}
	var lines []line
	logText := logBuf.String()
	for _, l := range strings.Split(strings.TrimSpace(logText), "\n") {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if v.Msg == "request" {
			lines = append(lines, v)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(lines), logText)
	}
	if l := lines[0]; l.RequestID != "trace-42" || l.Method != "POST" || l.Route != "/v1/verify" || l.Status != 200 || l.Duration <= 0 || l.BytesIn != int64(len(signed)) || l.BytesOut == 0 {
		t.Errorf("verify line: %+v", l)
	}
	if l := lines[1]; l.RequestID != genID || l.Route != "/v1/status/seal/{id}" || l.Status != 200 {
		t.Errorf("status line: %+v (answered ID %q)", l, genID)
	}
	if l := lines[2]; l.Route != "unmatched" || l.Status != 404 {
		t.Errorf("unknown route line: %+v", l)
	}
	if strings.Contains(logText, "esk_7f3c") || strings.Contains(logText, "Bearer") || strings.Contains(logText, "%PDF") {
		t.Errorf("the log holds a secret or the upload:\n%s", logText)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMetrics: requests by route and status, verification reports by indication, and signings
// (ObserveSign) are counted.
func TestMetrics(t *testing.T) {
	store, signed := opsStore(t)
	metrics := NewMetrics()
	router := NewRouter(Config{Anchors: store, Revocation: store, TempDir: t.TempDir(), Ops: Operations{Metrics: metrics}})
	addr, _ := serveOps(t, router, ServerOptions{})
	base := "http://" + addr
	tampered := bytes.Replace(signed, []byte("Hangzhou Example"), []byte("Hangzhou Exampla"), 1)
	for _, doc := range [][]byte{signed, signed, tampered, []byte("%PDF-1.7 but nothing more")} {
		resp, err := http.Post(base+"/v1/verify", "application/pdf", bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	metrics.ObserveSign("pdf", true)
	metrics.ObserveSign("ofd", false)
	for series, want := range map[string]float64{
		`eseal_verifications_total{format="pdf",indication="TOTAL_PASSED"}`:                        2,
		`eseal_verifications_total{format="pdf",indication="TOTAL_FAILED"}`:                        1,
		`eseal_verifications_total{format="pdf",indication="INDETERMINATE"}`:                       0,
		`eseal_verifications_aborted_total{reason="unusable"}`:                                     1,
		`eseal_http_requests_total{method="POST",route="/v1/verify",status="200"}`:                 3,
		`eseal_http_requests_total{method="POST",route="/v1/verify",status="422"}`:                 1,
		`eseal_http_request_duration_seconds_count{method="POST",route="/v1/verify",status="200"}`: 3,
		`eseal_signatures_total{format="pdf",outcome="ok"}`:                                        1,
		`eseal_signatures_total{format="ofd",outcome="failed"}`:                                    1,
		`eseal_signatures_total{format="detached",outcome="ok"}`:                                   0,
		`eseal_verifications_in_flight`:                                                            0,
	} {
		if got := scrape(t, base, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// TestReadyz: /readyz says whether the service can answer, and why not.
func TestReadyz(t *testing.T) {
	var notReady error
	var mu sync.Mutex
	router := NewRouter(Config{TempDir: t.TempDir(), Ops: Operations{Ready: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return notReady
	}}})
	addr, _ := serveOps(t, router, ServerOptions{})
	get := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(); status != 200 || !strings.Contains(body, "ready") {
		t.Errorf("ready: %d %s", status, body)
	}
	mu.Lock()
	notReady = errors.New("shutting down")
	mu.Unlock()
	if status, body := get(); status != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("not ready: %d %s", status, body)
	}
}

// TestShutdown: Shutdown lets a request in flight finish; when its time runs out, a request
// still uploading is cut short, its handler returns and its temporary file is removed.
func TestShutdown(t *testing.T) {
	store, signed := opsStore(t)
	tempDir := t.TempDir()
	router := NewRouter(Config{Anchors: store, Revocation: store, TempDir: tempDir})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(router, ServerOptions{UploadGrace: time.Minute})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	waitUploads := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if left, _ := filepath.Glob(filepath.Join(tempDir, UploadFilePrefix+"*")); len(left) >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the upload never reached the server")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	head := fmt.Sprintf("POST /v1/verify HTTP/1.1\nHost: x\nContent-Type: application/pdf\nContent-Length: %d", len(signed))
	// One upload that will finish during the shutdown, one that never will.
	finishing := rawRequest(t, addr, head, signed[:len(signed)/2])
	stalled := rawRequest(t, addr, head, signed[:2000])
	waitUploads(2)
	shutdown := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	go func() { shutdown <- srv.Shutdown(ctx) }()
	// New connections are refused once the shutdown has begun.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections")
		}
		time.Sleep(5 * time.Millisecond)
	}
	finishing.Write(signed[len(signed)/2:])
	if status, body := readAnswer(t, finishing); status != 200 || !strings.Contains(body, "TOTAL_PASSED") {
		t.Errorf("the upload in flight: %d %s", status, body)
	}
	if err := <-shutdown; err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stalled upload: %v, want the deadline", err)
	}
	waitClosed(t, stalled)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tempDir, "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, err := os.Stat(tempDir); err != nil {
		t.Fatal(err)
	}
}

// TestClientIPBehindProxy: the rate limit's key is the connection's address, unless the
// connection comes from a trusted proxy: then the rightmost X-Forwarded-For hop that is not
// itself a trusted proxy. A client's own X-Forwarded-For is ignored.
func TestClientIPBehindProxy(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32")}
	for _, tc := range []struct {
		remote  string
		forward []string
		want    string
	}{
		{"203.0.113.7:5000", nil, "203.0.113.7"},
		{"203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},                  // not from a proxy: header ignored
		{"10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},                    // from the proxy
		{"10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"}, // a chain of proxies; the forged left hop ignored
		{"10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1, 192.168.1.1"}, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"garbage, 10.2.2.2"}, "10.2.2.2"}, // malformed hop: stop at the last good one
		{"10.1.2.3:5000", nil, "10.1.2.3"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.forward {
			r.Header.Add("X-Forwarded-For", v)
		}
		got, _ := clientIP(r, trusted)
		if got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.remote, tc.forward, got, tc.want)
		}
		if none, _ := clientIP(r, nil); tc.remote == "10.1.2.3:5000" && none != "10.1.2.3" {
			t.Errorf("without trusted proxies: %s", none)
		}
	}
}

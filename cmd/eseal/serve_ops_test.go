package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eseal/eseal/api"
)

// opsHarness is a crashHarness with a region, a seal and a signed licence (signed.pdf).
func opsHarness(t *testing.T) (*crashHarness, []byte) {
	t.Helper()
	bin, err := lookPathIn("eseal", os.Getenv("PATH"))
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "eso") // short: the admin socket's path is at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	h := &crashHarness{t: t, bin: bin, work: work,
		env: []string{"ESEAL_DATA=" + filepath.Join(work, "data"), "ESEAL_KEY_PASSPHRASE=ops test", "PATH=" + os.Getenv("PATH"), "HOME=" + work}}
	pdf, err := os.ReadFile(filepath.Join("..", "..", "testdata", "licence.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "licence.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	h.must("init", "--region", "330100", "--name", "杭州市行政审批局")
	h.must("seal", "new", "--name", "杭州市行政审批局行政审批专用章")
	h.must("sign", "--seal", "33010000000001", "--in", "licence.pdf", "--out", "signed.pdf", "--no-timestamp")
	signed, err := os.ReadFile(filepath.Join(work, "signed.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return h, signed
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveWith starts `eseal serve` with extra flags and returns it, its address and its stderr,
// once it answers /healthz.
func (h *crashHarness) serveWith(extra ...string) (*exec.Cmd, string, *lockedBuffer) {
	h.t.Helper()
	addrFile := filepath.Join(h.work, "addr")
	os.Remove(addrFile)
	cmd := exec.Command(h.bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile}, extra...)...)
	cmd.Dir, cmd.Env = h.work, h.env
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if addr, err := os.ReadFile(addrFile); err == nil {
			if resp, err := http.Get("http://" + strings.TrimSpace(string(addr)) + "/healthz"); err == nil {
				resp.Body.Close()
				return cmd, strings.TrimSpace(string(addr)), stderr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("the server did not start:\n%s", stderr)
	return nil, "", nil
}

func uploadFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, api.UploadFilePrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// waitFor polls cond every 10 ms for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitExit waits at most 30 s for the server to exit, and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr *lockedBuffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not exit within 30 s of SIGTERM:\n%s", stderr)
		return -1
	}
}

// startUpload sends the headers of a verification of doc and its first n bytes, and leaves the
// connection open.
func startUpload(t *testing.T, addr string, doc []byte, n int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /v1/verify HTTP/1.1\r\nHost: eseal\r\nContent-Type: application/pdf\r\nContent-Length: %d\r\n\r\n", len(doc))
	c.Write(doc[:n])
	return c
}

// TestServeShutdown: at start, the uploads a crash left in DATA/uploads are removed (and nothing
// else there). On SIGTERM during the upload of a document, the server stops taking connections,
// still receives and verifies the document and answers, then exits 0 with no temporary upload
// left.
func TestServeShutdown(t *testing.T) {
	h, signed := opsHarness(t)
	uploads := filepath.Join(h.work, "data", "uploads")
	if err := os.MkdirAll(uploads, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{api.UploadFilePrefix + "123", api.UploadFilePrefix + "456", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(uploads, name), []byte("left by a crash"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd, addr, stderr := h.serveWith("--shutdown-timeout", "30s")
	if left := uploadFiles(t, uploads); len(left) != 0 {
		t.Errorf("stale uploads not removed at start: %v", left)
	}
	if _, err := os.Stat(filepath.Join(uploads, "notes.txt")); err != nil {
		t.Errorf("a file that is no upload was removed: %v", err)
	}
	if !strings.Contains(stderr.String(), "removed temporary uploads left by an earlier run") || !strings.Contains(stderr.String(), "count=2") {
		t.Errorf("the sweep is not logged:\n%s", stderr)
	}

	c := startUpload(t, addr, signed, len(signed)/2)
	waitFor(t, "the upload to reach the server", func() bool { return len(uploadFiles(t, uploads)) == 1 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the server to stop taking connections", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	c.Write(signed[len(signed)/2:])
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to the upload in flight: %v\n%s", err, stderr)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"indication":"TOTAL_PASSED"`)) {
		t.Errorf("the verification in flight: %d %s", resp.StatusCode, body)
	}
	if code := waitExit(t, cmd, stderr); code != 0 {
		t.Errorf("exit code %d after SIGTERM:\n%s", code, stderr)
	}
	if left := uploadFiles(t, uploads); len(left) != 0 {
		t.Errorf("temporary uploads left after shutdown: %v", left)
	}
	if log := stderr.String(); !strings.Contains(log, "shutting down") || strings.Contains(log, "cut short") {
		t.Errorf("the shutdown log:\n%s", log)
	}
}

// TestServeShutdownCutsStalled: an upload that never ends does not hold the shutdown past
// --shutdown-timeout: its client sees the connection closed, the server exits 0, and its
// temporary file is gone.
func TestServeShutdownCutsStalled(t *testing.T) {
	h, signed := opsHarness(t)
	uploads := filepath.Join(h.work, "data", "uploads")
	cmd, addr, stderr := h.serveWith("--shutdown-timeout", "1s", "--upload-grace", "5m")
	c := startUpload(t, addr, signed, 4000)
	waitFor(t, "the upload to reach the server", func() bool { return len(uploadFiles(t, uploads)) == 1 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the stalled upload's connection stayed open")
		}
	}
	if code := waitExit(t, cmd, stderr); code != 0 {
		t.Errorf("exit code %d:\n%s", code, stderr)
	}
	if left := uploadFiles(t, uploads); len(left) != 0 {
		t.Errorf("temporary uploads left after shutdown: %v", left)
	}
	if !strings.Contains(stderr.String(), "requests in flight were cut short") {
		t.Errorf("the cut is not logged:\n%s", stderr)
	}
}

// TestServeLimits: the real server refuses a 1 MB header (431) and cuts off an upload that
// stalls (408); it logs JSON request lines with request IDs, and serves /readyz and /metrics.
func TestServeLimits(t *testing.T) {
	h, signed := opsHarness(t)
	_, addr, stderr := h.serveWith("--upload-grace", "500ms", "--log-format", "json")
	answer := func(c net.Conn) (int, string) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: eseal\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 1<<20))
	if status, body := answer(c); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("1 MB header: %d %s", status, body)
	}
	c = startUpload(t, addr, signed, 4)
	if status, body := answer(c); status != http.StatusRequestTimeout {
		t.Errorf("stalled upload: %d %s", status, body)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/verify", bytes.NewReader(signed))
	req.Header.Set("X-Request-Id", "ops-test-1")
	req.Header.Set("Authorization", "Bearer tok_secret_value")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "ops-test-1" {
		t.Errorf("verify: %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	for _, path := range []string{"/readyz", "/metrics"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		if path == "/metrics" && !bytes.Contains(body, []byte(`eseal_verifications_total{format="pdf",indication="TOTAL_PASSED"} 1`)) {
			t.Errorf("/metrics does not count the verification:\n%s", body)
		}
	}
	waitFor(t, "the request line in the log", func() bool {
		return strings.Contains(stderr.String(), `"request_id":"ops-test-1","method":"POST","route":"/v1/verify","status":200`)
	})
	if strings.Contains(stderr.String(), "tok_secret") {
		t.Errorf("the log holds the token:\n%s", stderr)
	}
}

// TestServeHealthAddr: --health-addr answers /healthz and /readyz (and nothing else) on an
// address of its own, which clients holding the main listener's connections cannot starve; a
// taken address is a usage error.
func TestServeHealthAddr(t *testing.T) {
	h, _ := opsHarness(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	healthAddr := probe.Addr().String()
	probe.Close()
	_, addr, _ := h.serveWith("--health-addr", healthAddr, "--max-conns", "2")
	// Fill the main listener's connections (and its overflow) with clients that send nothing.
	var stalled []net.Conn
	for range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		stalled = append(stalled, c)
	}
	defer func() {
		for _, c := range stalled {
			c.Close()
		}
	}()
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{{"/healthz", 200, `"ok"`}, {"/readyz", 200, `"ready"`}, {"/v1/verify", 404, ""}, {"/", 404, ""}} {
		resp, err := http.Get("http://" + healthAddr + tc.path)
		if err != nil {
			t.Fatalf("%s on the health address: %v", tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
	}
	if _, stderr, code := h.run("serve", "--addr", "127.0.0.1:0", "--health-addr", "256.0.0.1:1"); code != exitUsage || !strings.Contains(stderr, "--health-addr") {
		t.Errorf("a bad health address: exit %d, %s", code, stderr)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/status"
)

// crashHarness runs the eseal binary (testscript.Main puts it on PATH) on one data directory.
type crashHarness struct {
	t    *testing.T
	bin  string
	work string
	env  []string
}

func (h *crashHarness) run(args ...string) (stdout, stderr string, code int) {
	cmd := exec.Command(h.bin, args...)
	cmd.Dir, cmd.Env = h.work, h.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		h.t.Fatalf("eseal %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func (h *crashHarness) must(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(args...)
	if code != 0 {
		h.t.Fatalf("eseal %v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// serve starts the service, with extra flags, and returns its base URL once it answers.
func (h *crashHarness) serve(extra ...string) (*exec.Cmd, string) {
	h.t.Helper()
	addrFile := filepath.Join(h.work, "addr")
	os.Remove(addrFile)
	cmd := exec.Command(h.bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--webhook-max-backoff", "1s"}, extra...)...)
	cmd.Dir, cmd.Env = h.work, h.env
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if addr, err := os.ReadFile(addrFile); err == nil {
			base := "http://" + strings.TrimSpace(string(addr))
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				if _, err := os.Stat(filepath.Join(h.work, "data", adminSocketName)); err == nil {
					return cmd, base
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("the server did not start")
	return nil, ""
}

// TestCrashSafety kills the service (SIGKILL) in the middle of a burst of revocations and
// licence changes made through its admin socket, while the departments' webhook is down. After a
// restart, every change that was acknowledged (exit 0) is in the store; the CRL, the signed
// statuses and the event log agree with the store; and once the webhook is back, it receives
// every event, in order.
func TestCrashSafety(t *testing.T) {
	bin, err := lookPathIn("eseal", os.Getenv("PATH"))
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "esc") // short: the admin socket's path is at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	h := &crashHarness{t: t, bin: bin, work: work,
		env: []string{"ESEAL_DATA=" + filepath.Join(work, "data"), "ESEAL_KEY_PASSPHRASE=crash test", "PATH=" + os.Getenv("PATH"), "HOME=" + work, "USER=审批科"}}
	pdf, err := os.ReadFile(filepath.Join("..", "..", "testdata", "licence.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "licence.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}

	// The department's webhook: down until the end.
	var up atomic.Bool
	var mu sync.Mutex
	var received []uint64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var ev eventlog.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, ev.Seq)
		mu.Unlock()
	}))
	defer hook.Close()

	h.must("init", "--region", "330100", "--name", "杭州市")
	h.must("webhook", "add", hook.URL, "--note", "市市场监管局")
	h.must("region", "--export-root", "root.pem")
	server, base := h.serve()

	// Through the server: seals and licences to change.
	const n = 8
	serialRe := regexp.MustCompile(`signer certificate serial ([0-9a-f]+)\n(\d+)`)
	var esIDs, serials, licences []string
	for i := range 2 * n {
		m := serialRe.FindStringSubmatch(h.must("seal", "new", "--name", fmt.Sprintf("杭州市行政审批局专用章%d", i)))
		if m == nil {
			t.Fatal("seal new: no serial and esID")
		}
		serials, esIDs = append(serials, m[1]), append(esIDs, m[2])
	}
	for i := range 2 * n {
		id := fmt.Sprintf("LOCAL-2026-%04d", i+1)
		h.must("sign", "--seal", esIDs[0], "--in", "licence.pdf", "--out", fmt.Sprintf("l%d.pdf", i), "--no-timestamp", "--licence-id", id, "--holder", "杭州某某有限公司")
		licences = append(licences, id)
	}
	type op struct {
		args    []string
		kind    string // seal, cert, licence
		subject string
		state   string
	}
	var ops []op
	for i := range n {
		ops = append(ops,
			op{[]string{"revoke", "seal", esIDs[i], "--reason", "keyCompromise"}, "seal", esIDs[i], "revoked"},
			op{[]string{"revoke", "cert", serials[n+i], "--reason", "cessationOfOperation"}, "cert", serials[n+i], "revoked"})
	}
	ends := []string{"revoke", "withdraw", "cancel", "change"}
	for i, id := range licences {
		end := ends[i%len(ends)]
		args := []string{"licence", end, id, "--reason", "未履行承诺", "--basis", "《条例》第三十二条"}
		if end == "change" {
			args = append(args, "--to", fmt.Sprintf("LOCAL-2027-%04d", i+1))
		}
		state := map[string]string{"revoke": "revoked", "withdraw": "withdrawn", "cancel": "cancelled", "change": "changed"}[end]
		ops = append(ops, op{args, "licence", id, state})
	}

	// The burst, four clients at once; the server is killed when half of it is acknowledged.
	var acked []op
	var ackMu sync.Mutex
	killed := make(chan struct{})
	var killOnce sync.Once
	work2 := make(chan op)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work2 {
				_, _, code := h.run(o.args...)
				if code != 0 {
					continue // not acknowledged: it may or may not have been made
				}
				ackMu.Lock()
				acked = append(acked, o)
				if len(acked) == len(ops)/2 {
					killOnce.Do(func() {
						server.Process.Kill() // SIGKILL
						server.Wait()
						close(killed)
					})
				}
				ackMu.Unlock()
			}
		}()
	}
	for _, o := range ops {
		work2 <- o
	}
	close(work2)
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d changes acknowledged: the server was never killed", len(acked), len(ops))
	}
	t.Logf("%d of %d changes acknowledged around the kill", len(acked), len(ops))

	_, base = h.serve()

	// Every acknowledged change is there.
	var revs struct {
		Certificates []certstore.Revocation
		Seals        []certstore.SealRevocation
	}
	if err := json.Unmarshal([]byte(h.must("revocations", "list", "--json")), &revs); err != nil {
		t.Fatal(err)
	}
	revokedCerts, revokedSeals := map[string]bool{}, map[string]bool{}
	for _, r := range revs.Certificates {
		revokedCerts[r.Serial] = true
	}
	for _, r := range revs.Seals {
		revokedSeals[r.ESID] = true
	}
	licenceState := map[string]string{}
	for _, id := range licences {
		var lic certstore.LicenceRecord
		if err := json.Unmarshal([]byte(h.must("licence", "show", id, "--json")), &lic); err != nil {
			t.Fatal(err)
		}
		licenceState[id] = lic.State
	}
	for _, o := range acked {
		switch o.kind {
		case "seal":
			if !revokedSeals[o.subject] {
				t.Errorf("acknowledged revocation of seal %s lost", o.subject)
			}
		case "cert":
			if !revokedCerts[o.subject] {
				t.Errorf("acknowledged revocation of certificate %s lost", o.subject)
			}
		case "licence":
			if licenceState[o.subject] != o.state {
				t.Errorf("acknowledged change of licence %s to %s lost: %s", o.subject, o.state, licenceState[o.subject])
			}
		}
	}

	// The CRL lists exactly the store's revoked certificates; the statuses say what the store says.
	rootPEM, err := os.ReadFile(filepath.Join(work, "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots, err := smcrypto.ParseCertificates(rootPEM)
	if err != nil {
		t.Fatal(err)
	}
	root := roots[0]
	get := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", path, resp.Status, body)
		}
		return body
	}
	issuer := fmt.Sprintf("%x", root.SubjectKeyId)
	crl, err := smcrypto.ParseCRL(get("/v1/crl/" + issuer))
	if err != nil || crl.CheckSignatureFrom(root) != nil {
		t.Fatalf("the CRL: %v", err)
	}
	inCRL := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		inCRL[fmt.Sprintf("%x", e.SerialNumber)] = true
	}
	for serial := range revokedCerts {
		if !inCRL[serial] {
			t.Errorf("revoked certificate %s is not in the CRL", serial)
		}
	}
	if len(inCRL) != len(revokedCerts) {
		t.Errorf("the CRL lists %d certificates, the store %d revoked", len(inCRL), len(revokedCerts))
	}
	checkStatus := func(path, want string) {
		st, err := status.Verify(get(path), roots, time.Now())
		if err != nil || st.State != want {
			t.Errorf("%s: %+v %v, want %s", path, st, err, want)
		}
	}
	for i := range n {
		checkStatus("/v1/status/seal/"+esIDs[i], map[bool]string{true: "revoked", false: "good"}[revokedSeals[esIDs[i]]])
		checkStatus("/v1/status/cert/"+issuer+"/"+serials[n+i], map[bool]string{true: "revoked", false: "good"}[revokedCerts[serials[n+i]]])
	}
	for _, id := range licences {
		checkStatus("/v1/status/licence/"+id, licenceState[id])
	}

	// The event log: whole, signed, and one event per change in the store.
	var all []eventlog.Event
	for after := uint64(0); ; {
		var page struct {
			Events []eventlog.Event
			Next   uint64
		}
		if err := json.Unmarshal(get(fmt.Sprintf("/v1/events?after=%d&limit=1000", after)), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			break
		}
		all, after = append(all, page.Events...), page.Next
	}
	if err := eventlog.VerifyChain(all, root, 0, ""); err != nil {
		t.Fatalf("the event log after the crash: %v", err)
	}
	changeEvents := 0
	for _, ev := range all {
		if ev.Type != eventlog.TypeIssuance {
			changeEvents++
		}
	}
	changed := len(revokedCerts) + len(revokedSeals)
	for _, st := range licenceState {
		if st != certstore.LicenceInForce {
			changed++
		}
	}
	if changeEvents != changed {
		t.Errorf("%d change events, %d changes in the store", changeEvents, changed)
	}

	// The webhook comes back: every event arrives, in order (repeats allowed: at least once).
	up.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		mu.Lock()
		var firsts []uint64
		seen := map[uint64]bool{}
		for _, seq := range received {
			if !seen[seq] {
				seen[seq] = true
				firsts = append(firsts, seq)
			}
		}
		mu.Unlock()
		if len(firsts) == len(all) {
			for i, seq := range firsts {
				if seq != uint64(i+1) {
					t.Fatalf("events arrived out of order: %v", firsts)
				}
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the webhook received %d of %d events", len(firsts), len(all))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/batch"
	"github.com/eseal/eseal/internal/testofd"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/verify"
)

// TestBatchInterrupted interrupts a folder's signing twice, first with SIGINT (Ctrl-C) and then
// with SIGKILL, each while documents are under way, and runs it to the end a third time. Every
// document is then in --out signed exactly once and valid, nothing partial is left, and the
// issuance registry holds exactly one record per document.
func TestBatchInterrupted(t *testing.T) {
	bin, err := lookPathIn("eseal", os.Getenv("PATH"))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	h := &crashHarness{t: t, bin: bin, work: work,
		env: []string{"ESEAL_DATA=" + filepath.Join(work, "data"), "ESEAL_KEY_PASSPHRASE=batch test", "PATH=" + os.Getenv("PATH"), "HOME=" + work}}
	h.must("init", "--region", "330100", "--name", "杭州市")
	h.must("seal", "new", "--name", "杭州市行政审批局行政审批专用章")

	// 150 distinct licences: PDFs, and every tenth an OFD.
	in, out := filepath.Join(work, "待签"), filepath.Join(work, "已签")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	const total = 150
	var names []string
	for i := range total {
		number := fmt.Sprintf("330100-2026-%06d", i+1)
		holder := fmt.Sprintf("Hangzhou Example Trading No. %d Co., Ltd.", i+1)
		var data []byte
		name := fmt.Sprintf("许可证-%03d.pdf", i+1)
		if i%10 == 9 {
			name = fmt.Sprintf("许可证-%03d.ofd", i+1)
			l := testofd.DefaultLicence
			l.Number, l.Holder = number, fmt.Sprintf("杭州某某贸易第%d有限公司", i+1)
			data = l.Bytes()
		} else {
			l := testpdf.DefaultLicence
			l.Number, l.Holder = number, holder
			data = l.Bytes()
		}
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}

	// interrupt starts a batch and sends sig once at least n more documents are in place.
	interrupt := func(sig syscall.Signal, n int) (code int, stdout, stderr string) {
		t.Helper()
		before := countOutputs(t, out)
		cmd := exec.Command(bin, "sign", "--seal", "33010000000001", "--in", in, "--out", out)
		cmd.Dir, cmd.Env = work, h.env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for countOutputs(t, out) < before+n {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no %d documents signed in a minute\n%s%s", n, o.String(), e.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		cmd.Wait()
		return cmd.ProcessState.ExitCode(), o.String(), e.String()
	}

	code, stdout, stderr := interrupt(syscall.SIGINT, 10)
	if code != exitFailure || !strings.Contains(stderr, "interrupted:") || !strings.Contains(stderr, "run the same command again") {
		t.Fatalf("Ctrl-C: exit %d\n%s%s", code, stdout, stderr)
	}
	afterInt := countOutputs(t, out)
	if afterInt >= total {
		t.Fatalf("the batch finished before Ctrl-C reached it (%d documents)", afterInt)
	}
	if code, stdout, stderr = interrupt(syscall.SIGKILL, 20); code != -1 {
		t.Fatalf("SIGKILL: exit %d\n%s%s", code, stdout, stderr)
	}
	afterKill := countOutputs(t, out)
	if afterKill >= total {
		t.Fatalf("the batch finished before SIGKILL reached it")
	}
	stdout, stderr, code = h.run("sign", "--seal", "33010000000001", "--in", in, "--out", out)
	if code != 0 {
		t.Fatalf("the last run: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("after Ctrl-C %d documents, after SIGKILL %d; the last run:\n%s", afterInt, afterKill, stdout)
	if !strings.Contains(stdout, fmt.Sprintf("Already signed, skipped: %d\n", afterKill)) {
		t.Errorf("the last run did not skip the %d documents in place", afterKill)
	}

	// What is in --out: every document, the journal, nothing else.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != total+1 {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("--out holds %d files, want %d documents and the journal: %v", len(entries), total, got)
	}
	s, err := certstore.Open(filepath.Join(work, "data"), certstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Error(err)
			continue
		}
		fi, _ := f.Stat()
		opts := verify.Options{Anchors: s, Revocation: s, Name: name}
		var rep *verify.Report
		if strings.HasSuffix(name, ".ofd") {
			rep, err = verify.VerifyOFD(context.Background(), f, fi.Size(), opts)
		} else {
			rep, err = verify.VerifyPDF(context.Background(), f, fi.Size(), opts)
		}
		f.Close()
		if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 1 {
			t.Errorf("%s: %v signatures, %v, %v", name, len(rep.Signatures), rep.Indication, err)
		}
	}
	events, err := s.Events(0, 100*total)
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]int{}
	for _, ev := range events {
		rec, err := s.Issuance(ev.Subject)
		if err != nil {
			t.Errorf("event %d: %v", ev.Seq, err)
			continue
		}
		records[rec.Document]++
	}
	for _, name := range names {
		if records[name] != 1 {
			t.Errorf("%s: %d issuance records", name, records[name])
		}
	}
	if len(events) != total {
		t.Errorf("%d issuance events for %d documents", len(events), total)
	}
	s.Close()

	// While the server holds the store, the batch runs inside it, through the admin socket:
	// the new documents are signed, the others skipped.
	h.serve()
	for i := range 3 {
		l := testpdf.DefaultLicence
		l.Number = fmt.Sprintf("330100-2026-%06d", total+i+1)
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("补发-%d.pdf", i+1)), l.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code = h.run("sign", "--seal", "33010000000001", "--in", in, "--out", out)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("Signed 3 of %d documents", total+3)) ||
		!strings.Contains(stdout, fmt.Sprintf("Already signed, skipped: %d\n", total)) {
		t.Errorf("through the server: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := countOutputs(t, out); got != total+3 {
		t.Errorf("%d documents in --out after the run through the server", got)
	}
	if stdout := h.must("events"); !strings.Contains(stdout, fmt.Sprintf("%d events", total+3)) {
		t.Errorf("events after the run through the server:\n%s", stdout)
	}
}

// countOutputs counts the documents in place in an output folder (not partial or hidden files).
func countOutputs(t *testing.T, dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && e.Name() != batch.JournalName {
			n++
		}
	}
	return n
}

// TestBatchProgress: on a terminal the bar redraws its line (at most every 100 ms, and at the
// end) with counts, failures, rate and time left; in a log, a plain line every ten seconds.
func TestBatchProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	p := &batchProgress{w: &buf, tty: true, total: 4, every: 100 * time.Millisecond, now: func() time.Time { return now }, width: 8}
	p.start, p.last = now, now
	now = now.Add(time.Second)
	p.step(false)
	now = now.Add(10 * time.Millisecond)
	p.step(true) // within 100 ms: not drawn
	now = now.Add(time.Second)
	p.step(false)
	p.step(false) // the last: drawn
	p.finish()
	want := "\r[██░░░░░░] 1/4 documents, 1.0/s, 3s left\x1b[K" +
		"\r[██████░░] 3/4 documents, 1 failed, 1.5/s, 1s left\x1b[K" +
		"\r[████████] 4/4 documents, 1 failed, 2.0/s\x1b[K\n"
	if got := buf.String(); got != want {
		t.Errorf("terminal:\n%q\nwant\n%q", got, want)
	}

	buf.Reset()
	p = &batchProgress{w: &buf, total: 3, every: 10 * time.Second, now: func() time.Time { return now }, width: 8}
	p.start, p.last = now, now
	p.step(false)
	now = now.Add(11 * time.Second)
	p.step(true)
	p.step(false)
	p.finish()
	if got, want := buf.String(), "eseal sign: 2/3 documents, 1 failed, 0.2/s\n"; got != want {
		t.Errorf("log: %q, want %q", got, want)
	}
}

// TestDisplayName: Chinese names print as they are; names that would garble a terminal (a GBK
// name from an old archive, a control character) are quoted.
func TestDisplayName(t *testing.T) {
	for name, want := range map[string]string{
		"许可证-001.pdf":          "许可证-001.pdf",
		"\xd0\xed\xbf\xc9.pdf": `"\xd0\xed\xbf\xc9.pdf"`, // 许可 in GBK
		"a\nb.pdf":             `"a\nb.pdf"`,
		"a\x1b[2Jb.pdf":        `"a\x1b[2Jb.pdf"`,
	} {
		if got := displayName(name); got != want {
			t.Errorf("displayName(%q) = %s, want %s", name, got, want)
		}
	}
}

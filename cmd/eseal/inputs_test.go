package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVerifyRefusesNonRegular: a FIFO with no writer (which would block the open forever), a
// device and a directory are refused at once with exit 4 and what they are, as a document and
// as a --trust root.
func TestVerifyRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.pdf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--no-store", fifo}, "is a named pipe (FIFO)"},
		{[]string{"verify", "--no-store", "--trust", fifo, "x.pdf"}, "is a named pipe (FIFO)"},
		{[]string{"verify", "--no-store", "/dev/null"}, "/dev/null is a device"},
		{[]string{"verify", "--no-store", t.TempDir()}, "is a directory"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		done := make(chan int)
		go func() {
			done <- run(c.args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
		}()
		select {
		case code := <-done:
			if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("eseal %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("eseal %v blocked", c.args)
		}
	}
}

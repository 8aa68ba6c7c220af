package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal/eseal/certstore"
)

// TestAdminServerRefuses: the admin socket runs only store commands, for a client that says
// where it runs, with a well-formed request; everything else is a 4xx and runs nothing.
func TestAdminServerRefuses(t *testing.T) {
	s, err := certstore.Open(t.TempDir(), certstore.Options{Passphrase: []byte("admin test")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := &adminServer{store: s, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"GET", "GET", "/v1/run", "", http.StatusNotFound},
		{"other path", "POST", "/v1/other", `{"args":["seal","list"],"dir":"/"}` + "\n", http.StatusNotFound},
		{"no line end", "POST", "/v1/run", `{"args":["seal","list"],"dir":"/"}`, http.StatusBadRequest},
		{"not JSON", "POST", "/v1/run", "seal list\n", http.StatusBadRequest},
		{"serve", "POST", "/v1/run", `{"args":["serve"],"dir":"/"}` + "\n", http.StatusBadRequest},
		{"init", "POST", "/v1/run", `{"args":["init","--region","330100","--name","x"],"dir":"/"}` + "\n", http.StatusBadRequest},
		{"no command", "POST", "/v1/run", `{"args":[],"dir":"/"}` + "\n", http.StatusBadRequest},
		{"relative dir", "POST", "/v1/run", `{"args":["seal","list"],"dir":"here"}` + "\n", http.StatusBadRequest},
		{"header too long", "POST", "/v1/run", `{"args":["` + strings.Repeat("x", maxAdminHeader) + `"]}` + "\n", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.want {
				t.Errorf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
	if _, err := s.Region(); err == nil {
		t.Error("init ran through the admin socket")
	}
}

// TestListenAdmin: the socket is owner-only; one left by a server that is gone is replaced; one
// that answers belongs to another server and is refused.
func TestListenAdmin(t *testing.T) {
	dir, err := os.MkdirTemp("", "esa") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, adminSocketName)
	// A socket file nobody listens on any more (a killed server's).
	stale, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := listenAdmin(dir)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	defer ln.Close()
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v %v", fi.Mode(), err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := listenAdmin(dir); err == nil || !strings.Contains(err.Error(), "another eseal server") {
		t.Errorf("a second server: %v", err)
	}
	// A server that accepts and then says nothing: the client says it does not know whether the
	// command took effect, exit 1.
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code, ok := runViaServer(e, []string{"revoke", "seal", "33010000000001", "--reason", "keyCompromise", "--data", dir})
	if !ok || code != exitFailure || !strings.Contains(stderr.String(), "did not answer") || !strings.Contains(stderr.String(), "not known") {
		t.Errorf("silent server: ok %v, exit %d, %q", ok, code, stderr.String())
	}
	// No socket at all: the command runs itself.
	if _, ok := runViaServer(e, []string{"seal", "list", "--data", t.TempDir()}); ok {
		t.Error("no socket: routed anyway")
	}
}

func TestAdminDataDir(t *testing.T) {
	e := &env{getenv: func(k string) string {
		if k == "ESEAL_DATA" {
			return "/env"
		}
		return ""
	}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "/env"},
		{[]string{"list", "--data", "/a"}, "/a"},
		{[]string{"list", "-data", "/b"}, "/b"},
		{[]string{"--data=/c", "list"}, "/c"},
		{[]string{"-data=/d"}, "/d"},
		{[]string{"--", "--data", "/e"}, "/env"},
	} {
		if got := adminDataDir(e, tc.args); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.args, got, tc.want)
		}
	}
	if got := adminDataDir(&env{getenv: func(string) string { return "" }}, nil); got != defaultDataDir {
		t.Errorf("default: %s", got)
	}
}

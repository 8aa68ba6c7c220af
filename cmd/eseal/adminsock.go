package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eseal/eseal/certstore"
)

// The admin socket. While `eseal serve` holds a data directory's store, the CLI's commands that
// use the store cannot open it; they reach the server instead through a Unix socket in the data
// directory (mode 0600, and on Linux only the owner's processes are accepted), which runs the
// very same command inside the server against its open store, so the change takes effect at once
// and the output and exit code are those of a direct run. There is no network listener.
//
// The protocol is one HTTP request per command: POST /v1/run whose body is a JSON adminRequest
// on one line followed by the command's standard input (for `verify -`), answered with a JSON
// adminResponse.

// adminSocketName is the socket's file name in the data directory.
const adminSocketName = "admin.sock"

// maxAdminHeader bounds the JSON line of a request.
const maxAdminHeader = 1 << 20

// viaServer lists the commands that use the store and so run inside a running server.
var viaServer = map[string]bool{
	"seal": true, "sign": true, "verify": true, "revoke": true, "revocations": true, "crl": true,
	"licence": true, "region": true, "trust": true, "audit": true, "events": true, "webhook": true, "token": true, "backup": true,
}

// forwardedEnv is what a command may read of its caller's environment. The key passphrase is not
// sent: the server's store is already open.
var forwardedEnv = []string{"ESEAL_DATA", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_MESSAGES", "TZ"}

type adminRequest struct {
	Args []string          `json:"args"`
	Dir  string            `json:"dir"` // the client's working directory, absolute
	Env  map[string]string `json:"env"`
}

type adminResponse struct {
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
	Code   int    `json:"code"`
}

// adminDataDir is the data directory a command line names: --data, else $ESEAL_DATA, else the
// default, as dataFlag decides it.
func adminDataDir(e *env, args []string) string {
	dir := e.getenv("ESEAL_DATA")
	if dir == "" {
		dir = defaultDataDir
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case (a == "--data" || a == "-data") && i+1 < len(args):
			dir = args[i+1]
			i++
		case strings.HasPrefix(a, "--data="):
			dir = strings.TrimPrefix(a, "--data=")
		case strings.HasPrefix(a, "-data="):
			dir = strings.TrimPrefix(a, "-data=")
		}
	}
	return dir
}

// runViaServer runs a command inside the server holding its data directory, when one answers on
// the admin socket; ok is false when none does, and the command then opens the store itself.
func runViaServer(e *env, args []string) (code int, ok bool) {
	sock := filepath.Join(adminDataDir(e, args[1:]), adminSocketName)
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return 0, false
	}
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return 0, false // a socket left by a server that is gone: the store is free
	}
	conn.Close()
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(e.stderr, "eseal %s: %v\n", args[0], err)
		return exitFailure, true
	}
	req := adminRequest{Args: args, Dir: cwd, Env: map[string]string{}}
	for _, k := range forwardedEnv {
		if v := e.getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	line, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "eseal %s: %v\n", args[0], err)
		return exitFailure, true
	}
	body := io.Reader(bytes.NewReader(append(line, '\n')))
	for _, a := range args[1:] {
		if a == "-" { // verify - : the server reads this process's standard input
			body = io.MultiReader(body, e.stdin)
			break
		}
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	resp, err := client.Post("http://eseal-admin/v1/run", "application/x-eseal-admin", body)
	var res adminResponse
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
		} else {
			err = json.NewDecoder(resp.Body).Decode(&res)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "eseal %s: the eseal server running on %s did not answer (%v); whether the command took effect is not known: look before repeating it\n", args[0], sock, err)
		return exitFailure, true
	}
	e.stdout.Write(res.Stdout)
	e.stderr.Write(res.Stderr)
	return res.Code, true
}

// adminServer runs admin clients' commands against the server's store.
type adminServer struct {
	store *certstore.Store
	log   *slog.Logger
}

func (a *adminServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/run" {
		http.Error(w, "POST /v1/run", http.StatusNotFound)
		return
	}
	br := bufio.NewReaderSize(r.Body, maxAdminHeader)
	line, err := br.ReadSlice('\n')
	if err != nil {
		http.Error(w, "the request is one JSON line (at most 1 MiB) and then standard input", http.StatusBadRequest)
		return
	}
	var req adminRequest
	if err := json.Unmarshal(line, &req); err != nil {
		http.Error(w, "the request line is not JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(req.Args) == 0 || !viaServer[req.Args[0]] {
		http.Error(w, fmt.Sprintf("the admin socket runs only %s", strings.Join(viaServerNames(), ", ")), http.StatusBadRequest)
		return
	}
	if !filepath.IsAbs(req.Dir) {
		http.Error(w, "dir must be the client's absolute working directory", http.StatusBadRequest)
		return
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: br, stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return req.Env[k] },
		store: a.store.As(adminActor(req.Env)), dir: req.Dir, ctx: r.Context()}
	code := run(req.Args, e)
	a.log.Info("admin command", "command", req.Args[0], "exit", code)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(adminResponse{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Code: code})
}

func viaServerNames() []string {
	var names []string
	for _, c := range commands {
		if viaServer[c.name] {
			names = append(names, c.name)
		}
	}
	return names
}

// listenAdmin opens the admin socket in dir, owner-only: a socket left by a server that is gone is
// replaced; one that answers is another server's, an error.
func listenAdmin(dir string) (net.Listener, error) {
	sock := filepath.Join(dir, adminSocketName)
	if _, err := os.Lstat(sock); err == nil {
		if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another eseal server answers on %s", sock)
		}
		if err := os.Remove(sock); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	// The data directory is 0700 already; the socket's own mode says the same.
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ownerOnlyListener{ln}, nil
}

// ownerOnlyListener accepts only connections from processes of the server's own user, where the
// system tells (peerIsOwner).
type ownerOnlyListener struct{ net.Listener }

func (l ownerOnlyListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if peerIsOwner(c) {
			return c, nil
		}
		c.Close()
	}
}

// serveAdmin serves the admin socket until ctx ends, then lets running commands finish.
func serveAdmin(ctx context.Context, ln net.Listener, s *certstore.Store, log *slog.Logger) (wait func()) {
	// Requests' contexts end with the server's: a batch running inside it stops starting
	// documents when the server shuts down.
	srv := &http.Server{Handler: &adminServer{store: s, log: log}, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin socket", "err", err)
		}
	}()
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		srv.Shutdown(shutdownCtx)
		<-done
	}
}

// adminActor is how the audit log names an admin socket client: only the data directory's owner
// (or root) can connect, and it says who it is.
func adminActor(env map[string]string) string {
	if u := env["USER"]; u != "" {
		return "cli:" + u + " (admin socket)"
	}
	return "cli (admin socket)"
}

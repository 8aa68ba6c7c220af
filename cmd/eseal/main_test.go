package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/testofd"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"eseal": func() {
			os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
		},
	})
}

// TestScripts runs the CLI behaviour tests in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// The sample licence of the README walkthrough.
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "licence.pdf"))
			if err != nil {
				return err
			}
			env.Setenv("ESEAL_KEY_PASSPHRASE", "testscript passphrase")
			if err := os.WriteFile(filepath.Join(env.WorkDir, "licence.pdf"), data, 0o644); err != nil {
				return err
			}
			// A three-page OFD licence, for riding seals.
			three := testofd.DefaultLicence
			three.Pages = 3
			if err := os.WriteFile(filepath.Join(env.WorkDir, "licence3.ofd"), three.Bytes(), 0o644); err != nil {
				return err
			}
			// Real seals and OFD documents (testdata/seals/README.md, testdata/ofd/README.md).
			for _, name := range []string{"seals/ofdrw_UserV4.esl", "seals/hebeigede_SESealData_v4.der",
				"ofd/ofd-07.ofd", "ofd/ofd-10.ofd", "ofd/ofd-14.ofd", "ofd/ofdrw_user_cert.pem", "ofd/licence.ofd"} {
				data, err := os.ReadFile(filepath.Join("testdata", name))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, filepath.Base(name)), data, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tamper":        cmdTamper,
			"eseal-exit":    cmdEsealExit,
			"capture":       cmdCapture,
			"wait-ready":    cmdWaitReady,
			"truncate":      cmdTruncate,
			"mode":          cmdMode,
			"signed-status": cmdSignedStatus,
		},
	})
}

// cmdTamper replaces the first occurrence of OLD with NEW (same length) in FILE, as an attacker
// editing a signed document would: `tamper FILE OLD NEW`.
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tamper FILE OLD NEW")
	}
	if len(args[1]) != len(args[2]) {
		ts.Fatalf("tamper: OLD and NEW must have the same length")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	i := bytes.Index(data, []byte(args[1]))
	if i < 0 {
		ts.Fatalf("tamper: %q not found in %s", args[1], args[0])
	}
	copy(data[i:], args[2])
	ts.Check(os.WriteFile(path, data, 0o644))
	fmt.Fprintf(ts.Stdout(), "tampered %s at offset %d\n", args[0], i)
}

// cmdTruncate keeps the first N bytes of FILE (N < 0: drops the last -N), as a transfer cut
// short would: `truncate FILE N`.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	if n < 0 {
		n += len(data)
	}
	if n < 0 || n > len(data) {
		ts.Fatalf("truncate: %s has %d bytes", args[0], len(data))
	}
	ts.Check(os.WriteFile(path, data[:n], 0o644))
}

// cmdEsealExit runs eseal and checks its exact exit code: `eseal-exit CODE ARGS...`. Its output
// is the script's stdout and stderr, as with exec.
func cmdEsealExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: eseal-exit CODE ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	path, err := lookPathIn("eseal", ts.Getenv("PATH"))
	ts.Check(err)
	cmd := exec.Command(path, args[1:]...)
	cmd.Dir = ts.Getenv("WORK")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "ESEAL_DATA", "ESEAL_KEY_PASSPHRASE"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else {
		ts.Check(err)
	}
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	if got != want {
		ts.Fatalf("eseal %v: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", args[1:], got, want, stdout.String(), stderr.String())
	}
}

func lookPathIn(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", name)
}

// cmdCapture sets an environment variable from the previous command's stdout:
// `capture VAR REGEXP` takes the regexp's first group.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture VAR REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: %q does not match stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}

// cmdWaitReady waits until a server started with `serve --addr-file FILE` answers its health
// check: `wait-ready FILE`. It gives up after 30 s, or at once if the server has stopped
// answering with anything but readiness (a script then fails on its own checks).
func cmdWaitReady(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-ready ADDR-FILE")
	}
	path := ts.MkAbs(args[0])
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if addr, err := os.ReadFile(path); err == nil {
			resp, err := client.Get("http://" + strings.TrimSpace(string(addr)) + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					fmt.Fprintf(ts.Stdout(), "ready at %s\n", strings.TrimSpace(string(addr)))
					return
				}
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("wait-ready: no server answered at the address in %s within 30 s", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdMode checks a file's permission bits: `mode FILE 0600`.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s: mode %#o, want %#o", args[0], got, want)
	}
}

// cmdSignedStatus fetches a signed status from the server started with --addr-file and prints its
// payload (the status JSON): `signed-status ADDR-FILE PATH`. Its signature is internal/status's
// and certstore's tests' to check.
func cmdSignedStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signed-status ADDR-FILE PATH")
	}
	addr, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	resp, err := http.Get("http://" + strings.TrimSpace(string(addr)) + args[1])
	ts.Check(err)
	defer resp.Body.Close()
	var signed struct{ Payload []byte }
	ts.Check(json.NewDecoder(resp.Body).Decode(&signed))
	if resp.StatusCode != http.StatusOK {
		ts.Fatalf("GET %s: %s", args[1], resp.Status)
	}
	ts.Stdout().Write(append(signed.Payload, '\n'))
}

// Command eseal issues, verifies and revokes electronic seals and SM2 signatures for government
// services: a region's PKI and approval-special seals (init, seal), sealing licence PDFs (sign),
// verification with a report that says exactly why (verify), revocation (revoke), and an HTTP
// service (serve).
//
// While `eseal serve` runs on a data directory, the commands that use its store run inside the
// server, reached through the admin socket in that directory (adminsock.go).
//
// Run `eseal help` for the commands. Exit codes: 0 success (verify: TOTAL_PASSED); verify also
// 1 TOTAL_FAILED, 2 INDETERMINATE, 3 NO_SIGNATURE_FOUND; 4 unusable input or usage error;
// 1 any other failure (sign --in FOLDER: any document that failed, or an interrupted run).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/reporttext"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 4
)

// usageError is a mistake in how the command was called (exit 4).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit code (verify's verdicts).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// Set for a command run inside the server for an admin client: the server's open store,
	// and the client's working directory, against which file names resolve.
	store *certstore.Store
	dir   string
	// ctx, when set, ends with the admin client's request (or the server); nil for a direct run.
	ctx context.Context
	// lang is what --lang asked for; empty: the environment's (LC_ALL, LC_MESSAGES, LANG).
	lang reporttext.Lang
}

// context is the command's context: the admin client's request inside the server.
func (e *env) context() context.Context {
	if e.ctx != nil {
		return e.ctx
	}
	return context.Background()
}

type command struct {
	name, summary string
	run           func(e *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"init", "set up a region: root CA and seal-making key", runInit},
		{"seal", "make, list, show and verify electronic seals (seal new|list|show|verify)", runSeal},
		{"sign", "seal a PDF or OFD with an approval signature, or every one in a folder (sign --in DIR --out DIR)", runSign},
		{"verify", "verify the signatures of a PDF", runVerify},
		{"revoke", "revoke a certificate or a seal (revoke cert SERIAL|--from FILE --confirm, revoke seal ESID; --reason REASON)", runRevoke},
		{"revocations", "list revoked certificates and seals (revocations list)", runRevocations},
		{"crl", "issue and write the region's CRL (crl --out FILE [--pem])", runCRL},
		{"licence", "show a licence and its history, or change, withdraw, revoke or cancel it (licence show|change|withdraw|revoke|cancel ID)", runLicence},
		{"events", "print the event log (every issuance and lifecycle change) and check its signatures (events [--after N] [--json])", runEvents},
		{"webhook", "send the event log to the competent departments (webhook add URL|list|remove ID)", runWebhook},
		{"region", "show the region and export its root certificate", runRegion},
		{"trust", "add or list trust anchors (other regions' roots); export or import signed trust bundles (trust export --out FILE, trust import BUNDLE --fingerprint SHA256)", runTrust},
		{"token", "API tokens with roles (token create --role R [--name N] | list | revoke ID)", runToken},
		{"audit", "show and check the audit log (audit [--json] | audit verify)", runAudit},
		{"backup", "write a consistent copy of the store while it is in use (backup --out FILE)", runBackup},
		{"serve", "run the HTTP service", runServe},
	}
}

func main() {
	os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

func run(args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		if e.store == nil && viaServer[c.name] {
			if code, ok := runViaServer(e, args); ok {
				return code
			}
		}
		err := c.run(e, args[1:])
		return report(e, c.name, err)
	}
	fmt.Fprintf(e.stderr, "eseal: unknown command %q (see `eseal help`)\n", args[0])
	return exitUsage
}

func report(e *env, name string, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "eseal %s: %s%s\n", name, e.errorLead(err, true), ue.msg)
		return exitUsage
	case errors.Is(err, certstore.ErrInvalidArgument):
		fmt.Fprintf(e.stderr, "eseal %s: %s%v\n", name, e.errorLead(err, true), err)
		return exitUsage
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "eseal %s: %s%v\n", name, e.errorLead(ee.err, ee.code == exitUsage), ee.err)
		}
		return ee.code
	default:
		fmt.Fprintf(e.stderr, "eseal %s: %s%v\n", name, e.errorLead(err, false), err)
		return exitFailure
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: eseal COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command that uses the store takes --data DIR (default $ESEAL_DATA or ./eseal-data).")
	fmt.Fprintln(w, "Private keys are encrypted with $ESEAL_KEY_PASSPHRASE (or a generated <data>/key-passphrase).")
	fmt.Fprintln(w, "Run `eseal COMMAND -h` for a command's flags.")
}

// newFlags makes a flag set that reports errors as usage errors instead of exiting. Every
// command takes --lang.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("eseal "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Func("lang", "language of the output: zh (Chinese) or en; default from LC_ALL, LC_MESSAGES or LANG (zh_* gives Chinese)", func(v string) error {
		l, err := reporttext.ParseLang(v)
		if err != nil {
			return err
		}
		e.lang = l
		return nil
	})
	return fs
}

// parseInterspersed parses flags that may stand before, between or after positional arguments
// (`eseal verify FILE --json`), which the flag package alone does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses flags for a command that takes no positional argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

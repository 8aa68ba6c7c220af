package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/eseal/eseal/internal/reporttext"
	"github.com/eseal/eseal/verify"
)

// verify's exit codes, one per overall indication.
const (
	exitTotalFailed      = 1
	exitIndeterminate    = 2
	exitNoSignatureFound = 3
)

func exitCodeFor(ind verify.Indication) int {
	switch ind {
	case verify.TotalPassed:
		return exitOK
	case verify.TotalFailed:
		return exitTotalFailed
	case verify.NoSignatureFound:
		return exitNoSignatureFound
	default:
		return exitIndeterminate
	}
}

func runVerify(e *env, args []string) error {
	fs := newFlags(e, "verify")
	data := dataFlag(e, fs)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	verbose := fs.Bool("verbose", false, "explain every check, not only those that did not pass")
	var trust stringList
	fs.Var(&trust, "trust", "trust this root certificate (PEM or DER file); repeatable")
	noStore := fs.Bool("no-store", false, "do not use the data directory's trust anchors and revocations")
	at := fs.String("time", "", "validate as of this time (RFC 3339); default now")
	softFail := fs.Bool("revocation-soft-fail", false, "accept certificates whose revocation status nobody here knows (default: INDETERMINATE)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal verify FILE|- [--json] [--trust ROOT.pem]...")
	}
	fail := func(err error) error {
		if *asJSON {
			out, _ := json.Marshal(map[string]string{"error": err.Error()})
			fmt.Fprintln(e.stdout, string(out))
		}
		return &exitError{code: exitUsage, err: err}
	}
	opts := verify.Options{Name: rest[0]}
	if !*asJSON {
		opts.TimeZone = reporttext.Zone // the text report shows every time in one zone
	}
	if *softFail {
		opts.RevocationPolicy = verify.RevocationSoftFail
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fail(usagef("--time: %q is not an RFC 3339 time", *at))
		}
		opts.CurrentTime = t
	}
	for _, path := range trust {
		certs, err := readCertificates(path)
		if err != nil {
			return fail(fmt.Errorf("--trust %s: %w", path, err))
		}
		opts.ExtraAnchors = append(opts.ExtraAnchors, certs...)
	}
	if !*noStore {
		s, err := openStoreIfExists(e, *data)
		if err != nil {
			return fail(fmt.Errorf("%w (use --no-store to verify without the data directory)", err))
		}
		if s != nil {
			defer s.Close()
			opts.Anchors, opts.Revocation = s, s
		}
	}
	var f *os.File
	if rest[0] == "-" {
		var remove func()
		if f, remove, err = stdinToTemp(e.stdin); err != nil {
			return fail(err)
		}
		defer remove()
		opts.Name = "(standard input)"
	} else if f, err = openRegular(rest[0]); err != nil {
		return fail(err)
	} else {
		defer f.Close()
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	rep, err := verify.VerifyPDF(context.Background(), f, fi.Size(), opts)
	if err != nil {
		var ie *verify.InputError
		if errors.As(err, &ie) {
			return fail(fmt.Errorf("%s: %w", rest[0], err))
		}
		return fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reporttext.JSON(rep, time.UTC)); err != nil {
			return err
		}
	} else {
		reporttext.Write(e.stdout, rep, reporttext.Options{Verbose: *verbose})
	}
	if code := exitCodeFor(rep.Indication); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

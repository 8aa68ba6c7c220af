package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

// reportFlags are the flags of every command that prints a verification report (verify, seal
// verify): where trust and revocation come from, the validation time, and the output.
type reportFlags struct {
	data     *string
	asJSON   *bool
	verbose  *bool
	trust    stringList
	noStore  *bool
	at       *string
	softFail *bool
}

func addReportFlags(e *env, fs *flag.FlagSet) *reportFlags {
	rf := &reportFlags{data: dataFlag(e, fs)}
	rf.asJSON = fs.Bool("json", false, "print the report as one JSON object")
	rf.verbose = fs.Bool("verbose", false, "explain every check, not only those that did not pass")
	fs.Var(&rf.trust, "trust", "trust this root certificate (PEM or DER file); repeatable")
	rf.noStore = fs.Bool("no-store", false, "do not use the data directory's trust anchors and revocations")
	rf.at = fs.String("time", "", "validate as of this time (RFC 3339); default now")
	rf.softFail = fs.Bool("revocation-soft-fail", false, "accept certificates whose revocation status nobody here knows (default: INDETERMINATE)")
	return rf
}

// fail reports an unusable input or call: as JSON too when --json was asked for, exit 4.
func (rf *reportFlags) fail(e *env, err error) error {
	if *rf.asJSON {
		out, _ := json.Marshal(map[string]string{"error": err.Error()})
		fmt.Fprintln(e.stdout, string(out))
	}
	return &exitError{code: exitUsage, err: err}
}

// options makes the verification options the flags ask for; close releases the store.
func (rf *reportFlags) options(e *env, name string) (opts verify.Options, close func(), err error) {
	close = func() {}
	opts = verify.Options{Name: name}
	if !*rf.asJSON {
		opts.TimeZone = reporttext.Zone // the text report shows every time in one zone
	}
	if *rf.softFail {
		opts.RevocationPolicy = verify.RevocationSoftFail
	}
	if *rf.at != "" {
		t, err := time.Parse(time.RFC3339, *rf.at)
		if err != nil {
			return opts, close, usagef("--time: %q is not an RFC 3339 time", *rf.at)
		}
		opts.CurrentTime = t
	}
	for _, path := range rf.trust {
		certs, err := readCertificates(e.path(path))
		if err != nil {
			return opts, close, fmt.Errorf("--trust %s: %w", path, err)
		}
		opts.ExtraAnchors = append(opts.ExtraAnchors, certs...)
	}
	if !*rf.noStore {
		s, err := openStoreIfExists(e, *rf.data)
		if err != nil {
			return opts, close, fmt.Errorf("%w (use --no-store to verify without the data directory)", err)
		}
		if s != nil {
			close = func() { e.release(s) }
			opts.Anchors, opts.Revocation = s, revocationSource(s, defaultRemoteRefresh)
		}
	}
	return opts, close, nil
}

// print writes the report and returns the exit status its indication gives.
func (rf *reportFlags) print(e *env, rep *verify.Report) error {
	lang := e.language()
	if *rf.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		jsonLang := e.lang // JSON for programs: the localised words only when --lang asks for them
		if err := enc.Encode(reporttext.JSONLang(rep, time.UTC, jsonLang)); err != nil {
			return err
		}
	} else {
		reporttext.Write(e.stdout, rep, reporttext.Options{Verbose: *rf.verbose, Lang: lang})
	}
	if code := exitCodeFor(rep.Indication); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

func runVerify(e *env, args []string) error {
	fs := newFlags(e, "verify")
	rf := addReportFlags(e, fs)
	sigPath := fs.String("sig", "", "a detached signature of FILE (.ses SES_Signature or .p7s CMS) to verify")
	var certs stringList
	fs.Var(&certs, "cert", "the signer certificate (PEM or DER) of a signature that carries none, such as an OFD bare SM2 signature; repeatable")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal verify FILE.pdf|FILE.ofd|- [--sig SIGNATURE] [--cert CERT.pem] [--json] [--trust ROOT.pem]...")
	}
	fail := func(err error) error { return rf.fail(e, err) }
	opts, closeStore, err := rf.options(e, rest[0])
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	var f *os.File
	if rest[0] == "-" {
		var remove func()
		if f, remove, err = stdinToTemp(e.stdin); err != nil {
			return fail(err)
		}
		defer remove()
		opts.Name = "(standard input)"
	} else if f, err = openRegular(e.path(rest[0])); err != nil {
		return fail(err)
	} else {
		defer f.Close()
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	for _, path := range certs {
		cs, err := readCertificates(e.path(path))
		if err != nil {
			return fail(fmt.Errorf("--cert %s: %w", path, err))
		}
		opts.Certificates = append(opts.Certificates, cs...)
	}
	var rep *verify.Report
	switch {
	case *sigPath != "":
		sig, rerr := readLimited(e.path(*sigPath), verify.MaxDetachedSignatureSize, "a detached signature")
		if rerr != nil {
			return fail(fmt.Errorf("--sig %s: %w", *sigPath, rerr))
		}
		rep, err = verify.VerifyDetached(context.Background(), f, fi.Size(), sig, opts)
	case isZip(f):
		rep, err = verify.VerifyOFD(context.Background(), f, fi.Size(), opts)
	default:
		rep, err = verify.VerifyPDF(context.Background(), f, fi.Size(), opts)
	}
	if err != nil {
		var ie *verify.InputError
		if errors.As(err, &ie) {
			return fail(fmt.Errorf("%s: %w", rest[0], err))
		}
		return fail(err)
	}
	return rf.print(e, rep)
}

// isZip tells an OFD package (a zip) from a PDF by its first bytes.
func isZip(r io.ReaderAt) bool {
	var magic [4]byte
	n, _ := r.ReadAt(magic[:], 0)
	return n == 4 && string(magic[:]) == "PK\x03\x04"
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/verify"
)

func runRevoke(e *env, args []string) error {
	if len(args) == 0 || (args[0] != "cert" && args[0] != "seal") {
		return usagef("usage: eseal revoke cert SERIAL|--from FILE --reason REASON, or eseal revoke seal ESID --reason REASON")
	}
	if args[0] == "seal" {
		return runRevokeSeal(e, args[1:])
	}
	fs := newFlags(e, "revoke cert")
	data := dataFlag(e, fs)
	reasonFlag := fs.String("reason", "", "RFC 5280 reason: "+verify.RevocationReasonNames()+" (required)")
	invalidity := fs.String("invalidity-date", "", "when the key became unusable (YYYY-MM-DD or RFC 3339), if known")
	issuer := fs.String("issuer-key-id", "", "issuer key ID (hex), when several issuers used the serial")
	from := fs.String("from", "", "revoke every serial listed in this file (one per line; # starts a comment), all or none; needs --confirm")
	confirm := fs.Bool("confirm", false, "confirm a bulk revocation (--from)")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if *from != "" {
		if len(rest) != 0 {
			return usagef("give serials either as an argument or in --from FILE, not both")
		}
	} else if len(rest) != 1 {
		return usagef("usage: eseal revoke cert SERIAL --reason REASON")
	}
	if *reasonFlag == "" {
		return usagef("--reason is required (%s)", verify.RevocationReasonNames())
	}
	reason, err := verify.ParseRevocationReason(*reasonFlag)
	if err != nil {
		return usagef("--reason: %v", err)
	}
	var invalidityDate time.Time
	if *invalidity != "" {
		if invalidityDate, err = parseDateOrTime(*invalidity, 0); err != nil {
			return usagef("--invalidity-date: %v", err)
		}
	}
	if *from != "" {
		return revokeBulk(e, *data, *from, *confirm, certstore.RevokeRequest{Reason: reason, IssuerKeyID: *issuer, InvalidityDate: invalidityDate})
	}
	req := certstore.RevokeRequest{Serial: rest[0], Reason: reason, IssuerKeyID: *issuer, InvalidityDate: invalidityDate}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	rev, err := s.RevokeCertificate(req)
	if err != nil {
		return err
	}
	e.say("已吊销证书 %s（%s）：原因 %s，时间 %s", "Revoked certificate %s (%s): reason %s, at %s", rev.Serial, rev.Subject, rev.Reason,
		rev.RevokedAt.In(chinaTime).Format(time.DateTime))
	return nil
}

// revokeBulk revokes every serial of a file in one transaction, after --confirm.
func revokeBulk(e *env, data, path string, confirm bool, tmpl certstore.RevokeRequest) error {
	content, err := readLimited(e.path(path), 64<<20, "a list of serials")
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	var reqs []certstore.RevokeRequest
	for i, line := range strings.Split(string(content), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return usagef("%s line %d: one serial per line, got %q", path, i+1, line)
		}
		r := tmpl
		r.Serial = line
		reqs = append(reqs, r)
	}
	if len(reqs) == 0 {
		return usagef("%s lists no serial", path)
	}
	if !confirm {
		return usagef("revoking %d certificates (%s) needs --confirm", len(reqs), tmpl.Reason)
	}
	s, err := openInitializedStore(e, data)
	if err != nil {
		return err
	}
	defer e.release(s)
	revs, err := s.RevokeCertificates(reqs)
	if err != nil {
		return err
	}
	e.say("已吊销 %d 张证书：原因 %s", "Revoked %d certificates: reason %s", len(revs), tmpl.Reason)
	return nil
}

func runRevokeSeal(e *env, args []string) error {
	fs := newFlags(e, "revoke seal")
	data := dataFlag(e, fs)
	reasonFlag := fs.String("reason", "", "RFC 5280 reason: "+verify.RevocationReasonNames()+" (required)")
	invalidity := fs.String("invalidity-date", "", "when the seal became unusable (YYYY-MM-DD or RFC 3339), if known")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal revoke seal ESID --reason REASON")
	}
	if *reasonFlag == "" {
		return usagef("--reason is required (%s)", verify.RevocationReasonNames())
	}
	reason, err := verify.ParseRevocationReason(*reasonFlag)
	if err != nil {
		return usagef("--reason: %v", err)
	}
	req := certstore.SealRevokeRequest{ESID: rest[0], Reason: reason}
	if *invalidity != "" {
		if req.InvalidityDate, err = parseDateOrTime(*invalidity, 0); err != nil {
			return usagef("--invalidity-date: %v", err)
		}
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	rev, err := s.RevokeSeal(req)
	if err != nil {
		return err
	}
	e.say("已吊销印章 %s（%s）：原因 %s，时间 %s", "Revoked seal %s (%s): reason %s, at %s", rev.ESID, rev.Name, rev.Reason, rev.RevokedAt.In(chinaTime).Format(time.DateTime))
	return nil
}

// runRevocations lists revoked certificates and seals.
func runRevocations(e *env, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return usagef("usage: eseal revocations list [--json]")
	}
	fs := newFlags(e, "revocations list")
	data := dataFlag(e, fs)
	asJSON := fs.Bool("json", false, "print the revocations as JSON")
	if err := parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	certs, err := s.Revocations()
	if err != nil {
		return err
	}
	seals, err := s.SealRevocations()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"certificates": certs, "seals": seals})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("类别\t编号\t名称\t原因\t吊销时间（北京时间）\t失效起始", "KIND\tID\tNAME\tREASON\tREVOKED AT (CST)\tINVALID FROM"))
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(chinaTime).Format(time.DateTime)
	}
	for _, r := range certs {
		fmt.Fprintf(tw, "certificate\t%s\t%s\t%s\t%s\t%s\n", r.Serial, r.Subject, r.Reason, when(r.RevokedAt), when(r.InvalidityDate))
	}
	for _, r := range seals {
		fmt.Fprintf(tw, "seal\t%s\t%s\t%s\t%s\t%s\n", r.ESID, r.Name, r.Reason, when(r.RevokedAt), when(r.InvalidityDate))
	}
	if len(certs)+len(seals) == 0 {
		e.say("没有吊销记录。", "Nothing is revoked.")
		return nil
	}
	return tw.Flush()
}

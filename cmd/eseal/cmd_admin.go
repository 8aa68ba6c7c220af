package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/smcrypto"
)

// runRegion shows the region; --export-root writes its root certificate for other regions to trust.
func runRegion(e *env, args []string) error {
	fs := newFlags(e, "region")
	data := dataFlag(e, fs)
	exportRoot := fs.String("export-root", "", "write the region's root certificate (PEM) to this file")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	r, err := s.Region()
	if err != nil {
		return err
	}
	root, err := smcrypto.ParseCertificate(r.RootCert)
	if err != nil {
		return err
	}
	e.say("地区：    %s %s", "Region:  %s %s", r.Code, r.Name)
	e.say("根证书：  %s\n  序列号  %s\n  SHA-256 %s\n  有效期  %s 至 %s", "Root:    %s\n  serial  %s\n  SHA-256 %s\n  valid   %s to %s", root.Subject, smcrypto.SerialHex(root.SerialNumber),
		certstore.Fingerprint(root.Raw), root.NotBefore.In(chinaTime).Format(time.DateOnly), root.NotAfter.In(chinaTime).Format(time.DateOnly))
	if *exportRoot != "" {
		if err := writeFileAtomic(e.path(*exportRoot), smcrypto.EncodeCertificatePEM(root), 0o644); err != nil {
			return err
		}
		e.say("已写入 %s", "Wrote %s", *exportRoot)
	}
	return nil
}

// runTrust adds or lists trust anchors: `trust add ROOT.pem [--note TEXT]`, `trust list`; it
// exports and imports trust bundles (cmd_trust.go).
func runTrust(e *env, args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return runTrustExport(e, args[1:])
	}
	if len(args) > 0 && args[0] == "import" {
		return runTrustImport(e, args[1:])
	}
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		return usagef("%s", trustUsage)
	}
	sub := args[0]
	fs := newFlags(e, "trust "+sub)
	data := dataFlag(e, fs)
	note := fs.String("note", "", "why this root is trusted (recorded in the audit log)")
	statusURL := fs.String("status-url", "", "base URL of that region's eseal service (https://…): verification fetches its CRL and seal statuses, and says TRY_LATER when it cannot")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if sub == "list" && *statusURL != "" {
		return usagef("--status-url belongs to trust add")
	}
	if sub == "add" && len(rest) != 1 || sub == "list" && len(rest) != 0 {
		return usagef("%s", trustUsage)
	}
	var certs []*smcrypto.Certificate
	if sub == "add" {
		if certs, err = readCertificates(e.path(rest[0])); err != nil {
			return usagef("%s: %v", rest[0], err)
		}
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	for _, c := range certs {
		rec, err := s.AddRemoteTrustAnchor(c, *note, *statusURL)
		if err != nil {
			return err
		}
		e.say("已信任 %s（SHA-256 %s）", "Trusted %s (SHA-256 %s)", rec.Subject, rec.Fingerprint)
		if rec.StatusURL != "" {
			e.say("  吊销与印章状态来自 %s", "  revocations and seal statuses from %s", rec.StatusURL)
		}
	}
	if sub == "list" {
		anchors, err := s.TrustAnchors()
		if err != nil {
			return err
		}
		for _, a := range anchors {
			e.say("%s  %s  有效期至 %s", "%s  %s  valid until %s", certstore.Fingerprint(a.Raw), a.Subject, a.NotAfter.In(chinaTime).Format(time.DateOnly))
		}
		bundles, err := s.TrustBundles()
		if err != nil {
			return err
		}
		for _, b := range bundles {
			fmt.Fprintf(e.stdout, "%s  trust bundle of region %s %s, sequence %d, next update %s, from %s\n", b.RootFingerprint, b.RegionCode, b.RegionName,
				b.Sequence, b.NextUpdate.In(chinaTime).Format(time.DateOnly), b.StatusURL)
		}
	}
	return nil
}

// runAudit prints the audit log and checks it; `audit verify` only checks it (exit 1 when it was
// tampered with).
func runAudit(e *env, args []string) error {
	verifyOnly := len(args) > 0 && args[0] == "verify"
	if verifyOnly {
		args = args[1:]
	}
	fs := newFlags(e, "audit")
	data := dataFlag(e, fs)
	var asJSON *bool
	if !verifyOnly {
		asJSON = fs.Bool("json", false, "print the records as JSON")
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	recs, err := s.AuditLog()
	if err != nil {
		return err
	}
	switch {
	case verifyOnly:
	case *asJSON:
		if recs == nil {
			recs = []certstore.AuditRecord{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(recs); err != nil {
			return err
		}
	default:
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, e.tr("序号\t时间（北京时间）\t操作人\t操作\t对象\t详情", "SEQ\tTIME (CST)\tACTOR\tACTION\tSUBJECT\tDETAIL"))
		for _, r := range recs {
			actor := r.Actor
			if actor == "" {
				actor = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.In(chinaTime).Format(time.DateTime), actor, r.Action, r.Subject, r.Detail)
		}
		tw.Flush()
	}
	if err := s.VerifyAudit(); err != nil {
		return err
	}
	if !*orFalse(asJSON) {
		e.say("审计日志完整：共 %d 条记录，SM3 哈希链已核验。", "Audit log intact: %d record(s), SM3 hash chain verified.", len(recs))
	}
	return nil
}

func orFalse(b *bool) *bool {
	if b == nil {
		return new(bool)
	}
	return b
}

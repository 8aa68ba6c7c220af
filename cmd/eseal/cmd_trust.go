package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/trustbundle"
)

const trustUsage = "usage: eseal trust add ROOT.pem [--note TEXT] [--status-url URL] | eseal trust list | " +
	"eseal trust export --out FILE [--public-url URL] | eseal trust import BUNDLE --fingerprint SHA256"

// runTrustExport writes the region's signed trust bundle (internal/trustbundle) and prints the
// root's fingerprint, which the other region needs, by another channel, to import it.
func runTrustExport(e *env, args []string) error {
	fs := newFlags(e, "trust export")
	data := dataFlag(e, fs)
	out := fs.String("out", "", "write the signed trust bundle to this file (required)")
	publicURL := fs.String("public-url", "", "base URL under which other regions reach this region's service (https://…), recorded for later exports; required the first time")
	validity := fs.Duration("validity", certstore.DefaultTrustBundleValidity, "how long the bundle may be imported (its next update)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required (%s)", trustUsage)
	}
	if *validity < certstore.MinTrustBundleValidity || *validity > trustbundle.MaxValidity {
		return usagef("--validity must be from %s to %s", certstore.MinTrustBundleValidity, trustbundle.MaxValidity)
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	if *publicURL != "" {
		if _, err := s.SetPublicURL(*publicURL); err != nil {
			return err
		}
	} else if u, err := s.PublicURL(); err != nil {
		return err
	} else if u == "" {
		return usagef("this region has no public URL yet: pass --public-url https://… (the address other regions reach its service at)")
	}
	bundle, b, err := s.ExportTrustBundle(*validity)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(e.path(*out), bundle, 0o644); err != nil {
		return fmt.Errorf("sequence %d was signed but not written: %w", b.Sequence, err)
	}
	e.say("已写入 %s：地区 %s %s 的信任包，序号 %d，下次更新 %s", "Wrote %s: the trust bundle of region %s %s, sequence %d, next update %s", *out, b.RegionCode, b.RegionName,
		b.Sequence, b.NextUpdate.In(chinaTime).Format(time.DateTime))
	e.say("  吊销与印章状态发布于 %s", "  revocations and seal statuses at %s", b.StatusURL)
	e.say("根证书 %s", "Root %s", b.Root.Subject)
	e.say("请通过信任包以外的渠道将此指纹告知导入方：", "Give the importing region this fingerprint by another channel than the bundle:")
	fmt.Fprintf(e.stdout, "SHA-256 %s\n", b.RootFingerprint())
	return nil
}

// runTrustImport verifies another region's trust bundle against its root's fingerprint and
// trusts that root. A bundle that is not one, or over the limits, is unusable input (exit 4); one
// that is refused (fingerprint, signature, certificates, times, an older sequence) exits 1.
func runTrustImport(e *env, args []string) error {
	fs := newFlags(e, "trust import")
	data := dataFlag(e, fs)
	fingerprint := fs.String("fingerprint", "", "SHA-256 fingerprint of the region's root, obtained from that region by another channel (hex, colons allowed; required)")
	note := fs.String("note", "", "why this region is trusted (recorded in the audit log)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("%s", trustUsage)
	}
	if *fingerprint == "" {
		return usagef("--fingerprint is required: the SHA-256 of the region's root, which `eseal trust export` printed there")
	}
	fp, err := trustbundle.ParseFingerprint(*fingerprint)
	if err != nil {
		return usagef("--fingerprint: %v", err)
	}
	raw, err := readLimited(e.path(rest[0]), trustbundle.MaxSize, "a trust bundle")
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	res, err := s.ImportTrustBundle(raw, fp, *note)
	var be *trustbundle.Error
	switch {
	case errors.As(err, &be) && (be.Reason == trustbundle.Malformed || be.Reason == trustbundle.TooLarge):
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", rest[0], err)}
	case errors.As(err, &be) && be.Reason == trustbundle.FingerprintMismatch:
		return fmt.Errorf("%s: %w; nothing imported: check the fingerprint with the region that sent the bundle", rest[0], err)
	case errors.Is(err, certstore.ErrStaleBundle):
		return fmt.Errorf("%s: %w; nothing imported: an older or replayed bundle", rest[0], err)
	case err != nil:
		return fmt.Errorf("%s: %w; nothing imported", rest[0], err)
	}
	b := res.Bundle
	fmt.Fprintf(e.stdout, e.tr("已导入地区 %s %s 的信任包：序号 %d", "Imported the trust bundle of region %s %s: sequence %d"), b.RegionCode, b.RegionName, b.Sequence)
	if res.Previous != 0 {
		fmt.Fprintf(e.stdout, e.tr("（此前为 %d）", " (after %d)"), res.Previous)
	}
	fmt.Fprintf(e.stdout, e.tr("，签发于 %s，下次更新 %s\n", ", issued %s, next update %s\n"), b.Issued.In(chinaTime).Format(time.DateTime), b.NextUpdate.In(chinaTime).Format(time.DateTime))
	switch len(res.Added) {
	case 0:
		e.say("新增 0 个信任锚；此前已信任：", "Added 0 trust anchors; already trusted:")
	case 1:
		e.say("新增 1 个信任锚：", "Added 1 trust anchor:")
	default:
		e.say("新增 %d 个信任锚：", "Added %d trust anchors:", len(res.Added))
	}
	for _, a := range append(res.Added, res.AlreadyTrusted...) {
		fmt.Fprintf(e.stdout, "  %s (SHA-256 %s)\n", a.Subject, a.Fingerprint)
		e.say("    吊销与印章状态来自 %s", "    revocations and seal statuses from %s", a.StatusURL)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// chinaTime is the zone dates without a zone are read in: seals are issued in China.
var chinaTime = time.FixedZone("CST", 8*3600)

func runSeal(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: seal new|list|show|verify")
	}
	switch args[0] {
	case "new":
		return runSealNew(e, args[1:])
	case "list":
		return runSealList(e, args[1:])
	case "show":
		return runSealShow(e, args[1:])
	case "verify":
		return runSealVerify(e, args[1:])
	default:
		return usagef("unknown subcommand %q: seal new|list|show|verify", args[0])
	}
}

func runSealNew(e *env, args []string) error {
	fs := newFlags(e, "seal new")
	data := dataFlag(e, fs)
	name := fs.String("name", "", "the seal's name, e.g. 某市行政审批局行政审批专用章 (required)")
	image := fs.String("image", "", "seal picture (PNG, JPEG or GIF); default: a generated one")
	fontPath := fs.String("font", "", "a CJK font (TrueType/OpenType, or a .ttc collection) for the generated picture's text; default: the system's, found with fontconfig")
	validUntil := fs.String("valid-until", "", "last day the seal is valid (YYYY-MM-DD, China time, or RFC 3339); default 5 years")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usagef("--name is required")
	}
	req := certstore.SealRequest{Name: *name}
	if *validUntil != "" {
		t, err := parseDateOrTime(*validUntil, lastSecondOfDay)
		if err != nil {
			return usagef("--valid-until: %v", err)
		}
		req.ValidUntil = t
	}
	if *image != "" {
		if *fontPath != "" {
			return usagef("--font draws a generated picture; it does not apply with --image")
		}
		pic, err := readPicture(e.path(*image))
		if err != nil {
			return usagef("--image: %v", err)
		}
		req.Picture = pic
	}
	if *fontPath != "" {
		f, err := seal.LoadFont(e.path(*fontPath))
		if err != nil {
			return usagef("--font: %v", err)
		}
		req.Font = f
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	rec, err := s.NewSeal(req)
	if err != nil {
		return err
	}
	for _, w := range rec.PictureWarnings {
		fmt.Fprintf(e.stderr, "eseal seal new: warning: %s\n", w)
	}
	e.say("已制作印章“%s”，有效期 %s 至 %s；签章证书序列号 %s", "Seal %q made, valid %s to %s; signer certificate serial %s",
		rec.Name, rec.ValidStart.In(chinaTime).Format(time.DateOnly), rec.ValidEnd.In(chinaTime).Format(time.DateOnly), rec.SignerSerial)
	fmt.Fprintln(e.stdout, rec.ESID)
	return nil
}

// lastSecondOfDay is where in a date's day --valid-until ends.
const lastSecondOfDay = 24*time.Hour - time.Second

// parseDateOrTime reads a date (China time), taken at intoDay after the day's start, or an
// RFC 3339 time.
func parseDateOrTime(s string, intoDay time.Duration) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, chinaTime); err == nil {
		return t.Add(intoDay), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return t, nil
}

func readPicture(path string) (*seal.Picture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	typ := seal.SniffImageType(data)
	switch typ {
	case "PNG", "JPG", "GIF":
	default:
		return nil, fmt.Errorf("%s is not a PNG, JPEG or GIF image", path)
	}
	pic := seal.Picture{Type: typ, Data: data, WidthMM: 40, HeightMM: 40}
	if err := seal.ValidatePicture(pic); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &pic, nil
}

func runSealList(e *env, args []string) error {
	fs := newFlags(e, "seal list")
	data := dataFlag(e, fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	seals, err := s.Seals()
	if err != nil {
		return err
	}
	if len(seals) == 0 {
		e.say("还没有印章：用 `eseal seal new --name 名称` 制作。", "No seals yet: make one with `eseal seal new --name NAME`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("印章编码\t名称\t有效期至\t签章证书序列号", "ESID\tNAME\tVALID UNTIL\tSIGNER SERIAL"))
	for _, r := range seals {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ESID, r.Name, r.ValidEnd.In(chinaTime).Format(time.DateOnly), r.SignerSerial)
	}
	return tw.Flush()
}

// readSealFile reads a seal file (.esl: an SESeal in DER).
func readSealFile(path string) ([]byte, error) {
	return readLimited(path, verify.MaxSealSize, "a seal")
}

// runSealVerify verifies a seal file on its own, with verify's report and exit codes.
func runSealVerify(e *env, args []string) error {
	fs := newFlags(e, "seal verify")
	rf := addReportFlags(e, fs)
	signerPath := fs.String("signer", "", "also check that this certificate (PEM or DER) is one of the seal's allowed signers")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal seal verify FILE.esl [--signer CERT.pem] [--trust ROOT.pem]... [--time T] [--json]")
	}
	fail := func(err error) error { return rf.fail(e, err) }
	der, err := readSealFile(e.path(rest[0]))
	if err != nil {
		return fail(err)
	}
	var signer []byte
	if *signerPath != "" {
		certs, err := readCertificates(e.path(*signerPath))
		if err != nil {
			return fail(fmt.Errorf("--signer %s: %w", *signerPath, err))
		}
		if len(certs) != 1 {
			return fail(fmt.Errorf("--signer %s: %d certificates; give the one signer certificate", *signerPath, len(certs)))
		}
		signer = certs[0].Raw
	}
	opts, closeStore, err := rf.options(e, rest[0])
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	rep, err := verify.VerifySeal(context.Background(), der, signer, opts)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", rest[0], err))
	}
	return rf.print(e, rep)
}

func runSealShow(e *env, args []string) error {
	fs := newFlags(e, "seal show")
	data := dataFlag(e, fs)
	exportImage := fs.String("export-image", "", "write the seal picture to this file")
	exportESL := fs.String("export-esl", "", "write the seal (GB/T 38540 SESeal, DER) to this file")
	exportCert := fs.String("export-cert", "", "write the signer certificate (PEM) to this file")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal seal show ESID|FILE.esl [--export-image FILE] [--export-esl FILE] [--export-cert FILE]")
	}
	if fi, err := os.Stat(e.path(rest[0])); err == nil && !fi.IsDir() {
		return showSealFile(e, rest[0], *exportImage, *exportESL, *exportCert)
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	rec, err := s.Seal(rest[0])
	if err != nil {
		return err
	}
	sl, err := seal.ParseSeal(rec.ESL)
	if err != nil {
		return err
	}
	cert, err := smcrypto.ParseCertificate(rec.SignerCert)
	if err != nil {
		return err
	}
	st, err := s.CertificateStatus(cert, nil)
	if err != nil {
		return err
	}
	status := "valid"
	if st.Revoked {
		status = fmt.Sprintf("signer certificate REVOKED on %s (%s)", st.RevokedAt.In(chinaTime).Format(time.DateTime), st.Reason)
	} else if time.Now().After(rec.ValidEnd) {
		status = "expired"
	}
	w := e.stdout
	fmt.Fprintf(w, "Seal:        %s\n", sl.Name)
	fmt.Fprintf(w, "esID:        %s\n", sl.ESID)
	fmt.Fprintf(w, "Status:      %s\n", status)
	fmt.Fprintf(w, "Type:        %d, GB/T 38540 version %d, vendor %q\n", sl.Type, sl.Version, sl.Header.VendorID)
	fmt.Fprintf(w, "Valid:       %s to %s\n", sl.ValidStart.In(chinaTime).Format(time.DateTime), sl.ValidEnd.In(chinaTime).Format(time.DateTime))
	fmt.Fprintf(w, "Picture:     %s, %d×%d mm, %d bytes\n", sl.Picture.Type, sl.Picture.WidthMM, sl.Picture.HeightMM, len(sl.Picture.Data))
	fmt.Fprintf(w, "Signer:      %s\n", cert.Subject)
	fmt.Fprintf(w, "  issuer     %s\n", cert.Issuer)
	fmt.Fprintf(w, "  serial     %s\n", smcrypto.SerialHex(cert.SerialNumber))
	for _, x := range []struct {
		path string
		data []byte
	}{
		{*exportImage, sl.Picture.Data}, {*exportESL, rec.ESL}, {*exportCert, smcrypto.EncodeCertificatePEM(cert)},
	} {
		if x.path == "" {
			continue
		}
		if err := writeFileAtomic(e.path(x.path), x.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "Wrote %s\n", x.path)
	}
	return nil
}

// showSealFile prints a seal file: what it says of itself (name, esID, type, vendor, validity,
// maker, allowed signers), and exports its parts. Whether it can be trusted is seal verify's.
func showSealFile(e *env, path, exportImage, exportESL, exportCert string) error {
	der, err := readSealFile(e.path(path))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	sl, err := seal.ParseSeal(der)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: not an electronic seal (GB/T 38540 / GM/T 0031 SESeal): %w", path, err)}
	}
	w := e.stdout
	fmt.Fprintf(w, "Seal:        %s\n", sl.Name)
	fmt.Fprintf(w, "esID:        %s\n", sl.ESID)
	fmt.Fprintf(w, "Type:        %d, %s version %d, vendor %q\n", sl.Type, sealStandard(sl.Version), sl.Version, sl.Header.VendorID)
	fmt.Fprintf(w, "Created:     %s\n", sl.CreateDate.In(chinaTime).Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "Valid:       %s to %s\n", sl.ValidStart.In(chinaTime).Format(time.DateTime+" MST"), sl.ValidEnd.In(chinaTime).Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "Picture:     %s, %d×%d mm, %d bytes\n", sl.Picture.Type, sl.Picture.WidthMM, sl.Picture.HeightMM, len(sl.Picture.Data))
	if maker, err := smcrypto.ParseCertificate(sl.MakerCert); err == nil {
		fmt.Fprintf(w, "Maker:       %s\n", maker.Subject)
		fmt.Fprintf(w, "  issuer     %s\n", maker.Issuer)
		fmt.Fprintf(w, "  serial     %s\n", smcrypto.SerialHex(maker.SerialNumber))
	} else {
		fmt.Fprintf(w, "Maker:       certificate not readable by strict X.509 (%v)\n", err)
	}
	var signerPEM []byte
	fmt.Fprintf(w, "Signers:     %d allowed\n", len(sl.Certs)+len(sl.CertDigests))
	for i, c := range sl.Certs {
		cert, err := smcrypto.ParseCertificate(c)
		if err != nil {
			fmt.Fprintf(w, "  %d.         unreadable certificate (%v)\n", i+1, err)
			continue
		}
		fmt.Fprintf(w, "  %d.         %s (serial %s, valid %s to %s)\n", i+1, cert.Subject, smcrypto.SerialHex(cert.SerialNumber),
			cert.NotBefore.In(chinaTime).Format(time.DateOnly), cert.NotAfter.In(chinaTime).Format(time.DateOnly))
		signerPEM = append(signerPEM, smcrypto.EncodeCertificatePEM(cert)...)
	}
	for i, d := range sl.CertDigests {
		fmt.Fprintf(w, "  %d.         certificate digest %s %X\n", len(sl.Certs)+i+1, d.Type, d.Value)
	}
	for _, q := range sl.Quirks {
		fmt.Fprintf(w, "Deviation:   %s\n", q)
	}
	if exportCert != "" && signerPEM == nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("--export-cert: the seal lists no readable signer certificate")}
	}
	for _, x := range []struct {
		path string
		data []byte
	}{
		{exportImage, sl.Picture.Data}, {exportESL, der}, {exportCert, signerPEM},
	} {
		if x.path == "" {
			continue
		}
		if err := writeFileAtomic(e.path(x.path), x.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "Wrote %s\n", x.path)
	}
	return nil
}

func sealStandard(version int) string {
	switch version {
	case 1:
		return "GM/T 0031-2014"
	case 5:
		return "GM/T 0031-2025"
	}
	return "GB/T 38540-2020"
}

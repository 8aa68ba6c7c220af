package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// chinaTime is the zone dates without a zone are read in: seals are issued in China.
var chinaTime = time.FixedZone("CST", 8*3600)

func runSeal(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: seal new|list|show")
	}
	switch args[0] {
	case "new":
		return runSealNew(e, args[1:])
	case "list":
		return runSealList(e, args[1:])
	case "show":
		return runSealShow(e, args[1:])
	default:
		return usagef("unknown subcommand %q: seal new|list|show", args[0])
	}
}

func runSealNew(e *env, args []string) error {
	fs := newFlags(e, "seal new")
	data := dataFlag(e, fs)
	name := fs.String("name", "", "the seal's name, e.g. 某市行政审批局行政审批专用章 (required)")
	image := fs.String("image", "", "seal picture (PNG, JPEG or GIF); default: a generated one")
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
		pic, err := readPicture(*image)
		if err != nil {
			return usagef("--image: %v", err)
		}
		req.Picture = pic
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := s.NewSeal(req)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Seal %q made, valid %s to %s; signer certificate serial %s\n",
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
	defer s.Close()
	seals, err := s.Seals()
	if err != nil {
		return err
	}
	if len(seals) == 0 {
		fmt.Fprintln(e.stdout, "No seals yet: make one with `eseal seal new --name NAME`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ESID\tNAME\tVALID UNTIL\tSIGNER SERIAL")
	for _, r := range seals {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ESID, r.Name, r.ValidEnd.In(chinaTime).Format(time.DateOnly), r.SignerSerial)
	}
	return tw.Flush()
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
		return usagef("usage: eseal seal show ESID [--export-image FILE] [--export-esl FILE] [--export-cert FILE]")
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
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
		if err := writeFileAtomic(x.path, x.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "Wrote %s\n", x.path)
	}
	return nil
}

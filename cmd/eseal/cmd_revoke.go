package main

import (
	"fmt"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/verify"
)

func runRevoke(e *env, args []string) error {
	if len(args) == 0 || args[0] != "cert" {
		return usagef("usage: eseal revoke cert SERIAL --reason REASON")
	}
	fs := newFlags(e, "revoke cert")
	data := dataFlag(e, fs)
	reasonFlag := fs.String("reason", "", "RFC 5280 reason: "+verify.RevocationReasonNames()+" (required)")
	invalidity := fs.String("invalidity-date", "", "when the key became unusable (YYYY-MM-DD or RFC 3339), if known")
	issuer := fs.String("issuer-key-id", "", "issuer key ID (hex), when several issuers used the serial")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("usage: eseal revoke cert SERIAL --reason REASON")
	}
	if *reasonFlag == "" {
		return usagef("--reason is required (%s)", verify.RevocationReasonNames())
	}
	reason, err := verify.ParseRevocationReason(*reasonFlag)
	if err != nil {
		return usagef("--reason: %v", err)
	}
	req := certstore.RevokeRequest{Serial: rest[0], Reason: reason, IssuerKeyID: *issuer}
	if *invalidity != "" {
		t, err := parseDateOrTime(*invalidity, 0)
		if err != nil {
			return usagef("--invalidity-date: %v", err)
		}
		req.InvalidityDate = t
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	rev, err := s.RevokeCertificate(req)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Revoked certificate %s (%s): reason %s, at %s\n", rev.Serial, rev.Subject, rev.Reason,
		rev.RevokedAt.In(chinaTime).Format(time.DateTime))
	return nil
}

package main

import (
	"fmt"

	"github.com/eseal/eseal/internal/smcrypto"
)

func runInit(e *env, args []string) error {
	fs := newFlags(e, "init")
	data := dataFlag(e, fs)
	code := fs.String("region", "", "6-digit administrative division code of the region (required)")
	name := fs.String("name", "", "name of the region's issuing authority, e.g. 某市行政审批局 (required)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *code == "" || *name == "" {
		return usagef("--region and --name are required")
	}
	s, err := openStore(e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.InitRegion(*code, *name)
	if err != nil {
		return err
	}
	root, err := smcrypto.ParseCertificate(r.RootCert)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Region %s %s set up in %s\n", r.Code, r.Name, *data)
	fmt.Fprintf(e.stdout, "Root CA: %s\n  serial %s, valid until %s\n", root.Subject, smcrypto.SerialHex(root.SerialNumber), root.NotAfter.In(chinaTime).Format("2006-01-02"))
	return nil
}

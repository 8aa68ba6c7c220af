package main

import (
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
	e.say("已在 %[3]s 建立地区 %[1]s %[2]s", "Region %s %s set up in %s", r.Code, r.Name, *data)
	e.say("根证书：%s\n  序列号 %s，有效期至 %s", "Root CA: %s\n  serial %s, valid until %s", root.Subject, smcrypto.SerialHex(root.SerialNumber), root.NotAfter.In(chinaTime).Format("2006-01-02"))
	return nil
}

package main

import (
	"encoding/pem"
	"time"
)

// runCRL issues the region's CRL anew (its number one more, current for certstore.CRLValidity)
// and writes it, DER or PEM.
func runCRL(e *env, args []string) error {
	fs := newFlags(e, "crl")
	data := dataFlag(e, fs)
	out := fs.String("out", "", "file to write the CRL to (required)")
	asPEM := fs.Bool("pem", false, "write PEM instead of DER")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	rec, err := s.IssueCRL()
	if err != nil {
		return err
	}
	body := rec.DER
	if *asPEM {
		body = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: rec.DER})
	}
	if err := writeFileAtomic(e.path(*out), body, 0o644); err != nil {
		return err
	}
	e.say("签发者 %[2]s 的第 %[1]d 号证书吊销列表：%[3]d 张已吊销证书，下次更新 %[4]s → %[5]s", "CRL number %d of issuer %s: %d revoked certificates, next update %s → %s", rec.Number, rec.IssuerKeyID, rec.Entries,
		rec.NextUpdate.In(chinaTime).Format(time.DateTime), *out)
	return nil
}

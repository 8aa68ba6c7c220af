package main

import (
	"os"
	"path/filepath"

	"github.com/eseal/eseal/internal/smcrypto"
)

// readCertificates reads the certificates of a PEM or DER file (a root to trust);
// smcrypto.ParseCertificates fails when the file holds none.
func readCertificates(path string) ([]*smcrypto.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return smcrypto.ParseCertificates(data)
}

// writeFileAtomic writes data to a temporary file beside path and renames it into place, so a
// failure never leaves a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

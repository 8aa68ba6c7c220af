package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/eseal/eseal/internal/smcrypto"
)

// readCertificates reads the certificates of a PEM or DER file (a root to trust);
// smcrypto.ParseCertificates fails when the file holds none.
func readCertificates(path string) ([]*smcrypto.Certificate, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, err
	}
	return smcrypto.ParseCertificates(data)
}

// openRegular opens a regular file for reading, refusing anything else before it can block
// or never end: a FIFO without a writer would hold the open itself, a device would never end.
// The file is opened without blocking and checked again once open, in case it was swapped.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = regular(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func regular(path string, fi os.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "not a regular file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&os.ModeNamedPipe != 0:
		what = "a named pipe (FIFO); to read a stream, give - and pipe it to standard input"
	case m&os.ModeDevice != 0:
		what = "a device"
	case m&os.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s is %s", path, what)
}

// stdinToTemp copies standard input to a temporary file, which the verifier can read at any
// offset; remove deletes it.
func stdinToTemp(in io.Reader) (f *os.File, remove func(), err error) {
	f, err = os.CreateTemp("", "eseal-stdin-*.pdf")
	if err != nil {
		return nil, nil, err
	}
	remove = func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, in); err != nil {
		remove()
		return nil, nil, fmt.Errorf("reading standard input: %w", err)
	}
	return f, remove, nil
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

// readLimited reads a small regular file whole (a seal, a signature), refusing what is not a
// regular file or is larger than limit: what names what the file should be.
func readLimited(path string, limit int64, what string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %s can be (the limit is %d bytes)", path, what, limit)
	}
	return data, nil
}

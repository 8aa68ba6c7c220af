package sign

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// SignPDFFile seals the PDF at inPath into outPath. The input is only read, and as a stream
// only once: its bytes go to the output as they are hashed, so what is signed is what is
// written. The output is written to a temporary file next to outPath, synced, and renamed
// over outPath only when complete, so a failure at any step leaves no partial output (and an
// existing outPath as it was). outPath must not name the input, through any path, link or
// symlink.
func SignPDFFile(inPath, outPath string, s Sealer, opts PDFOptions) (res *Result, err error) {
	err = signFile(inPath, outPath, func(in *os.File, size int64, w io.Writer) error {
		res, err = signPDF(in, w, true, s, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// signFile runs sign from the regular file inPath to a temporary file renamed over outPath
// only when complete.
func signFile(inPath, outPath string, sign func(in *os.File, size int64, w io.Writer) error) error {
	if inPath == "" || outPath == "" {
		return errorf(IOFailed, nil, "empty path")
	}
	// A FIFO without a writer would block the open itself: look before opening, and open
	// without blocking in case the file is swapped meanwhile (checked again below).
	if fi, err := os.Stat(inPath); err == nil && !fi.Mode().IsRegular() {
		return errorf(IOFailed, nil, "input %s is not a regular file", inPath)
	}
	in, err := os.OpenFile(inPath, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return errorf(IOFailed, err, "opening the input")
	}
	defer in.Close()
	inInfo, err := in.Stat()
	if err != nil {
		return errorf(IOFailed, err, "reading the input")
	}
	if !inInfo.Mode().IsRegular() {
		return errorf(IOFailed, nil, "input %s is not a regular file", inPath)
	}
	mode := fs.FileMode(0o644)
	switch outInfo, err := os.Stat(outPath); {
	case err == nil:
		if os.SameFile(inInfo, outInfo) {
			return errorf(SameFile, nil, "%s and %s are the same file", inPath, outPath)
		}
		if !outInfo.Mode().IsRegular() {
			return errorf(IOFailed, nil, "output %s exists and is not a regular file", outPath)
		}
		mode = outInfo.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return errorf(IOFailed, err, "checking the output path")
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".*.tmp")
	if err != nil {
		return errorf(IOFailed, err, "creating the output next to %s", outPath)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 256<<10)
	if err := sign(in, inInfo.Size(), w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return errorf(IOFailed, err, "writing the output")
	}
	if err := tmp.Chmod(mode); err != nil {
		return errorf(IOFailed, err, "setting the output's permissions")
	}
	if err := tmp.Sync(); err != nil {
		return errorf(IOFailed, err, "writing the output")
	}
	if err := tmp.Close(); err != nil {
		return errorf(IOFailed, err, "writing the output")
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		os.Remove(tmp.Name())
		done = true
		return errorf(IOFailed, err, "renaming the output into place")
	}
	done = true
	return nil
}

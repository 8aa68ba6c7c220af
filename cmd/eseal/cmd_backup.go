package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eseal/eseal/certstore"
)

// runBackup writes a consistent copy of the store file while it stays in use (through a running
// server's admin socket, or directly). The copy is written beside its destination and renamed
// into place once complete and synced, so a half-written backup never carries the name.
func runBackup(e *env, args []string) error {
	fs := newFlags(e, "backup")
	data := dataFlag(e, fs)
	out := fs.String("out", "", "file to write the copy of eseal.db to (required; mode 0600)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	path := e.path(*out)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usagef("--out %s is a directory; name the backup file", *out)
	}
	s, err := openInitializedStore(e, *data)
	if err != nil {
		return err
	}
	defer e.release(s)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("--out: %w", err)}
	}
	tmp := f.Name()
	n, err := s.Backup(f, nil)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	e.say("已将数据库备份（%d 字节）写入 %s。其中的私钥以密钥口令加密，备份中不含口令：请另行妥善保管口令（ESEAL_KEY_PASSPHRASE 或 %s）。", "Backed up the store (%d bytes) to %s. Its keys are encrypted under the store's key passphrase, which is not in it: keep the passphrase (ESEAL_KEY_PASSPHRASE or %s) apart.",
		n, *out, filepath.Join(*data, certstore.PassphraseFileName))
	return nil
}

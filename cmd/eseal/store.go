package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/remote"
	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
)

const defaultDataDir = "eseal-data"

// dataFlag registers --data with its default from ESEAL_DATA.
func dataFlag(e *env, fs *flag.FlagSet) *string {
	def := e.getenv("ESEAL_DATA")
	if def == "" {
		def = defaultDataDir
	}
	return fs.String("data", def, "data directory holding eseal.db (env ESEAL_DATA)")
}

// openStore opens the store for writing (creating the data directory when new). Inside a running
// server (a command that came through the admin socket) it is the server's open store.
func openStore(e *env, dir string) (*certstore.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	return certstore.Open(dir, certstore.Options{
		Passphrase: []byte(e.getenv("ESEAL_KEY_PASSPHRASE")),
		Warn:       func(msg string) { fmt.Fprintln(e.stderr, "warning:", msg) },
		Actor:      cliActor(e),
	})
}

// cliActor is how the audit log names a person at this machine's command line.
func cliActor(e *env) string {
	name := e.getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = fmt.Sprintf("uid %d", os.Getuid())
	}
	return "cli:" + name
}

// openStoreIfExists opens an existing store read-only, for verification; nil when there is none.
func openStoreIfExists(e *env, dir string) (*certstore.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	if _, err := os.Stat(filepath.Join(dir, certstore.DBFileName)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return certstore.Open(dir, certstore.Options{ReadOnly: true})
}

// openInitializedStore opens the store and fails unless a region is set up.
func openInitializedStore(e *env, dir string) (*certstore.Store, error) {
	if e.store != nil {
		_, err := e.store.Region()
		return e.store, err
	}
	if _, err := os.Stat(filepath.Join(dir, certstore.DBFileName)); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no store in %s: run `eseal init --region CODE --name NAME` first (or pass --data)", dir)
	}
	s, err := openStore(e, dir)
	if err != nil {
		return nil, err
	}
	if _, err := s.Region(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// release closes a store a command opened; the server's own store stays open.
func (e *env) release(s *certstore.Store) {
	if s != e.store {
		s.Close()
	}
}

// path resolves a file name the user gave against the directory the command was run in: the
// process's own, or the admin client's for a command run inside the server.
func (e *env) path(p string) string {
	if e.dir == "" || p == "" || p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

// defaultRemoteRefresh is how long another region's CRL and statuses are used before they are
// fetched again, unless `serve --remote-refresh` says otherwise.
const defaultRemoteRefresh = 5 * time.Minute

// revocationSource is what verification asks about revocations: the store, and through it the
// services of the other regions it trusts with a status URL (`trust add --status-url`, `trust
// import`), whose answers are used for refresh (zero: asked again at every verification).
func revocationSource(s *certstore.Store, refresh time.Duration) verify.RevocationChecker {
	if refresh <= 0 {
		refresh = time.Nanosecond // remote.Checker reads zero as its default
	}
	return remote.Fallback{Local: s, Remote: &remote.Checker{RefreshAfter: refresh, Source: func() ([]remote.Region, error) {
		regions, err := s.RemoteRegions()
		if err != nil {
			return nil, err
		}
		out := make([]remote.Region, len(regions))
		for i, r := range regions {
			out[i] = remote.Region{Root: r.Root, URL: r.URL}
		}
		return out, nil
	}}}
}

// sealerFor is what the sign library needs to seal with esID, from the store: the seal's key,
// the seal, and the signer chain as DER; with the parsed seal and chain for the messages and
// the issuance record.
func sealerFor(s *certstore.Store, esID string) (sign.Sealer, *seal.Seal, []*smcrypto.Certificate, error) {
	key, sl, chain, err := s.SealSigner(esID)
	if err != nil {
		return sign.Sealer{}, nil, nil, err
	}
	ders := make([][]byte, len(chain))
	for i, c := range chain {
		ders[i] = c.Raw
	}
	return sign.Sealer{Signer: key, Seal: sl.Raw, Chain: ders}, sl, chain, nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eseal/eseal/api"
	"github.com/eseal/eseal/certstore"
)

// serveOpsFlags are serve's operational flags: the HTTP server's limits, the API's, shutdown and
// logging.
type serveOpsFlags struct {
	maxHeaderBytes    *int
	readHeaderTimeout *time.Duration
	idleTimeout       *time.Duration
	writeTimeout      *time.Duration
	minUploadRate     *int64
	uploadGrace       *time.Duration
	maxConns          *int
	rateLimit         *int
	maxVerifications  *int
	verifyMemory      *int64
	verifyQueueWait   *time.Duration
	shutdownTimeout   *time.Duration
	logFormat         *string
	trustedProxies    []netip.Prefix
}

func addServeOpsFlags(fs *flag.FlagSet) *serveOpsFlags {
	f := &serveOpsFlags{
		maxHeaderBytes:    fs.Int("max-header-bytes", api.DefaultMaxHeaderBytes, "largest request header block in bytes (beyond: 431)"),
		readHeaderTimeout: fs.Duration("read-header-timeout", api.DefaultReadHeaderTimeout, "time a client has to send its request headers"),
		idleTimeout:       fs.Duration("idle-timeout", api.DefaultIdleTimeout, "time a kept-alive connection may wait for its next request"),
		writeTimeout:      fs.Duration("write-timeout", api.DefaultWriteTimeout, "time to answer a request once its body is read"),
		minUploadRate:     fs.Int64("min-upload-rate", api.DefaultMinUploadRate, "slowest accepted upload in bytes/s, on average after --upload-grace (slower: 408)"),
		uploadGrace:       fs.Duration("upload-grace", api.DefaultUploadGrace, "time before --min-upload-rate applies, and the longest pause allowed in an upload"),
		maxConns:          fs.Int("max-conns", api.DefaultMaxConns, "connections served at once (beyond: only /healthz and /readyz are answered, others 503)"),
		rateLimit:         fs.Int("rate-limit", 300, "requests per minute per client IP on the public routes (beyond: 429); 0 disables"),
		maxVerifications:  fs.Int("max-verifications", api.DefaultMaxVerifications(), "verifications running at once"),
		verifyMemory:      fs.Int64("verify-memory", api.DefaultVerifyMemory, "upload bytes the running verifications may hold together"),
		verifyQueueWait:   fs.Duration("verify-queue-wait", api.DefaultQueueWait, "longest wait for room to verify (beyond: 503 with Retry-After)"),
		shutdownTimeout:   fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM or SIGINT, time given to the requests in flight before they are cut short"),
		logFormat:         fs.String("log-format", "text", "log format: text or json"),
	}
	fs.Func("trusted-proxy", "a reverse proxy in front of the service (address or CIDR; repeatable): the rate limit then keys its requests by the client X-Forwarded-For names", func(v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return fmt.Errorf("%q is not an address or CIDR", v)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		f.trustedProxies = append(f.trustedProxies, p.Masked())
		return nil
	})
	return f
}

func (f *serveOpsFlags) check() error {
	for _, c := range []struct {
		name string
		bad  bool
	}{
		{"max-header-bytes", *f.maxHeaderBytes < 1024},
		{"read-header-timeout", *f.readHeaderTimeout <= 0},
		{"idle-timeout", *f.idleTimeout <= 0},
		{"write-timeout", *f.writeTimeout <= 0},
		{"min-upload-rate", *f.minUploadRate <= 0},
		{"upload-grace", *f.uploadGrace <= 0},
		{"max-conns", *f.maxConns <= 0},
		{"rate-limit", *f.rateLimit < 0},
		{"max-verifications", *f.maxVerifications <= 0},
		{"verify-memory", *f.verifyMemory <= 0},
		{"verify-queue-wait", *f.verifyQueueWait <= 0},
		{"shutdown-timeout", *f.shutdownTimeout <= 0},
	} {
		if c.bad {
			what := "positive"
			switch c.name {
			case "rate-limit":
				what = "0 (no limit) or more"
			case "max-header-bytes":
				what = "1024 or more"
			}
			return usagef("--%s must be %s", c.name, what)
		}
	}
	if *f.logFormat != "text" && *f.logFormat != "json" {
		return usagef("--log-format must be text or json")
	}
	return nil
}

func (f *serveOpsFlags) serverOptions() api.ServerOptions {
	return api.ServerOptions{
		MaxHeaderBytes: *f.maxHeaderBytes, ReadHeaderTimeout: *f.readHeaderTimeout, IdleTimeout: *f.idleTimeout,
		WriteTimeout: *f.writeTimeout, MinUploadRate: *f.minUploadRate, UploadGrace: *f.uploadGrace, MaxConns: *f.maxConns,
	}
}

func (f *serveOpsFlags) operations(ready func(context.Context) error) api.Operations {
	return api.Operations{
		RateLimit: *f.rateLimit, MaxVerifications: *f.maxVerifications, VerifyMemory: *f.verifyMemory,
		QueueWait: *f.verifyQueueWait, Ready: ready, TrustedProxies: f.trustedProxies,
	}
}

func (f *serveOpsFlags) logger(w io.Writer) *slog.Logger {
	if *f.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// readiness answers /readyz: not ready once the server is shutting down, or when the store does
// not answer.
type readiness struct{ shuttingDown atomic.Bool }

func (r *readiness) check(s *certstore.Store) func(context.Context) error {
	return func(context.Context) error {
		if r.shuttingDown.Load() {
			return errors.New("shutting down")
		}
		if _, err := s.Region(); err != nil {
			return fmt.Errorf("the store does not answer: %v", err)
		}
		return nil
	}
}

// uploadDirName is the directory, in the data directory, that holds the uploads being verified.
const uploadDirName = "uploads"

// prepareUploadDir makes the upload directory and removes the uploads a crash left in it.
func prepareUploadDir(dataDir string, log *slog.Logger) (string, error) {
	dir := filepath.Join(dataDir, uploadDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("upload directory: %w", err)
	}
	if n, err := sweepUploads(dir); err != nil {
		return "", err
	} else if n > 0 {
		log.Warn("removed temporary uploads left by an earlier run", "count", n, "dir", dir)
	}
	return dir, nil
}

// sweepUploads removes the temporary upload files in dir, and nothing else; it returns how
// many it removed.
func sweepUploads(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("upload directory: %w", err)
	}
	n := 0
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), api.UploadFilePrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return n, fmt.Errorf("upload directory: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// dataDirChosen reports whether the data directory was chosen (--data or ESEAL_DATA) rather than
// the built-in default.
func dataDirChosen(e *env, fs *flag.FlagSet) bool {
	chosen := e.getenv("ESEAL_DATA") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" {
			chosen = true
		}
	})
	return chosen
}

// errNoStore is serve's answer to a chosen data directory without a store: a mistyped --data
// must not become a new certification authority.
func errNoStore(dir string) error {
	return fmt.Errorf("no eseal store in %s: set one up with `eseal init --data %s --region CODE --name NAME` (serve makes a demo region only in the default ./%s, with neither --data nor ESEAL_DATA)", dir, dir, defaultDataDir)
}

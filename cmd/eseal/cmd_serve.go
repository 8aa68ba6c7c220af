package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/eseal/eseal/api"
	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/eventlog"
)

// The demo region a fresh data directory gets from `serve`, so the service is usable at once.
const (
	demoRegionCode = "999999"
	demoRegionName = "演示地区行政审批局 (demo)"
)

func runServe(e *env, args []string) error {
	fs := newFlags(e, "serve")
	data := dataFlag(e, fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	maxUpload := fs.Int64("max-upload", api.DefaultMaxUploadBytes, "largest accepted upload in bytes")
	maxBackoff := fs.Duration("webhook-max-backoff", time.Hour, "longest wait between attempts to deliver an event to a webhook (the wait doubles from 1s)")
	remoteRefresh := fs.Duration("remote-refresh", defaultRemoteRefresh, "how long another region's CRL and signed statuses are used before they are fetched again (0: at every verification)")
	addrFile := fs.String("addr-file", "", "once listening, write the address (host:port) to this file, for supervisors and scripts (useful with --addr 127.0.0.1:0)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM, with its chain); needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the TLS certificate's private key (PEM)")
	clientCA := fs.String("client-ca", "", "require mutual TLS on the privileged routes: client certificates issued by these CAs (PEM), besides the API token")
	healthAddr := fs.String("health-addr", "", "also answer /healthz and /readyz, and nothing else, on this address (an internal one, for probes): outside the connection limit and the rate limit, so a flood of clients does not fail the probes")
	opsFlags := addServeOpsFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	tlsConfig, err := serveTLSConfig(e, *tlsCert, *tlsKey, *clientCA)
	if err != nil {
		return err
	}
	if *maxUpload <= 0 {
		return usagef("--max-upload must be positive")
	}
	if *remoteRefresh < 0 {
		return usagef("--remote-refresh must not be negative")
	}
	if *maxBackoff < time.Second {
		return usagef("--webhook-max-backoff must be 1s or more")
	}
	if err := opsFlags.check(); err != nil {
		return err
	}
	var hln net.Listener // taken first: a bad address is a usage error before anything is opened
	if *healthAddr != "" {
		if hln, err = net.Listen("tcp", *healthAddr); err != nil {
			return usagef("--health-addr: %v", err)
		}
		defer hln.Close()
	}
	log := opsFlags.logger(e.stderr)
	// Only the default data directory may be set up here, as a demo; a chosen one (a mistyped
	// --data, say) must hold a store already, and nothing is created in it.
	chosen := dataDirChosen(e, fs)
	if _, err := os.Stat(filepath.Join(*data, certstore.DBFileName)); chosen && errors.Is(err, os.ErrNotExist) {
		return errNoStore(*data)
	}
	s, err := openStore(e, *data)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Region(); errors.Is(err, certstore.ErrNotInitialized) {
		if chosen {
			return errNoStore(*data)
		}
		r, err := s.InitRegion(demoRegionCode, demoRegionName)
		if err != nil {
			return err
		}
		log.Warn("DEMO REGION: the default data directory had no store, so serve set up a demo region with its own root CA; "+
			"its seals are for trying eseal out, never for real licences. Use `eseal init --data DIR` for a real region",
			"region", r.Code, "name", r.Name, "data", *data)
	} else if err != nil {
		return err
	}
	uploadDir, err := prepareUploadDir(*data, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var ready readiness
	if hln != nil {
		hs := healthServer(ready.check(s))
		go hs.Serve(hln)
		defer hs.Close()
		log.Info("health checks", "addr", hln.Addr().String())
	}
	serverOpts := opsFlags.serverOptions()
	serverOpts.TLS = tlsConfig
	srv := api.NewServer(api.NewRouter(api.Config{
		Anchors: s, Revocation: revocationSource(s, *remoteRefresh), CRLs: s, Status: s, Events: s, OCSP: s, Store: s, ReportSigner: s,
		RequireClientCert: *clientCA != "", MaxUploadBytes: *maxUpload, Logger: log,
		TempDir: uploadDir, Ops: opsFlags.operations(ready.check(s)),
	}), serverOpts)
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			return fmt.Errorf("--addr-file: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Administrative commands reach the store through the admin socket while this runs.
	if adminLn, err := listenAdmin(*data); err != nil {
		log.Warn("no admin socket: administrative commands cannot run while this server holds the store", "err", err)
	} else {
		defer serveAdmin(ctx, adminLn, s, log)()
	}
	errc := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	go func() { errc <- srv.Serve(ln) }()
	// Events go to the webhooks from the outbox: those left undelivered by a crash go first.
	deliverer := &eventlog.Deliverer{Outbox: s, Wake: s.EventsAppended(), MaxBackoff: *maxBackoff, Log: log}
	deliveryCtx, stopDelivery := context.WithCancel(ctx)
	deliveryDone := make(chan struct{})
	go func() { defer close(deliveryDone); deliverer.Run(deliveryCtx) }()
	defer func() { stopDelivery(); <-deliveryDone }()
	// The published CRL is kept current: reissued well before its nextUpdate.
	go func() {
		t := time.NewTicker(crlCheckInterval)
		defer t.Stop()
		for {
			if issued, err := refreshCRL(s, time.Now()); err != nil {
				log.Error("reissuing the CRL", "err", err)
			} else if issued != nil {
				log.Info("CRL reissued", "number", issued.Number, "nextUpdate", issued.NextUpdate)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	e.say("eseal 服务已启动：%s://%s（数据目录 %s）", "eseal serving on %s://%s (data %s)", scheme, ln.Addr(), *data)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	ready.shuttingDown.Store(true)
	log.Info("shutting down: finishing the requests in flight", "timeout", opsFlags.shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *opsFlags.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("shutdown: requests in flight were cut short", "err", err)
	}
	// Every handler has removed its upload; this catches those a stuck handler still holds.
	if n, err := sweepUploads(uploadDir); err != nil {
		log.Error("removing temporary uploads", "err", err)
	} else if n > 0 {
		log.Warn("removed temporary uploads of requests cut short", "count", n)
	}
	log.Info("stopped")
	return nil
}

// crlCheckInterval is how often the service looks whether its CRL needs reissuing.
const crlCheckInterval = time.Hour

// refreshCRL issues the region's CRL anew when there is none yet or when less than half of its
// validity is left, so that relying parties always find a current one; it returns the new CRL,
// nil when none was needed.
func refreshCRL(s *certstore.Store, now time.Time) (*certstore.CRLRecord, error) {
	region, err := s.Region()
	if err != nil {
		return nil, err
	}
	latest, err := s.LatestCRL(region.RootKeyID)
	switch {
	case errors.Is(err, certstore.ErrNotFound):
	case err != nil:
		return nil, err
	case latest.NextUpdate.Sub(now) > certstore.CRLValidity/2:
		return nil, nil
	}
	return s.IssueCRL()
}

// serveTLSConfig is the HTTPS configuration the flags ask for; nil for plain HTTP. With a client
// CA, client certificates are asked for and verified when given; the privileged routes then
// refuse requests without one (api.Config.RequireClientCert).
func serveTLSConfig(e *env, certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		if clientCAFile != "" {
			return nil, usagef("--client-ca needs HTTPS: give --tls-cert and --tls-key")
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(e.path(certFile), e.path(keyFile))
	if err != nil {
		return nil, usagef("--tls-cert/--tls-key: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pem, err := os.ReadFile(e.path(clientCAFile))
		if err != nil {
			return nil, usagef("--client-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--client-ca %s: no PEM certificate in it", clientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// healthServer answers GET /healthz and /readyz only, on a listener of its own: small limits, no
// keep-alive, nothing of the API.
func healthServer(ready func(context.Context) error) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := ready(ctx); err != nil {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "not ready", "reason": err.Error()})
			return
		}
		io.WriteString(w, `{"status":"ready"}`+"\n")
	})
	hs := &http.Server{Handler: mux, MaxHeaderBytes: 4 << 10, ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 5 * time.Second}
	hs.SetKeepAlivesEnabled(false)
	return hs
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	addrFile := fs.String("addr-file", "", "once listening, write the address (host:port) to this file, for supervisors and scripts (useful with --addr 127.0.0.1:0)")
	opsFlags := addServeOpsFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *maxUpload <= 0 {
		return usagef("--max-upload must be positive")
	}
	if *maxBackoff < time.Second {
		return usagef("--webhook-max-backoff must be 1s or more")
	}
	if err := opsFlags.check(); err != nil {
		return err
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
	srv := api.NewServer(api.NewRouter(api.Config{
		Anchors: s, Revocation: revocationSource(s), CRLs: s, Status: s, Events: s, OCSP: s, MaxUploadBytes: *maxUpload, Logger: log,
		TempDir: uploadDir, Ops: opsFlags.operations(ready.check(s)),
	}), opsFlags.serverOptions())
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
	fmt.Fprintf(e.stdout, "eseal serving on http://%s (data %s)\n", ln.Addr(), *data)
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

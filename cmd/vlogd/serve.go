package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
	"vlogd/web"
)

// shutdownGrace is how long in-flight requests get to finish after SIGINT or
// SIGTERM before their connections are closed.
const shutdownGrace = 10 * time.Second

// Run runs vlogd with the given arguments (without the program name) until
// ctx is cancelled or serving fails. A first argument naming a subcommand
// runs that instead of the server.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usageOut := stderr
	if helpRequested(args) {
		usageOut = stdout
	}
	if len(args) > 0 {
		if args[0] == "help" {
			return runHelp(ctx, args[1:], getenv, stdout, stderr)
		}
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd.run(ctx, args[1:], getenv, stdout, usageOut)
		}
	}
	cfg, err := parseServeFlags(args, getenv, usageOut)
	if err != nil {
		return err
	}
	if cfg.version {
		fmt.Fprint(stdout, versionText())
		return nil
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	return serve(ctx, cfg, logger)
}

// serve recovers the store, listens, and serves until ctx is done, then
// shuts down gracefully: stop accepting, finish in-flight requests, write a
// snapshot, close the log.
func serve(ctx context.Context, cfg config, logger *slog.Logger) (err error) {
	dataDir, err := filepath.Abs(cfg.data)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", cfg.data, err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	logger.Info("recovering", "data", dataDir)
	metrics := web.NewMetrics()
	store, err := memstore.Open(dataDir, memstore.Options{
		Logger:          logger,
		ObserveCommit:   metrics.ObserveCommit,
		ObserveSnapshot: metrics.ObserveSnapshot,
		TranscodeJobs:   cfg.transcodeJobs,
		NoTranscode:     cfg.test.noTranscode,
		SegmentSize:     cfg.test.segmentSize,
		SnapshotBytes:   cfg.test.snapshotBytes,
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, cerr)
			return
		}
		logger.Info("log closed cleanly", "data", dataDir)
	}()
	rec := store.Recovery()
	logger.Info("recovered", "vlogs", rec.Vlogs, "seq", rec.LastSeq, "snapshot_seq", rec.SnapshotSeq,
		"replayed", rec.Replayed, "dur", rec.Took.Round(time.Microsecond))
	stopBackup, err := startBackup(cfg.backupTo, dataDir, logger)
	if err != nil {
		return err
	}
	defer stopBackup() // before store.Close: a last pass copies the whole log

	secret, err := loadSecret(dataDir)
	if err != nil {
		return err
	}

	srv := &httpraw.Server{Logger: logger, MaxConns: cfg.maxConns, MaxConnsPerAddr: cfg.maxConnsPerAddr,
		MinBodyRate: cfg.minBodyRate, TrustedProxies: cfg.trustedProxies}
	scheme := "http://"
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https://"
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close() // for the returns before Serve owns it
	// Absolute URLs use --base-url, else the address listened on; never
	// a request's Host header.
	baseURL := cfg.baseURL
	if baseURL == "" {
		baseURL = scheme + ln.Addr().String()
	}
	site, err := web.New(store, web.Options{Logger: logger, MaxUpload: cfg.maxUpload, PageCacheBytes: cfg.pageCache, Metrics: metrics, OpenConns: srv.OpenConns, LowSpace: cfg.lowSpace,
		TrustedProxies: cfg.trustedProxies, Signup: cfg.signup, BaseURL: baseURL, CanonicalOrigin: cfg.baseURL != "", Secret: secret})
	if err != nil {
		return err
	}
	srv.Handler = site.Handler()
	if cfg.accessLog {
		srv.AccessLog = site.LogAccess
	}
	logger.Info("listening", "addr", scheme+ln.Addr().String(), "data", dataDir, "signup", cfg.signup, "base_url", baseURL)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("shutdown did not finish in time; closed remaining connections", "err", err)
	}
	if err := <-served; err != nil && !errors.Is(err, httpraw.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

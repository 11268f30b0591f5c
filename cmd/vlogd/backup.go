package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"vlogd/backup"
	"vlogd/memstore"
)

const backupUsage = `Usage: vlogd backup --to DEST [--data DIR] [--keep DURATION]

Copies a data directory to DEST continuously, beside a running server (or
inside it: vlogd --backup-to DEST). It watches the data directory with
inotify and rescans every second in case an event was lost; new log
batches (only whole, checksum-verified ones), snapshots and media blobs are
copied and fsynced, usually within milliseconds of the server's answer. It
never takes the server's lock and never writes to the data directory. After
a crash or restart it resumes exactly where it stopped. It runs until
interrupted (SIGINT or SIGTERM).

Restore with: vlogd restore --from DEST --data NEWDIR
`

// runBackup is `vlogd backup`.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("backup", backupUsage, stderr)
	data := fs.String("data", envOr(getenv, "VLOGD_DATA", "./data"), "data `directory` to back up (env VLOGD_DATA)")
	to := fs.String("to", envOr(getenv, "VLOGD_BACKUP_TO", ""), "backup `directory` (DEST), created if missing; required (env VLOGD_BACKUP_TO)")
	keep := fs.Duration("keep", backup.DefaultKeep, "how far back point-in-time restore must reach; older snapshots and log, and blobs nothing kept references, are removed from DEST")
	rescan := fs.Duration("rescan", backup.DefaultRescan, "how often to rescan the data directory in case a change event was lost")
	level := fs.String("log-level", envOr(getenv, "VLOGD_LOG_LEVEL", "info"), "log `level`: debug (every copy), info, warn or error (env VLOGD_LOG_LEVEL)")
	if err := parseSubcommandFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "to"); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.TrimSpace(*level))); err != nil {
		fmt.Fprintf(stderr, "vlogd backup: --log-level: %v\n", err)
		return errUsage
	}
	if *keep <= 0 || *rescan <= 0 {
		fmt.Fprintln(stderr, "vlogd backup: --keep and --rescan must be positive")
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	b, err := backup.Open(*data, *to, backup.Options{Logger: logger, Keep: *keep, Rescan: *rescan, ReferencedBlobs: memstore.ReferencedBlobs})
	if err != nil {
		return err
	}
	defer b.Close()
	logger.Info("backing up", "data", *data, "to", *to, "keep", *keep)
	if err := b.Run(ctx); err != nil {
		return err
	}
	seg, off, seq := b.Position()
	logger.Info("backup stopped", "path", seg, "offset", off, "seq", seq)
	return nil
}

// startBackup starts the continuous backup of dataDir to dest beside the
// server (vlogd --backup-to DEST) and returns the function that stops it:
// it makes a last pass over the log, so what was acknowledged before the
// shutdown is copied, and releases DEST. With dest empty it does nothing.
// A backup that stops on its own (the data directory no longer continues
// DEST) is logged as an error; the server keeps serving.
func startBackup(dest, dataDir string, logger *slog.Logger) (stop func(), err error) {
	if dest == "" {
		return func() {}, nil
	}
	b, err := backup.Open(dataDir, dest, backup.Options{Logger: logger, ReferencedBlobs: memstore.ReferencedBlobs})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		began := time.Now()
		if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("backup stopped; the server keeps serving without it", "to", dest, "err", err, "dur", time.Since(began))
		}
	}()
	logger.Info("backing up", "to", dest)
	return func() {
		cancel()
		<-done
		if err := b.Close(); err != nil {
			logger.Warn("backup close", "err", err)
		}
		seg, off, seq := b.Position()
		logger.Info("backup stopped", "to", dest, "path", seg, "offset", off, "seq", seq)
	}, nil
}

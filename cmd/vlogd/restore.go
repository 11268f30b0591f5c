package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"vlogd/backup"
	"vlogd/memstore"
)

const restoreUsage = `Usage: vlogd restore --from DEST --data NEWDIR [--until-seq N | --until TIME]

Rebuilds a data directory from a backup made by vlogd backup (or vlogd
--backup-to). NEWDIR must be missing or empty: a restore never overwrites.
It takes the newest sound snapshot at or before the point, the log after
it cut exactly at the point, and every media blob; damaged snapshots in the
backup are skipped and named, damage or a gap in the log the point needs
stops it with the file and offset. Without --until-seq or --until it
restores the latest state the backup holds. The result passes vlogd verify;
start a server on it with vlogd --data NEWDIR.
`

// runRestore is `vlogd restore`.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("restore", restoreUsage, stderr)
	from := fs.String("from", "", "backup `directory` to restore from (the DEST of vlogd backup); required")
	data := fs.String("data", "", "new data `directory` to create; must be missing or empty; required")
	untilSeq := fs.String("until-seq", "", "restore the state right after the change with this sequence `number`")
	until := fs.String("until", "", "restore the state as of this `time` (RFC 3339, e.g. 2026-03-01T12:00:00Z): every change committed by then")
	if err := parseSubcommandFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags(fs, "from", "data"); err != nil {
		return err
	}
	opts := backup.RestoreOptions{Progress: func(p backup.Progress) {
		fmt.Fprintf(stdout, "restore: %-8s %s of %s\n", p.Step, mib(p.Done), mib(p.Total))
	}}
	if *untilSeq != "" && *until != "" {
		fmt.Fprintln(stderr, "vlogd restore: give --until-seq or --until, not both")
		return errUsage
	}
	if *untilSeq != "" {
		n, err := strconv.ParseUint(*untilSeq, 10, 64)
		if err != nil || n == 0 {
			fmt.Fprintf(stderr, "vlogd restore: --until-seq %q: want a sequence number from 1\n", *untilSeq)
			return errUsage
		}
		opts.UntilSeq = n
	}
	if *until != "" {
		t, err := time.Parse(time.RFC3339Nano, *until)
		if err != nil {
			fmt.Fprintf(stderr, "vlogd restore: --until %q: want an RFC 3339 time like 2026-03-01T12:00:00Z\n", *until)
			return errUsage
		}
		opts.Until = t
	}
	r, err := backup.Restore(ctx, *from, *data, opts)
	if err != nil && !errors.Is(err, backup.ErrDamagedBlobs) {
		return err
	}
	fmt.Fprint(stdout, r.String())
	if err != nil {
		return fmt.Errorf("restore finished, but %w: they are named above", err)
	}
	// Prove the result opens as a store, and count what it holds.
	store, err := memstore.Open(*data, memstore.Options{})
	if err != nil {
		return fmt.Errorf("restore: the restored directory does not open: %w", err)
	}
	vlogs := store.Recovery().Vlogs
	if err := store.Close(); err != nil {
		return fmt.Errorf("restore: close the restored directory: %w", err)
	}
	fmt.Fprintf(stdout, "vlogs    %d; the restored directory opens: vlogd --data %s\n", vlogs, *data)
	return nil
}

// mib renders a byte count for progress lines.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

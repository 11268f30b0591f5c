package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"vlogd/wal"
)

const repairUsage = `Usage: vlogd repair [--data DIR]

Makes a data directory that vlogd refuses to start on (because of damage
in the log or a snapshot) usable again. Nothing is ever repaired silently:
this command is the only way, and it says exactly what it dropped.

Damaged snapshots are renamed aside. The log is cut at the end of the last
complete, checksum-valid batch before the first damage; the damaged segment
is copied aside first (DIR/wal/NAME.damaged-UNIXTIME) and later segments
are renamed aside, so every original byte is kept. Damage in segments that
the newest sound snapshot already covers costs nothing: those are set
aside and every later record is kept.

It takes the data directory's lock, so it refuses to run while a server
uses the directory. Exit status 0 means the directory now opens (or was
sound already).
`

// runRepair is `vlogd repair`.
func runRepair(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("repair", repairUsage, stderr)
	data := fs.String("data", envOr(getenv, "VLOGD_DATA", "./data"), "data `directory` to repair (env VLOGD_DATA)")
	if err := parseSubcommandFlags(fs, args); err != nil {
		return err
	}
	r, err := wal.Repair(*data, nil)
	switch {
	case errors.Is(err, wal.ErrLocked):
		return fmt.Errorf("repair: %s is in use by a running vlogd; stop it first: %w", *data, err)
	case errors.Is(err, wal.ErrNewerFormat):
		return fmt.Errorf("repair: refusing to touch files of a newer vlogd: %w", err)
	case err != nil:
		if r.Changed() {
			fmt.Fprint(stdout, r.String()) // what was done before the failure
		}
		return fmt.Errorf("repair: %w", err)
	}
	fmt.Fprint(stdout, r.String())
	return nil
}

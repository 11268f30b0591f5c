package main

import (
	"context"
	"io"
)

// subcommand is a mode of the binary other than serving, named by the first
// argument: `vlogd verify --data DIR`.
type subcommand struct {
	summary string // one line for --help
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// subcommands maps each name to its implementation, one file per
// subcommand.
var subcommands = map[string]subcommand{
	"verify":  {"check a data directory's log and snapshots, read-only", runVerify},
	"repair":  {"cut a damaged log back to its last good batch, keeping copies", runRepair},
	"backup":  {"copy a data directory to a backup continuously", runBackup},
	"restore": {"rebuild a data directory from a backup, to a point in time", runRestore},
	"version": {"print the version, the revision it was built from and the Go version", runVersion},
	"user":    {"add an account (the owner, on a new site) without a server", runUser},
}

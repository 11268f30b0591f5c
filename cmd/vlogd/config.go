package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// errUsage reports a command line that could not be parsed; the flag
// package has already printed why.
var errUsage = errors.New("usage error")

// config is everything the server is told from outside.
type config struct {
	addr     string
	data     string
	logLevel slog.Level
}

// envFlag is one flag with the environment variable that stands in for it
// when the flag is not given.
type envFlag struct {
	name, env, def, usage string
}

var serveFlags = []envFlag{
	{"addr", "VLOGD_ADDR", "127.0.0.1:8080", "`address` to listen on, host:port (port 0 picks a free one)"},
	{"data", "VLOGD_DATA", "./data", "`directory` holding the log, snapshots and media; created if missing"},
	{"log-level", "VLOGD_LOG_LEVEL", "info", "log `level`: debug, info, warn or error"},
}

// parseServeFlags reads the server's flags from args, falling back to the
// environment and then to the built-in default for each one. A flag wins
// over its variable.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("vlogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := make(map[string]*string, len(serveFlags))
	for _, f := range serveFlags {
		def := f.def
		if v := getenv(f.env); v != "" {
			def = v
		}
		values[f.name] = fs.String(f.name, def, fmt.Sprintf("%s (env %s, default %q)", f.usage, f.env, f.def))
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, `vlogd serves a vlog (video blog): posts kept in memory, every change
written to a write-ahead log and fsynced before it is acknowledged.

Usage:
  vlogd [flags]

Flags (each may also be set by its environment variable; a flag wins):
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vlogd: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return config{}, errUsage
	}
	cfg := config{addr: *values["addr"], data: *values["data"]}
	if err := cfg.logLevel.UnmarshalText([]byte(strings.TrimSpace(*values["log-level"]))); err != nil {
		fmt.Fprintf(stderr, "vlogd: -log-level: %v\n", err)
		return config{}, errUsage
	}
	if cfg.data == "" {
		fmt.Fprintln(stderr, "vlogd: -data must not be empty")
		return config{}, errUsage
	}
	return cfg, nil
}

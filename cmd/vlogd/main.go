// Command vlogd serves a vlog (video blog) from one binary: a hand-written
// HTTP/1.1 server in front of an in-memory store that makes every change
// durable in a write-ahead log before it answers.
//
// Run it with no arguments to serve http://127.0.0.1:8080 with data in
// ./data; see `vlogd --help` for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "vlogd:", err)
		os.Exit(1)
	}
}

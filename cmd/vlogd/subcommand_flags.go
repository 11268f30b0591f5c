package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newSubcommandFlags returns the flag set of `vlogd name`: errors are
// returned, not fatal, and --help prints usage (the command line and what
// the command does) followed by every flag.
func newSubcommandFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vlogd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fmt.Fprint(stderr, "\nFlags:\n")
		printFlags(stderr, fs)
	}
	return fs
}

// parseSubcommandFlags parses args into fs. --help gives flag.ErrHelp
// (exit 0); a bad flag or a stray argument gives errUsage (exit 2), the
// reason having been printed with the usage.
func parseSubcommandFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// requireFlags reports errUsage, naming the first missing one, unless
// every named flag has a non-empty value.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		if f := fs.Lookup(name); f != nil && f.Value.String() == "" {
			fmt.Fprintf(fs.Output(), "%s: --%s is required\n", fs.Name(), name)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

// envOr returns the environment variable key, or def when it is unset.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

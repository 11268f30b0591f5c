package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// helpRequested reports whether args ask for help (-h, -help, --help)
// before the end of the flags. Help asked for is the command's output, so
// it goes to stdout, where `vlogd --help | less` finds it; usage printed
// because of a mistake goes to stderr.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// runHelp is `vlogd help [COMMAND]`: the server's usage, or a command's.
func runHelp(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || len(args) == 1 && args[0] == "help" {
		_, err := parseServeFlags([]string{"--help"}, getenv, stdout)
		return err
	}
	if len(args) == 1 {
		if _, ok := subcommands[args[0]]; ok {
			return Run(ctx, []string{args[0], "--help"}, getenv, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "vlogd help: unknown command %q; the commands are: %s\n",
		strings.Join(args, " "), strings.Join(slices.Sorted(maps.Keys(subcommands)), ", "))
	return errUsage
}

// printCommands lists the commands for the server's usage text.
func printCommands(w io.Writer) {
	fmt.Fprintf(w, "  vlogd %-20s %s\n", "help [COMMAND]", "this text, or a command's")
	for _, name := range slices.Sorted(maps.Keys(subcommands)) {
		fmt.Fprintf(w, "  vlogd %-20s %s\n", name, subcommands[name].summary)
	}
}

// printFlags lists fs's flags in the --flag style the README uses (the
// flag package's own listing shows -flag, which also works but reads
// differently from every example).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

const versionUsage = `Usage: vlogd version

Prints the module version, the version-control revision the binary was
built from (and whether the tree had changes), and the Go version, from the
build information Go embeds in every binary. vlogd --version does the same.
`

// runVersion is `vlogd version`.
func runVersion(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("version", versionUsage, stderr)
	if err := parseSubcommandFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprint(stdout, versionText())
	return nil
}

// versionText describes the running binary from its embedded build info:
// `go install vlogd/cmd/vlogd@v1.2.0` records v1.2.0, a build from a
// checkout records "(devel)" and the revision.
func versionText() string {
	version, revision, when, modified := "(unknown)", "unknown", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vlogd %s\n", version)
	fmt.Fprintf(&b, "revision %s", revision)
	if when != "" {
		fmt.Fprintf(&b, " (%s)", when)
	}
	if modified {
		b.WriteString(" with uncommitted changes")
	}
	fmt.Fprintf(&b, "\n%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCommand runs the real binary with args and returns what it printed
// and its exit status.
func runCommand(tb testing.TB, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	cmd := exec.Command(vlogdBin, args...)
	// The race runtime sleeps a second at exit unless told not to; a
	// one-shot command run many times would spend most of the test there.
	cmd.Env = append(os.Environ(), "VLOGD_ADDR=", "VLOGD_DATA=", "VLOGD_BACKUP_TO=",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		tb.Fatalf("run vlogd %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

var backingUpRE = regexp.MustCompile(`msg="backing up"`)

// MustStartBackup starts `vlogd backup --data dataDir --to dest` and waits
// until it says it is backing up.
func MustStartBackup(tb testing.TB, dataDir, dest string, extraArgs ...string) *proc {
	tb.Helper()
	p, _ := startProcess(tb, backingUpRE, append([]string{"backup", "--data", dataDir, "--to", dest}, extraArgs...)...)
	return p
}

// copyTree copies the files under src to dst (created), leaving out the
// lock file: a copy of a live data directory, as of now.
func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Name() == "LOCK" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestSubcommandFlags: every subcommand explains each of its flags under
// --help (exit 0), and a bad flag, a stray argument or a missing required
// flag is a usage error (exit 2) that changes nothing.
func TestSubcommandFlags(t *testing.T) {
	flags := map[string][]string{
		"verify":  {"--data", "VLOGD_DATA"},
		"repair":  {"--data", "VLOGD_DATA"},
		"backup":  {"--data", "--to", "--keep", "168h0m0s", "--rescan", "--log-level", "VLOGD_BACKUP_TO"},
		"restore": {"--from", "--data", "--until-seq", "--until", "RFC 3339"},
		"version": {"revision"},
		"user":    {"--data", "VLOGD_DATA", "NAME"},
	}
	if len(flags) != len(subcommands) {
		t.Fatalf("subcommands %v, want exactly %v", len(subcommands), len(flags))
	}
	noEnv := func(string) string { return "" }
	for name, want := range flags {
		// Help asked for is output: stdout, nothing on stderr.
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), []string{name, "--help"}, noEnv, &stdout, &stderr)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("vlogd %s --help err = %v, want flag.ErrHelp", name, err)
		}
		for _, w := range append(want, "Usage: vlogd "+name) {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("vlogd %s --help does not mention %q on stdout:\n%s", name, w, stdout.String())
			}
		}
		if stderr.Len() != 0 {
			t.Errorf("vlogd %s --help wrote to stderr: %q", name, stderr.String())
		}
		for _, args := range [][]string{{"--bogus"}, {"stray"}} {
			if err := Run(context.Background(), append([]string{name}, args...), noEnv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
				t.Errorf("vlogd %s %v err = %v, want errUsage", name, args, err)
			}
		}
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"backup", "--data", dir},
		{"restore", "--from", dir},
		{"restore", "--data", filepath.Join(dir, "x")},
		{"restore", "--from", dir, "--data", filepath.Join(dir, "x"), "--until-seq", "0"},
		{"restore", "--from", dir, "--data", filepath.Join(dir, "x"), "--until", "yesterday"},
		{"restore", "--from", dir, "--data", filepath.Join(dir, "x"), "--until-seq", "3", "--until", "2026-01-01T00:00:00Z"},
	} {
		var stderr bytes.Buffer
		if err := Run(context.Background(), args, noEnv, io.Discard, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("vlogd %v err = %v, want errUsage", args, err)
		}
		if stderr.Len() == 0 {
			t.Errorf("vlogd %v printed no reason", args)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors created %d entries", len(entries))
	}
	// Through the binary: errors exit 1 with "vlogd: " and the reason.
	if _, stderr, code := runCommand(t, "restore", "--from", filepath.Join(dir, "none"), "--data", filepath.Join(dir, "x")); code != 1 ||
		!strings.HasPrefix(stderr, "vlogd: ") {
		t.Errorf("restore from a missing backup: exit %d, stderr %q; want 1 and a vlogd: message", code, stderr)
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"vlogd/memstore"
	"vlogd/wal"
	"vlogd/web"
)

const userUsage = `Usage: vlogd user add [--data DIR] NAME

Makes an account called NAME in the data directory, without a running
server: the way to create the site's owner when sign-up is closed, or
before the site is first started. If the site has no owner yet, NAME
becomes it.

The password is asked for twice on the terminal, without echo. When the
standard input is not a terminal, its first line is the password:

  printf '%s\n' "$PASSWORD" | vlogd user add --data ./data alice

It takes the data directory's lock, so it refuses to run while a server
uses the directory (sign up through the site instead, or stop it first).
`

// runUser is `vlogd user`; add is its only action so far.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runUserWith(args, getenv, os.Stdin, stdout, stderr)
}

func runUserWith(args []string, getenv func(string) string, stdin *os.File, stdout, stderr io.Writer) error {
	fs := newSubcommandFlags("user add", userUsage, stderr)
	data := fs.String("data", envOr(getenv, "VLOGD_DATA", "./data"), "data `directory` (env VLOGD_DATA)")
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		fmt.Fprintln(stderr, "vlogd user: want an action: add")
		fs.Usage()
		return errUsage
	}
	// NAME may come before or after the flags.
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "vlogd user add: NAME is required")
		fs.Usage()
		return errUsage
	}
	name := fs.Arg(0)
	if err := parseSubcommandFlags(fs, fs.Args()[1:]); err != nil {
		return err
	}
	if err := memstore.ValidateUsername(name); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	password, err := readPassword(stdin, stderr, name)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if err := web.ValidatePassword(password); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	store, err := memstore.Open(*data, memstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, wal.ErrLocked) {
		return fmt.Errorf("user add: %s is in use by a running vlogd; sign up through the site, or stop it first: %w", *data, err)
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	u, err := store.AddUser(memstore.NewUser{Name: name, PasswordHash: hash, ClaimOwner: true})
	if cerr := store.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	role := "account"
	if u.Owner {
		role = "owner"
	}
	fmt.Fprintf(stdout, "added %s %q to %s\n", role, u.Name, *data)
	return nil
}

// readPassword asks for the password twice on a terminal without echo,
// or reads the first line of stdin when it is not a terminal.
func readPassword(stdin *os.File, stderr io.Writer, name string) (string, error) {
	fd := int(stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprintf(stderr, "Password for %s: ", name)
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(stderr, "Again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ")
	}
	return string(first), nil
}

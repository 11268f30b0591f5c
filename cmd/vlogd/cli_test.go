package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The real binary's help: on stdout when asked for (so `vlogd --help |
// less` works), in the --flag style, naming every flag and its variable;
// on stderr, with exit 2, after a mistake.
func TestCLIHelp(t *testing.T) {
	stdout, stderr, code := runCommand(t, "--help")
	if code != 0 || stderr != "" {
		t.Fatalf("vlogd --help: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	for _, f := range append(serveFlags, boolFlags...) {
		for _, want := range []string{"\n  --" + f.name + " ", f.env} {
			if !strings.Contains(stdout, want) && !strings.Contains(stdout, "\n  --"+f.name+"\n") {
				t.Errorf("vlogd --help lacks %q:\n%s", want, stdout)
			}
		}
	}
	for _, want := range []string{"Usage:", "vlogd help [COMMAND]", "vlogd version", "--version"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("vlogd --help lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?m)^  -[a-z]`).FindString(stdout); m != "" {
		t.Errorf("vlogd --help lists a flag in the -flag style: %q", m)
	}

	for _, args := range [][]string{{"help"}, {"-h"}} {
		out, errOut, code := runCommand(t, args...)
		if code != 0 || out != stdout || errOut != "" {
			t.Errorf("vlogd %v: exit %d, stderr %q, stdout same as --help: %v", args, code, errOut, out == stdout)
		}
	}
	out, errOut, code := runCommand(t, "help", "backup")
	if code != 0 || !strings.HasPrefix(out, "Usage: vlogd backup") || !strings.Contains(out, "--keep") || errOut != "" {
		t.Errorf("vlogd help backup: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if same, _, _ := runCommand(t, "backup", "--help"); same != out {
		t.Errorf("vlogd backup --help differs from vlogd help backup")
	}
	out, errOut, code = runCommand(t, "help", "frobnicate")
	if code != 2 || out != "" || !strings.Contains(errOut, "frobnicate") || !strings.Contains(errOut, "verify") {
		t.Errorf("vlogd help frobnicate: exit %d, stdout %q, stderr %q; want 2 and the commands on stderr", code, out, errOut)
	}
	out, errOut, code = runCommand(t, "--bogus")
	if code != 2 || out != "" || !strings.Contains(errOut, "bogus") || !strings.Contains(errOut, "--addr") {
		t.Errorf("vlogd --bogus: exit %d, stdout %q, stderr %q; want 2 and usage on stderr", code, out, errOut)
	}
}

// vlogd version and --version say what the binary is, from its build
// info, which `go version -m` reads independently.
func TestCLIVersion(t *testing.T) {
	out, errOut, code := runCommand(t, "version")
	if code != 0 || errOut != "" {
		t.Fatalf("vlogd version: exit %d, stderr %q", code, errOut)
	}
	if again, _, code := runCommand(t, "--version"); code != 0 || again != out {
		t.Errorf("vlogd --version: exit %d, %q; want %q", code, again, out)
	}
	if !strings.HasPrefix(out, "vlogd ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("vlogd version = %q, want the module version and %s", out, runtime.Version())
	}
	info, err := exec.Command("go", "version", "-m", vlogdBin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	mod := regexp.MustCompile(`(?m)^\tmod\tvlogd\t(\S+)`).FindSubmatch(info)
	if mod == nil || !strings.HasPrefix(out, "vlogd "+string(mod[1])+"\n") {
		t.Errorf("vlogd version = %q; the build info says module version %q", out, mod)
	}
	rev := regexp.MustCompile(`(?m)^\tbuild\tvcs\.revision=(\S+)`).FindSubmatch(info)
	switch {
	case rev != nil && !strings.Contains(out, "revision "+string(rev[1])):
		t.Errorf("vlogd version = %q; the build info says revision %s", out, rev[1])
	case rev == nil && !strings.Contains(out, "revision unknown"):
		t.Errorf("vlogd version = %q; the build info has no revision, so it should say unknown", out)
	}
	t.Logf("vlogd version:\n%s", out)
}

// The access log: one info line per request with method, path, status,
// bytes, duration and client, on by default, off with --access-log=false;
// sign-ups and posts have their own info lines.
func TestCLIAccessLog(t *testing.T) {
	p := MustStartVlogd(t, t.TempDir())
	alice := signUp(t, p.URL, "alice")
	loc := alice.createVlog(t, p.URL, "logged", "a post the log mentions")
	if code, _ := alice.get(t, p.URL+"/no/such/page?secret=1"); code != 404 {
		t.Fatalf("GET /no/such/page = %d", code)
	}
	if code, _ := alice.get(t, p.URL+loc); code != 200 {
		t.Fatalf("GET %s = %d", loc, code)
	}
	wantLines := []*regexp.Regexp{
		regexp.MustCompile(`level=INFO msg=request method=GET path=/no/such/page status=404 bytes=\d+ dur=\S+ client=127\.0\.0\.1\n`),
		regexp.MustCompile(`level=INFO msg=request method=GET path=` + regexp.QuoteMeta(loc) + ` status=200 bytes=[1-9]\d* dur=\S+ client=127\.0\.0\.1\n`),
		regexp.MustCompile(`level=INFO msg=request method=POST path=/signup status=303 `),
		regexp.MustCompile(`level=INFO msg="signed up" user=alice client=127\.0\.0\.1`),
		regexp.MustCompile(`level=INFO msg="vlog created" id=\d+ user=alice video=false client=127\.0\.0\.1`),
	}
	deadline := time.Now().Add(time.Minute) // the log line follows the response
	for _, re := range wantLines {
		for !re.MatchString(p.logs.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("log lacks %s:\n%s", re, p.logs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if strings.Contains(p.logs.String(), "secret=1") {
		t.Errorf("the access log shows the query string:\n%s", p.logs)
	}

	quiet := MustStartVlogd(t, t.TempDir(), "--access-log=false")
	bob := signUp(t, quiet.URL, "bob")
	if code, _ := bob.get(t, quiet.URL+"/"); code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	for !strings.Contains(quiet.logs.String(), `msg="signed up" user=bob`) {
		if time.Now().After(deadline) {
			t.Fatalf("no sign-up line with --access-log=false:\n%s", quiet.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(quiet.logs.String(), "msg=request") {
		t.Errorf("--access-log=false still logs requests:\n%s", quiet.logs)
	}
}

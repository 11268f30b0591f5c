package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

// vlogdBin is the real binary, built once by TestMain.
var vlogdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vlogd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vlogdBin = filepath.Join(dir, "vlogd")
	// -race so the crash tests also look for races in the real server.
	out, err := exec.Command("go", "build", "-race", "-o", vlogdBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running vlogd.
type proc struct {
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

// syncBuffer collects a process's log output for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(http://127\.0\.0\.1:\d+)`)

// MustStartVlogd starts the real binary on a free port with dataDir and
// waits until it says where it listens.
func MustStartVlogd(tb testing.TB, dataDir string, extraArgs ...string) *proc {
	tb.Helper()
	args := append([]string{"--addr", "127.0.0.1:0", "--data", dataDir}, extraArgs...)
	p, m := startProcess(tb, listeningRE, args...)
	p.URL = m[1]
	return p
}

// startProcess starts the real binary with args (and no VLOGD_* variables
// that would change its meaning) and waits until a line of its log matches
// ready, returning the match. The process is killed at the end of the test
// if it still runs.
func startProcess(tb testing.TB, ready *regexp.Regexp, args ...string) (*proc, []string) {
	tb.Helper()
	return startBinary(tb, vlogdBin, ready, args...)
}

// startBinary is startProcess for a given build of vlogd.
func startBinary(tb testing.TB, bin string, ready *regexp.Regexp, args ...string) (*proc, []string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "VLOGD_ADDR=", "VLOGD_DATA=", "VLOGD_BACKUP_TO=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case found <- m:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	var m []string
	select {
	case m = <-found:
	case err := <-p.done:
		tb.Fatalf("vlogd %s exited before it was ready: %v\n%s", args[0], err, p.logs)
	case <-time.After(testdeadline.Remaining(tb)):
		cmd.Process.Kill()
		tb.Fatalf("vlogd %s was still not ready as the test's deadline neared:\n%s", args[0], p.logs)
	}
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p, m
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	<-p.done
}

// stop sends SIGTERM and returns the exit error.
func (p *proc) stop(tb testing.TB) error {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(testdeadline.Remaining(tb)):
		tb.Fatalf("vlogd had still not exited after SIGTERM as the test's deadline neared:\n%s", p.logs)
		return nil
	}
}

// siteClient is one signed-in visitor: a cookie jar holding the session,
// and the CSRF token its forms carry.
type siteClient struct {
	http *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signUp creates an account through the sign-up form at base.
func signUp(tb testing.TB, base, name string) *siteClient {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &siteClient{http: &http.Client{
		Jar:           jar,
		Timeout:       testdeadline.Remaining(tb), // only catches a hang
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	c.refreshToken(tb, base)
	resp, err := c.post(context.Background(), base, "/signup", url.Values{"username": {name}, "password": {"a long enough password"}})
	if err != nil || resp.StatusCode != 303 {
		tb.Fatalf("sign up %s: %v %v", name, resp, err)
	}
	c.refreshToken(tb, base)
	return c
}

// refreshToken reads the CSRF token from a form, as a browser would.
func (c *siteClient) refreshToken(tb testing.TB, base string) {
	tb.Helper()
	_, body := c.get(tb, base+"/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no csrf field on /login:\n%s", body)
	}
	c.csrf = m[1]
}

// post submits a form with the CSRF token and returns the response with
// its body drained.
func (c *siteClient) post(ctx context.Context, base, path string, form url.Values) (*http.Response, error) {
	form.Set("csrf", c.csrf)
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// createVlog posts the form and returns the new vlog's path.
func (c *siteClient) createVlog(tb testing.TB, base, title, body string) string {
	tb.Helper()
	resp, err := c.post(context.Background(), base, "/vlogs", url.Values{"title": {title}, "body": {body}})
	if err != nil {
		tb.Fatalf("POST /vlogs: %v", err)
	}
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/vlogs/") {
		tb.Fatalf("POST /vlogs = %d to %q, want 303 to the new vlog", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.Header.Get("Location")
}

func (c *siteClient) get(tb testing.TB, u string) (int, string) {
	tb.Helper()
	resp, err := c.http.Get(u)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	var stderr bytes.Buffer
	_, err := parseServeFlags([]string{"--help"}, func(string) string { return "" }, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseServeFlags(--help) err = %v, want flag.ErrHelp", err)
	}
	for _, f := range append(serveFlags, boolFlags...) {
		for _, want := range []string{"--" + f.name, f.env, f.def} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("--help does not mention %q:\n%s", want, stderr.String())
			}
		}
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	env := map[string]string{"VLOGD_ADDR": "127.0.0.1:9999", "VLOGD_DATA": "/env/data"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		args       []string
		addr, data string
	}{
		{nil, "127.0.0.1:9999", "/env/data"},
		{[]string{"--addr", ":1"}, ":1", "/env/data"},
		{[]string{"--data", "/flag/data"}, "127.0.0.1:9999", "/flag/data"},
	}
	for _, tt := range tests {
		cfg, err := parseServeFlags(tt.args, getenv, io.Discard)
		if err != nil || cfg.addr != tt.addr || cfg.data != tt.data {
			t.Errorf("parseServeFlags(%q) = %+v, %v; want addr %q data %q", tt.args, cfg, err, tt.addr, tt.data)
		}
	}
	cfg, err := parseServeFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil || cfg.addr != "127.0.0.1:8080" || cfg.data != "./data" {
		t.Errorf("defaults = %+v, %v; want 127.0.0.1:8080 and ./data", cfg, err)
	}
	if _, err := parseServeFlags([]string{"--bogus"}, getenv, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag err = %v, want errUsage", err)
	}
}

// A SIGTERM finishes cleanly: the process exits 0, says the log closed, and
// the next start has a snapshot and nothing to replay.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	p := MustStartVlogd(t, dir)
	alice := signUp(t, p.URL, "alice")
	loc := alice.createVlog(t, p.URL, "kept", "across a clean restart")
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
	}
	for _, want := range []string{"msg=recovered vlogs=0", "msg=\"shutting down\"", "msg=\"log closed cleanly\""} {
		if !strings.Contains(p.logs.String(), want) {
			t.Fatalf("logs lack %q:\n%s", want, p.logs)
		}
	}
	p = MustStartVlogd(t, dir)
	if !strings.Contains(p.logs.String(), "msg=recovered vlogs=1") || !strings.Contains(p.logs.String(), "replayed=0") {
		t.Fatalf("restart after a clean stop should load the snapshot and replay nothing:\n%s", p.logs)
	}
	if code, body := alice.get(t, p.URL+loc); code != 200 || !strings.Contains(body, "across a clean restart") {
		t.Fatalf("GET %s = %d after restart", loc, code)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--max-upload", "lots"},
		{"--max-upload", "0"},
		{"--tls-cert", "cert.pem"},
		{"--log-level", "loud"},
		{"--data", ""},
		{"--transcode-jobs", "-1"},
		{"--transcode-jobs", "many"},
		{"extra"},
	} {
		if _, err := parseServeFlags(args, func(string) string { return "" }, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("parseServeFlags(%q) err = %v, want errUsage", args, err)
		}
	}
	cfg, err := parseServeFlags(nil, func(k string) string { return map[string]string{"VLOGD_MAX_UPLOAD": "2GiB"}[k] }, io.Discard)
	if err != nil || cfg.maxUpload != 2<<30 {
		t.Fatalf("VLOGD_MAX_UPLOAD=2GiB gives %d, %v", cfg.maxUpload, err)
	}
	cfg, err = parseServeFlags(nil, func(k string) string { return map[string]string{"VLOGD_TRANSCODE_JOBS": "3"}[k] }, io.Discard)
	if err != nil || cfg.transcodeJobs != 3 {
		t.Fatalf("VLOGD_TRANSCODE_JOBS=3 gives %d, %v", cfg.transcodeJobs, err)
	}
	if cfg, _ := parseServeFlags(nil, func(string) string { return "" }, io.Discard); cfg.maxUpload != 512<<20 {
		t.Fatalf("default max upload = %d, want 512 MiB", cfg.maxUpload)
	}
}

// A second vlogd on a data directory in use exits at once with a message
// that says so, and the first keeps serving.
func TestSecondServerOnSameDataExits(t *testing.T) {
	dir := t.TempDir()
	first := MustStartVlogd(t, dir)
	cmd := exec.Command(vlogdBin, "--addr", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "locked by another process") || !strings.Contains(string(out), dir) {
		t.Fatalf("second vlogd: %v\n%s", err, out)
	}
	if code, _ := signUp(t, first.URL, "still-here").get(t, first.URL+"/"); code != 200 {
		t.Fatalf("first server answers %d after the second tried", code)
	}
}

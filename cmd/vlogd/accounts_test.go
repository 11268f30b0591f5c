package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runUserAdd runs `vlogd user add` with password on stdin (not a
// terminal) and returns its combined output and exit error.
func runUserAdd(tb testing.TB, dir, name, password string) (string, error) {
	tb.Helper()
	cmd := exec.Command(vlogdBin, "user", "add", "--data", dir, name)
	cmd.Env = append(os.Environ(), "VLOGD_DATA=", "GORACE=atexit_sleep_ms=0")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newAnonClient is a visitor with its own cookies and the CSRF token of
// its first form.
func newAnonClient(tb testing.TB, base string) *siteClient {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &siteClient{http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	c.refreshToken(tb, base)
	return c
}

func (c *siteClient) mustPost(tb testing.TB, base, path string, form url.Values, want int) *http.Response {
	tb.Helper()
	resp, err := c.post(context.Background(), base, path, form)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	if resp.StatusCode != want {
		tb.Fatalf("POST %s = %d, want %d", path, resp.StatusCode, want)
	}
	return resp
}

const testPassword = "a long enough password"

// The owner is made offline with `vlogd user add`, on a site whose sign-up
// is closed; the command refuses while a server holds the directory.
func TestUserAddMakesTheOwner(t *testing.T) {
	dir := t.TempDir()
	out, err := runUserAdd(t, dir, "boss", testPassword)
	if err != nil || !strings.Contains(out, `added owner "boss"`) {
		t.Fatalf("vlogd user add: %v\n%s", err, out)
	}
	if out, err := runUserAdd(t, dir, "nul", strings.Repeat("\x00", 10)); err == nil || !strings.Contains(out, "password") {
		t.Fatalf("user add with a password of NULs: %v\n%s", err, out)
	}
	p := MustStartVlogd(t, dir, "--signup", "closed")
	c := newAnonClient(t, p.URL)
	if code, body := c.get(t, p.URL+"/signup"); code != 403 || !strings.Contains(body, "does not take new accounts") {
		t.Fatalf("GET /signup on a closed site = %d\n%s", code, body)
	}
	c.mustPost(t, p.URL, "/login", url.Values{"username": {"boss"}, "password": {testPassword}}, 303)
	c.refreshToken(t, p.URL)
	if code, body := c.get(t, p.URL+"/invites"); code != 200 || !strings.Contains(body, "Make an invite link") {
		t.Fatalf("the added owner's /invites = %d\n%s", code, body)
	}

	out, err = runUserAdd(t, dir, "second", testPassword)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, "in use by a running vlogd") {
		t.Fatalf("user add beside a server: %v\n%s", err, out)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	if out, err := runUserAdd(t, dir, "second", testPassword); err != nil || !strings.Contains(out, `added account "second"`) {
		t.Fatalf("user add of a second account: %v\n%s", err, out)
	}
}

var inviteLinkRE = regexp.MustCompile(`class="invite-link" type="text" readonly value="([^"]+)"`)

// Owner, invites and disabled accounts survive SIGKILL and restart (the
// log), and a clean restart (the snapshot); the server's secret keeps
// invite links and form tokens valid across both.
func TestAccountsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	p := MustStartVlogd(t, dir) // --signup invite by default
	owner := signUp(t, p.URL, "owner")
	if fi, err := os.Stat(filepath.Join(dir, secretName)); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != secretLen {
		t.Fatalf("secret file: %v, %v; want 32 bytes with mode 0600", fi, err)
	}
	secret, _ := os.ReadFile(filepath.Join(dir, secretName))
	owner.mustPost(t, p.URL, "/invites", url.Values{"days": {"7"}}, 303)
	owner.mustPost(t, p.URL, "/invites", url.Values{"days": {"1"}}, 303)
	_, page := owner.get(t, p.URL+"/invites")
	links := inviteLinkRE.FindAllStringSubmatch(page, -1)
	if len(links) != 2 {
		t.Fatalf("invites page shows %d links, want 2:\n%s", len(links), page)
	}
	if !strings.HasPrefix(links[0][1], p.URL+"/signup?invite=") {
		t.Fatalf("invite link %q is not on the listen address %s", links[0][1], p.URL)
	}
	code := func(link string) string {
		u, err := url.Parse(strings.ReplaceAll(link, "&amp;", "&"))
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("invite")
	}
	guest := newAnonClient(t, p.URL)
	guest.mustPost(t, p.URL, "/signup", url.Values{"username": {"guest"}, "password": {testPassword}, "invite": {code(links[0][1])}}, 303)
	owner.mustPost(t, p.URL, "/users/guest/disable", url.Values{"disabled": {"1"}}, 303)
	pending := code(links[1][1])
	anon := newAnonClient(t, p.URL) // its form token must outlive the restarts

	for _, restart := range []string{"SIGKILL", "SIGTERM"} {
		if restart == "SIGKILL" {
			p.kill(t)
		} else if err := p.stop(t); err != nil {
			t.Fatal(err)
		}
		p = MustStartVlogd(t, dir)
		if b, _ := os.ReadFile(filepath.Join(dir, secretName)); string(b) != string(secret) {
			t.Fatalf("after %s the secret changed", restart)
		}
		owner.refreshToken(t, p.URL)
		if _, page := owner.get(t, p.URL+"/invites"); !strings.Contains(page, "used by guest") || !strings.Contains(page, pending) {
			t.Fatalf("after %s the invites page lost state:\n%s", restart, page)
		}
		c := newAnonClient(t, p.URL)
		c.mustPost(t, p.URL, "/login", url.Values{"username": {"guest"}, "password": {testPassword}}, 403) // still disabled
		c.mustPost(t, p.URL, "/signup", url.Values{"username": {"reuser"}, "password": {testPassword}, "invite": {code(links[0][1])}}, 403)
		c.mustPost(t, p.URL, "/signup", url.Values{"username": {"nobody"}, "password": {testPassword}}, 403)
		anon.mustPost(t, p.URL, "/login", url.Values{"username": {"owner"}, "password": {"wrong password"}}, 422)
	}
	late := newAnonClient(t, p.URL)
	late.mustPost(t, p.URL, "/signup", url.Values{"username": {"late"}, "password": {testPassword}, "invite": {pending}}, 303)
}

// --base-url decides every absolute URL; a Host header never does.
func TestBaseURLFlag(t *testing.T) {
	for _, base := range []string{"", "https://vlog.example"} {
		args := []string{}
		if base != "" {
			args = append(args, "--base-url", base)
		}
		p := MustStartVlogd(t, t.TempDir(), args...)
		want := base
		if want == "" {
			want = p.URL
		}
		c := signUp(t, p.URL, "alice")
		c.createVlog(t, p.URL, "hello", "world")
		for _, path := range []string{"/feed.atom", "/api/vlogs"} {
			req, _ := http.NewRequest("GET", p.URL+path, nil)
			req.Host = "evil.example"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "evil.example") || !strings.Contains(string(b), want+"/vlogs/1") {
				t.Fatalf("--base-url %q: GET %s with Host evil.example:\n%s", base, path, b)
			}
		}
	}
}

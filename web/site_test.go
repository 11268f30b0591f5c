package web

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vlogd/httpraw"
	"vlogd/internal/testdeadline"
	"vlogd/memstore"
)

// testSite is a real site: a store on a real log in a temporary directory,
// served by httpraw on a loopback port.
type testSite struct {
	URL   string
	Store *memstore.Store
	Site  *Site
}

// siteConfig is what a test may change before the site starts.
type siteConfig struct {
	web   Options
	store memstore.Options
	srv   *httpraw.Server
}

type siteOption func(*siteConfig)

func mustServeSite(tb testing.TB, opts ...siteOption) *testSite {
	tb.Helper()
	// Most tests need several accounts; the sign-up policy tests choose.
	cfg := siteConfig{store: memstore.Options{NoSync: true, NoPosters: true, NoTranscode: true}, srv: &httpraw.Server{}, web: Options{Signup: SignupOpen}}
	for _, opt := range opts {
		opt(&cfg)
	}
	srv := cfg.srv
	store, err := memstore.Open(tb.TempDir(), cfg.store)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	scheme := "http://"
	if srv.TLSConfig != nil {
		scheme = "https://"
	}
	if cfg.web.BaseURL == "" {
		cfg.web.BaseURL = scheme + ln.Addr().String() // as the binary does without --base-url
	}
	site, err := New(store, cfg.web)
	if err != nil {
		tb.Fatal(err)
	}
	srv.Handler = site.Handler()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		srv.Shutdown(testdeadline.Context(tb))
		if err := <-served; !errors.Is(err, httpraw.ErrServerClosed) {
			tb.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
		store.Close()
	})
	return &testSite{URL: scheme + ln.Addr().String(), Store: store, Site: site}
}

// client is one visitor with its own cookies, like a browser tab.
type client struct {
	ts   *testSite
	http *http.Client
	// header is added to every request (e.g. a cross-site Origin).
	header http.Header
}

func (ts *testSite) newClient(tb testing.TB) *client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{ts: ts, header: http.Header{}, http: &http.Client{
		Jar: jar,
		// A ceiling that only catches a hang: a 200 MiB upload under the
		// race detector on a loaded machine may take a long while.
		Timeout: testdeadline.Remaining(tb),
		// The tests look at each redirect themselves.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}}
}

// do sends a request and returns the response with its body read.
func (c *client) do(tb testing.TB, method, path string, form url.Values) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.ts.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, string(b)
}

func (c *client) get(tb testing.TB, path string) (*http.Response, string) {
	tb.Helper()
	return c.do(tb, "GET", path, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token from a form, as a browser would submit it.
func (c *client) token(tb testing.TB) string {
	tb.Helper()
	_, body := c.get(tb, "/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no csrf field on /login:\n%s", body)
	}
	return m[1]
}

// post submits a form with the visitor's CSRF token.
func (c *client) post(tb testing.TB, path string, form url.Values) (*http.Response, string) {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.token(tb))
	return c.do(tb, "POST", path, form)
}

const testPassword = "correct horse battery"

// signUp makes a visitor with a fresh account called name.
func (ts *testSite) signUp(tb testing.TB, name string) *client {
	tb.Helper()
	c := ts.newClient(tb)
	resp, body := c.post(tb, "/signup", url.Values{"username": {name}, "password": {testPassword}})
	if resp.StatusCode != 303 {
		tb.Fatalf("sign up %q: status %d\n%s", name, resp.StatusCode, body)
	}
	return c
}

// createVlog posts a new vlog and returns its path.
func (c *client) createVlog(tb testing.TB, title, body string) string {
	tb.Helper()
	resp, page := c.post(tb, "/vlogs", url.Values{"title": {title}, "body": {body}})
	if resp.StatusCode != 303 {
		tb.Fatalf("create %q: status %d\n%s", title, resp.StatusCode, page)
	}
	return resp.Header.Get("Location")
}

func wantStatus(tb testing.TB, resp *http.Response, want int) {
	tb.Helper()
	if resp.StatusCode != want {
		tb.Fatalf("%s %s status = %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want)
	}
}

func wantContains(tb testing.TB, body string, subs ...string) {
	tb.Helper()
	for _, sub := range subs {
		if !strings.Contains(body, sub) {
			tb.Fatalf("body does not contain %q:\n%s", sub, body)
		}
	}
}

func TestCreateShowListDelete(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")

	resp, body := alice.get(t, "/")
	wantStatus(t, resp, 200)
	css, err := staticURL("site.css")
	if err != nil || !strings.HasPrefix(css, "/static/site.") || css == "/static/site.css" {
		t.Fatalf(`staticURL("site.css") = %q, %v; want a content-hashed name`, css, err)
	}
	wantContains(t, body, "No vlogs yet.", `<a href="/vlogs/new">Write the first vlog</a>`, `<link rel="stylesheet" href="`+css+`">`, `href="/vlogs/new"`, `Signed in as <a href="/users/alice"><strong>alice</strong></a>`)

	resp, body = alice.get(t, "/vlogs/new")
	wantStatus(t, resp, 200)
	wantContains(t, body, `action="/vlogs"`, `name="title"`, `name="body"`, `name="csrf"`)

	loc := alice.createVlog(t, "Day one", "line 1\r\nline 2")
	if loc != "/vlogs/1" {
		t.Fatalf("Location = %q, want /vlogs/1", loc)
	}
	resp, body = alice.get(t, loc)
	wantStatus(t, resp, 200)
	wantContains(t, body, "<h1>Day one</h1>", "line 1\nline 2", `href="/vlogs/1/delete"`, `href="/vlogs/1/edit"`, `<a class="author" href="/users/alice">alice</a>`)
	if strings.Contains(body, "edited") {
		t.Fatal("a new vlog shows as edited")
	}

	resp, body = alice.get(t, "/")
	wantStatus(t, resp, 200)
	wantContains(t, body, `<a href="/vlogs/1">Day one</a>`, "line 1 line 2", `<a class="author" href="/users/alice">alice</a>`)

	resp, _ = alice.post(t, "/vlogs/1/delete", nil)
	wantStatus(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Fatalf("delete Location = %q, want /", loc)
	}
	resp, body = alice.get(t, "/vlogs/1")
	wantStatus(t, resp, 404)
	wantContains(t, body, "Not Found", `<link rel="stylesheet"`)
	if n := ts.Store.VlogCount(); n != 0 {
		t.Fatalf("VlogCount() = %d after delete, want 0", n)
	}
}

func TestEditShowsEdited(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.createVlog(t, "Draft", "first")
	resp, body := alice.get(t, loc+"/edit")
	wantStatus(t, resp, 200)
	wantContains(t, body, `action="/vlogs/1/edit"`, `value="Draft"`, ">first</textarea>")

	resp, body = alice.post(t, loc+"/edit", url.Values{"title": {""}, "body": {"kept"}})
	wantStatus(t, resp, 422)
	wantContains(t, body, "Title is required.", ">kept</textarea>")

	resp, _ = alice.post(t, loc+"/edit", url.Values{"title": {"Final"}, "body": {"second"}})
	wantStatus(t, resp, 303)
	if got := resp.Header.Get("Location"); got != loc {
		t.Fatalf("edit Location = %q, want %q", got, loc)
	}
	_, body = alice.get(t, loc)
	wantContains(t, body, "<h1>Final</h1>", "second", `<span class="edited">edited`)
}

func TestInvalidFormKeepsInputAndStoresNothing(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	tests := []struct {
		name    string
		form    url.Values
		message string
	}{
		{"missing title", url.Values{"title": {"   "}, "body": {"my <b>draft</b>"}}, "Title is required."},
		{"long title", url.Values{"title": {strings.Repeat("x", 201)}, "body": {"my <b>draft</b>"}}, "Title must be at most 200 characters."},
		{"long body", url.Values{"title": {"ok"}, "body": {strings.Repeat("y", memstore.MaxBodyBytes+1)}}, "Body must be at most 100 KB."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := alice.post(t, "/vlogs", tt.form)
			wantStatus(t, resp, 422)
			wantContains(t, body, tt.message, `aria-invalid="true"`)
			if tt.form.Get("body") == "my <b>draft</b>" {
				wantContains(t, body, "my &lt;b&gt;draft&lt;/b&gt;</textarea>")
			}
			if n := ts.Store.VlogCount(); n != 0 {
				t.Fatalf("VlogCount() = %d, want 0", n)
			}
		})
	}
}

// xssCorpus is markup that must show as text wherever user text appears.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(2)>`,
	`"><svg onload=alert(3)>`,
	`'';!--"<XSS>=&{()}`,
	`</textarea><script>alert(4)</script>`,
	`javascript:alert(5)`,
}

func TestUserTextIsEscaped(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	for _, evil := range xssCorpus {
		loc := alice.createVlog(t, evil, evil)
		for _, path := range []string{"/", loc, loc + "/edit"} {
			_, body := alice.get(t, path)
			if strings.Contains(body, evil) && evil != `javascript:alert(5)` {
				t.Fatalf("GET %s renders %q unescaped:\n%s", path, evil, body)
			}
		}
	}
	// Names cannot carry markup at all; the refused name is echoed escaped.
	c := ts.newClient(t)
	resp, body := c.post(t, "/signup", url.Values{"username": {`<script>x</script>`}, "password": {testPassword}})
	wantStatus(t, resp, 422)
	if strings.Contains(body, `<script>x`) {
		t.Fatalf("sign-up form echoes the name unescaped:\n%s", body)
	}
}

func TestErrorStatuses(t *testing.T) {
	ts := mustServeSite(t)
	c := ts.newClient(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/vlogs/999", 404, ""},
		{"GET", "/vlogs/abc", 404, ""},
		{"GET", "/vlogs/01", 404, ""},
		{"GET", "/vlogs/-1", 404, ""},
		{"GET", "/vlogs/99999999999999999999999", 404, ""},
		{"GET", "/?before=x", 400, ""},
		{"GET", "/?before=1&after=2", 400, ""},
		{"DELETE", "/vlogs/1", 405, "GET, HEAD"},
		{"GET", "/vlogs", 405, "POST"},
		{"POST", "/", 405, "GET, HEAD"},
		{"GET", "/logout", 405, "POST"},
		{"GET", "/static/nope.css", 404, ""},
		{"GET", "/static/../web.go", 404, ""},
	}
	for _, tt := range tests {
		resp, body := c.do(t, tt.method, tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			continue
		}
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		// Every error is a page in the site's layout, not a bare string.
		if !strings.Contains(body, `<link rel="stylesheet"`) || !strings.Contains(body, http.StatusText(tt.status)) {
			t.Errorf("%s %s: error page not in the layout:\n%s", tt.method, tt.path, body)
		}
	}
}

func TestOversizedFormIs413(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	resp, body := alice.post(t, "/vlogs", url.Values{"title": {"t"}, "body": {strings.Repeat("z", 2<<20)}})
	wantStatus(t, resp, 413)
	wantContains(t, body, "too large")
	if n := ts.Store.VlogCount(); n != 0 {
		t.Fatalf("VlogCount() = %d, want 0", n)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := mustServeSite(t)
	c := ts.newClient(t)
	for _, path := range []string{"/", "/login", "/signup", "/nope", "/static/site.css"} {
		resp, _ := c.get(t, path)
		for name, want := range map[string]string{
			"Content-Security-Policy": contentSecurityPolicy,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("GET %s %s = %q, want %q", path, name, got, want)
			}
		}
	}
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(contentSecurityPolicy, want) || strings.Contains(contentSecurityPolicy, "unsafe-inline") {
			t.Fatalf("CSP %q lacks %s or allows inline script", contentSecurityPolicy, want)
		}
	}
}

func TestStylesheetRevalidates(t *testing.T) {
	ts := mustServeSite(t)
	c := ts.newClient(t)
	resp, body := c.get(t, "/static/site.css")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("Content-Type = %q, want text/css", ct)
	}
	wantContains(t, body, "prefers-color-scheme: dark")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the stylesheet")
	}
	c.header.Set("If-None-Match", etag)
	resp, _ = c.get(t, "/static/site.css")
	wantStatus(t, resp, 304)
}

func TestListPagination(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	u, _ := ts.Store.UserByName("alice")
	for i := 1; i <= 45; i++ {
		if _, err := ts.Store.CreateVlog(u.ID, memstore.VlogInput{Title: "vlog"}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := alice.get(t, "/")
	wantContains(t, body, `href="/vlogs/45"`, `href="/vlogs/26"`, `rel="next" href="/?before=26"`)
	if strings.Contains(body, `href="/vlogs/25"`) || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("first page shows more than 20 vlogs or a newer link:\n%s", body)
	}
	_, body = alice.get(t, "/?before=26")
	wantContains(t, body, `href="/vlogs/25"`, `href="/vlogs/6"`, `rel="prev" href="/?after=25"`, `rel="next" href="/?before=6"`)
	_, body = alice.get(t, "/?after=25")
	wantContains(t, body, `href="/vlogs/45"`, `href="/vlogs/26"`)
}

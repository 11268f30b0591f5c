package web

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// testSite is a real site: a store on a real log in a temporary directory,
// served by httpraw on a loopback port.
type testSite struct {
	URL    string
	Store  *memstore.Store
	client *http.Client
}

func mustServeSite(tb testing.TB) *testSite {
	tb.Helper()
	store, err := memstore.Open(tb.TempDir(), memstore.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	site, err := New(store, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &httpraw.Server{Handler: site.Handler()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; !errors.Is(err, httpraw.ErrServerClosed) {
			tb.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
		store.Close()
	})
	return &testSite{
		URL:   "http://" + ln.Addr().String(),
		Store: store,
		client: &http.Client{
			Timeout: 10 * time.Second,
			// The tests look at each redirect themselves.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// do sends a request and returns the response with its body read.
func (ts *testSite) do(tb testing.TB, method, path string, form url.Values) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := ts.client.Do(req)
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

	resp, body := ts.do(t, "GET", "/", nil)
	wantStatus(t, resp, 200)
	wantContains(t, body, "No vlogs here yet", `<link rel="stylesheet" href="/static/site.css">`, `href="/vlogs/new"`)

	resp, body = ts.do(t, "GET", "/vlogs/new", nil)
	wantStatus(t, resp, 200)
	wantContains(t, body, `action="/vlogs"`, `name="title"`, `name="body"`)

	resp, _ = ts.do(t, "POST", "/vlogs", url.Values{"title": {"Day one"}, "body": {"line 1\r\nline 2"}})
	wantStatus(t, resp, 303)
	loc := resp.Header.Get("Location")
	if loc != "/vlogs/1" {
		t.Fatalf("Location = %q, want /vlogs/1", loc)
	}

	resp, body = ts.do(t, "GET", loc, nil)
	wantStatus(t, resp, 200)
	wantContains(t, body, "<h1>Day one</h1>", "line 1\nline 2", `action="/vlogs/1/delete"`)

	resp, body = ts.do(t, "GET", "/", nil)
	wantStatus(t, resp, 200)
	wantContains(t, body, `<a href="/vlogs/1">Day one</a>`, "line 1 line 2")

	resp, _ = ts.do(t, "POST", "/vlogs/1/delete", url.Values{})
	wantStatus(t, resp, 303)
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Fatalf("delete Location = %q, want /", loc)
	}
	resp, body = ts.do(t, "GET", "/vlogs/1", nil)
	wantStatus(t, resp, 404)
	wantContains(t, body, "Not Found", `<link rel="stylesheet"`)
	if n := ts.Store.VlogCount(); n != 0 {
		t.Fatalf("VlogCount() = %d after delete, want 0", n)
	}
}

func TestInvalidFormKeepsInputAndStoresNothing(t *testing.T) {
	ts := mustServeSite(t)
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
			resp, body := ts.do(t, "POST", "/vlogs", tt.form)
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

func TestUserTextIsEscaped(t *testing.T) {
	ts := mustServeSite(t)
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	resp, _ := ts.do(t, "POST", "/vlogs", url.Values{"title": {evil}, "body": {evil}})
	wantStatus(t, resp, 303)
	for _, path := range []string{"/", resp.Header.Get("Location")} {
		_, body := ts.do(t, "GET", path, nil)
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img src=x") {
			t.Fatalf("GET %s renders user markup unescaped:\n%s", path, body)
		}
		wantContains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	}
}

func TestErrorStatuses(t *testing.T) {
	ts := mustServeSite(t)
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
		{"POST", "/vlogs/999/delete", 404, ""},
		{"GET", "/?before=x", 400, ""},
		{"GET", "/?before=1&after=2", 400, ""},
		{"DELETE", "/vlogs/1", 405, "GET, HEAD"},
		{"GET", "/vlogs", 405, "POST"},
		{"POST", "/", 405, "GET, HEAD"},
		{"GET", "/static/nope.css", 404, ""},
		{"GET", "/static/../web.go", 404, ""},
	}
	for _, tt := range tests {
		resp, body := ts.do(t, tt.method, tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			continue
		}
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		// Every error is a page in the site's layout, not a bare string.
		if !strings.Contains(body, `<link rel="stylesheet"`) || !strings.Contains(body, strconv.Itoa(tt.status)) && !strings.Contains(body, http.StatusText(tt.status)) {
			t.Errorf("%s %s: error page not in the layout:\n%s", tt.method, tt.path, body)
		}
	}
}

func TestOversizedFormIs413(t *testing.T) {
	ts := mustServeSite(t)
	resp, _ := ts.do(t, "POST", "/vlogs", url.Values{"title": {"t"}, "body": {strings.Repeat("z", 2<<20)}})
	wantStatus(t, resp, 413)
	if n := ts.Store.VlogCount(); n != 0 {
		t.Fatalf("VlogCount() = %d, want 0", n)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := mustServeSite(t)
	for _, path := range []string{"/", "/vlogs/new", "/nope", "/static/site.css"} {
		resp, _ := ts.do(t, "GET", path, nil)
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
	if !strings.Contains(contentSecurityPolicy, "default-src 'self'") || !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q lacks default-src 'self' or frame-ancestors 'none'", contentSecurityPolicy)
	}
}

func TestStylesheetRevalidates(t *testing.T) {
	ts := mustServeSite(t)
	resp, body := ts.do(t, "GET", "/static/site.css", nil)
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("Content-Type = %q, want text/css", ct)
	}
	wantContains(t, body, "prefers-color-scheme: dark")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the stylesheet")
	}
	req, _ := http.NewRequest("GET", ts.URL+"/static/site.css", nil)
	req.Header.Set("If-None-Match", etag)
	resp2, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	wantStatus(t, resp2, 304)
}

func TestListPagination(t *testing.T) {
	ts := mustServeSite(t)
	for i := 1; i <= 45; i++ {
		if _, err := ts.Store.CreateVlog(memstore.VlogInput{Title: "vlog " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := ts.do(t, "GET", "/", nil)
	wantContains(t, body, `href="/vlogs/45"`, `href="/vlogs/26"`, `rel="next" href="/?before=26"`)
	if strings.Contains(body, `href="/vlogs/25"`) || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("first page shows more than 20 vlogs or a newer link:\n%s", body)
	}
	_, body = ts.do(t, "GET", "/?before=26", nil)
	wantContains(t, body, `href="/vlogs/25"`, `href="/vlogs/6"`, `rel="prev" href="/?after=25"`, `rel="next" href="/?before=6"`)
	_, body = ts.do(t, "GET", "/?after=25", nil)
	wantContains(t, body, `href="/vlogs/45"`, `href="/vlogs/26"`)
}

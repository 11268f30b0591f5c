package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"vlogd/memstore"
)

// rawClient fetches without a cookie jar and without the transport's own
// gzip handling, so the test sees exactly what the server sent.
var rawClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// fetch GETs path with the given header fields ("Name: value").
func fetch(tb testing.TB, ts *testSite, method, path string, fields ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ": ")
		req.Header.Add(name, value)
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, b
}

// seedSite makes alice with 25 vlogs (so the lists have a second page),
// a comment and a like.
func seedSite(tb testing.TB, ts *testSite) *memstore.User {
	tb.Helper()
	alice, err := ts.Store.CreateUser("alice", "$argon2id$not-a-real-hash")
	if err != nil {
		tb.Fatal(err)
	}
	for i := 1; i <= 25; i++ {
		body := strings.Repeat(fmt.Sprintf("Harbour walk number %d, gulls and ferries. ", i), 20)
		if _, err := ts.Store.CreateVlog(alice.ID, memstore.VlogInput{Title: fmt.Sprintf("Walk %d", i), Body: body}); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := ts.Store.AddComment(1, alice.ID, "first!"); err != nil {
		tb.Fatal(err)
	}
	if err := ts.Store.SetLike(1, alice.ID, true); err != nil {
		tb.Fatal(err)
	}
	return alice
}

// cacheableRoutes are the addresses the render cache covers, with the
// Cache-Control each must carry.
var cacheableRoutes = []struct{ path, cacheControl string }{
	{"/", cacheRevalidate},
	{"/?before=6", cacheRevalidate},
	{"/?after=5", cacheRevalidate},
	{"/vlogs/1", cacheRevalidate},
	{"/users/alice", cacheRevalidate},
	{"/users/alice?before=6", cacheRevalidate},
	{"/feed.atom", cacheRevalidate},
	{"/api/vlogs", cacheRevalidate},
	{"/api/vlogs?before=6", cacheRevalidate},
	{"/api/vlogs/1", cacheRevalidate},
	{"/static/site.css", cacheRevalidate},
}

func TestCacheableRoutesRevalidate(t *testing.T) {
	ts := mustServeSite(t)
	seedSite(t, ts)
	css, err := staticURL("site.css")
	if err != nil {
		t.Fatal(err)
	}
	routes := append(cacheableRoutes, struct{ path, cacheControl string }{css, cacheForever})
	for _, rt := range routes {
		for _, enc := range []string{"identity", "gzip"} {
			// Twice: the first may render, the second is a hit.
			var etag string
			for round := 0; round < 2; round++ {
				resp, body := fetch(t, ts, "GET", rt.path, "Accept-Encoding: "+enc)
				if resp.StatusCode != 200 || len(body) == 0 {
					t.Fatalf("GET %s (%s) = %d with %d bytes", rt.path, enc, resp.StatusCode, len(body))
				}
				tag := resp.Header.Get("ETag")
				if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 10 {
					t.Fatalf("GET %s (%s) ETag = %q, want a strong ETag", rt.path, enc, tag)
				}
				if etag != "" && tag != etag {
					t.Fatalf("GET %s (%s) ETag changed from %s to %s without a write", rt.path, enc, etag, tag)
				}
				etag = tag
				if got := resp.Header.Get("Cache-Control"); got != rt.cacheControl {
					t.Errorf("GET %s Cache-Control = %q, want %q", rt.path, got, rt.cacheControl)
				}
				if resp.Header.Get("Set-Cookie") != "" {
					t.Errorf("GET %s sets a cookie: %q", rt.path, resp.Header.Values("Set-Cookie"))
				}
			}
			resp, body := fetch(t, ts, "GET", rt.path, "Accept-Encoding: "+enc, "If-None-Match: "+etag)
			if resp.StatusCode != 304 || len(body) != 0 {
				t.Fatalf("GET %s If-None-Match %s = %d with %d bytes, want 304 and no body", rt.path, etag, resp.StatusCode, len(body))
			}
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("304 for %s carries ETag %q, want %q", rt.path, got, etag)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("304 for %s lacks the security headers", rt.path)
			}
			resp, _ = fetch(t, ts, "HEAD", rt.path, "Accept-Encoding: "+enc, "If-None-Match: "+etag)
			if resp.StatusCode != 304 {
				t.Errorf("HEAD %s If-None-Match = %d, want 304", rt.path, resp.StatusCode)
			}
			resp, _ = fetch(t, ts, "GET", rt.path, "Accept-Encoding: "+enc, `If-None-Match: "other"`)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s with a foreign ETag = %d, want 200", rt.path, resp.StatusCode)
			}
		}
	}
	// A write changes the pages it touches, and with them their ETags.
	_, before := fetch(t, ts, "GET", "/vlogs/1")
	resp, _ := fetch(t, ts, "GET", "/vlogs/1")
	etag := resp.Header.Get("ETag")
	u, _ := ts.Store.UserByName("alice")
	if _, err := ts.Store.AddComment(1, u.ID, "second comment"); err != nil {
		t.Fatal(err)
	}
	resp, after := fetch(t, ts, "GET", "/vlogs/1", "If-None-Match: "+etag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || bytes.Equal(before, after) || !bytes.Contains(after, []byte("second comment")) {
		t.Fatalf("after a comment GET /vlogs/1 If-None-Match old = %d, ETag %q (old %q); want 200, a new ETag and the comment", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
	if hits := ts.Site.cache.hits.Load(); hits == 0 {
		t.Error("the cache counted no hits")
	}
}

func TestCacheGzipRoundTripAndVary(t *testing.T) {
	ts := mustServeSite(t)
	seedSite(t, ts)
	for _, path := range []string{"/", "/vlogs/1", "/feed.atom", "/api/vlogs", "/static/site.css"} {
		resp, plain := fetch(t, ts, "GET", path)
		if resp.Header.Get("Content-Encoding") != "" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("GET %s without Accept-Encoding: Content-Encoding %q, Vary %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
		}
		if n := len(resp.Header.Values("Vary")); n != 1 {
			t.Errorf("GET %s has %d Vary fields, want 1", path, n)
		}
		for round := 0; round < 2; round++ { // the render, then a hit
			resp, zipped := fetch(t, ts, "GET", path, "Accept-Encoding: br;q=1, gzip;q=0.8, *;q=0.1")
			if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("GET %s accepting gzip: Content-Encoding %q, Vary %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
			}
			if resp.ContentLength != int64(len(zipped)) || len(zipped) >= len(plain) {
				t.Errorf("GET %s gzip: Content-Length %d, %d bytes, identity %d", path, resp.ContentLength, len(zipped), len(plain))
			}
			zr, err := gzip.NewReader(bytes.NewReader(zipped))
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, plain) {
				t.Fatalf("GET %s: gzip body does not decompress to the identity body (%v)", path, err)
			}
		}
		resp, _ = fetch(t, ts, "GET", path, "Accept-Encoding: gzip")
		gzTag := resp.Header.Get("ETag")
		resp, _ = fetch(t, ts, "GET", path)
		if idTag := resp.Header.Get("ETag"); idTag == gzTag || strings.HasPrefix(gzTag, "W/") {
			t.Errorf("GET %s: gzip ETag %q, identity ETag %q; want two different strong ETags", path, gzTag, idTag)
		}
		// The gzip ETag does not revalidate the identity representation.
		resp, _ = fetch(t, ts, "GET", path, "If-None-Match: "+gzTag)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s identity with the gzip ETag = %d, want 200", path, resp.StatusCode)
		}
		for _, refusal := range []string{"gzip;q=0", "gzip;q=0, *", "identity", "br"} {
			resp, body := fetch(t, ts, "GET", path, "Accept-Encoding: "+refusal)
			if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
				t.Errorf("GET %s Accept-Encoding %q: Content-Encoding %q, want the identity body", path, refusal, resp.Header.Get("Content-Encoding"))
			}
		}
		resp, body := fetch(t, ts, "GET", path, "Accept-Encoding: gzip", "Range: bytes=0-99")
		if resp.Header.Get("Content-Encoding") != "" || len(body) == 0 || !bytes.HasPrefix(plain, body) {
			t.Errorf("GET %s with Range: Content-Encoding %q, %d bytes; want identity bytes", path, resp.Header.Get("Content-Encoding"), len(body))
		}
	}
}

func TestAnonymousPagesSetNoCookie(t *testing.T) {
	ts := mustServeSite(t)
	seedSite(t, ts)
	for _, path := range []string{"/", "/vlogs/1", "/users/alice", "/search?q=walk", "/nope"} {
		resp, body := fetch(t, ts, "GET", path)
		if v := resp.Header.Values("Set-Cookie"); len(v) != 0 {
			t.Errorf("GET %s sets %q; a page without a form must set no cookie", path, v)
		}
		if bytes.Contains(body, []byte(`name="csrf"`)) {
			t.Errorf("GET %s carries a CSRF field for an anonymous reader", path)
		}
	}
	for _, path := range []string{"/login", "/signup"} {
		resp, body := fetch(t, ts, "GET", path)
		if !strings.HasPrefix(resp.Header.Get("Set-Cookie"), csrfCookie+"=") || !bytes.Contains(body, []byte(`name="csrf"`)) {
			t.Errorf("GET %s: Set-Cookie %q; a form needs its CSRF cookie and field", path, resp.Header.Values("Set-Cookie"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s Cache-Control = %q, want no-store", path, cc)
		}
	}
	if n := ts.Site.cache.len(); n == 0 {
		t.Error("nothing was stored in the cache")
	}
}

func TestCacheEvictsUnderTinyBudget(t *testing.T) {
	const budget = 24 << 10
	ts := mustServeSite(t, func(c *siteConfig) { c.web.PageCacheBytes = budget })
	seedSite(t, ts)
	pages := []string{"/", "/?before=6", "/vlogs/1", "/vlogs/2", "/vlogs/3", "/users/alice", "/api/vlogs", "/feed.atom"}
	want := map[string][]byte{}
	for _, p := range pages {
		_, want[p] = fetch(t, ts, "GET", p)
	}
	c := ts.Site.cache
	for round := 0; round < 3; round++ {
		for _, p := range pages {
			resp, body := fetch(t, ts, "GET", p)
			if resp.StatusCode != 200 || !bytes.Equal(body, want[p]) {
				t.Fatalf("GET %s after evictions = %d, body changed", p, resp.StatusCode)
			}
			if size := c.bytes.Load(); size > budget {
				t.Fatalf("cache holds %d bytes, over its budget of %d", size, budget)
			}
		}
	}
	if c.evictions.Load() == 0 {
		t.Fatalf("no evictions with %d bytes of pages in a %d-byte budget", c.bytes.Load(), budget)
	}
	if c.len() == 0 || c.len() >= len(pages) {
		t.Errorf("cache holds %d pages of %d; want some but not all", c.len(), len(pages))
	}
	// A page larger than the whole budget is served but never stored.
	tiny := mustServeSite(t, func(c *siteConfig) { c.web.PageCacheBytes = 1024 })
	seedSite(t, tiny)
	for range 2 {
		if resp, body := fetch(t, tiny, "GET", "/"); resp.StatusCode != 200 || !bytes.Contains(body, []byte("Walk 25")) {
			t.Fatalf("GET / with a 1 KiB budget = %d", resp.StatusCode)
		}
	}
	if n := tiny.Site.cache.len(); n != 0 || tiny.Site.cache.bytes.Load() != 0 {
		t.Errorf("1 KiB budget holds %d pages", n)
	}
	_, metrics := fetch(t, ts, "GET", "/metrics")
	for _, series := range []string{"vlogd_page_cache_hits_total ", "vlogd_page_cache_misses_total ", "vlogd_page_cache_evictions_total ", "vlogd_page_cache_bytes "} {
		if !bytes.Contains(metrics, []byte(series)) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if bytes.Contains(metrics, []byte("vlogd_page_cache_evictions_total 0\n")) {
		t.Error("/metrics reports no evictions")
	}
}

func TestCacheOff(t *testing.T) {
	ts := mustServeSite(t, func(c *siteConfig) { c.web.PageCacheBytes = -1 })
	seedSite(t, ts)
	if ts.Site.cache != nil {
		t.Fatal("PageCacheBytes -1 left a cache")
	}
	resp, body := fetch(t, ts, "GET", "/")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Walk 25")) {
		t.Fatalf("GET / without cache = %d", resp.StatusCode)
	}
	_, metrics := fetch(t, ts, "GET", "/metrics")
	if bytes.Contains(metrics, []byte("vlogd_page_cache_hits_total")) {
		t.Error("/metrics reports a cache that is off")
	}
}

// TestCacheReadYourWrites runs writers that, after each acknowledged
// change, read the pages it affects, while readers keep the same pages hot
// in the cache. Every read that starts after a write returned must show it.
func TestCacheReadYourWrites(t *testing.T) {
	ts := mustServeSite(t)
	seedSite(t, ts)
	const writers, rounds = 4, 6
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range []string{"/", "/api/vlogs", "/feed.atom", "/vlogs/1", "/users/alice"} {
					fetch(t, ts, "GET", p, "Accept-Encoding: gzip")
				}
			}
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*8)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("writer%d", w)
			u, err := ts.Store.CreateUser(name, "$argon2id$not-a-real-hash")
			if err != nil {
				errs <- err
				return
			}
			must := func(path, want string, present bool) {
				_, body := fetch(t, ts, "GET", path)
				if bytes.Contains(body, []byte(want)) != present {
					errs <- fmt.Errorf("GET %s after an acknowledged write: contains %q = %v, want %v", path, want, !present, present)
				}
			}
			for i := range rounds {
				title := fmt.Sprintf("%s post %d", name, i)
				v, err := ts.Store.CreateVlog(u.ID, memstore.VlogInput{Title: title, Body: "body"})
				if err != nil {
					errs <- err
					return
				}
				path := vlogPath(v.ID)
				must("/", title, true)
				must("/api/vlogs", title, true)
				must("/feed.atom", title, true)
				must("/users/"+name, title, true)
				must(path, title, true)
				must("/api/vlogs/"+fmt.Sprint(v.ID), title, true)

				edited := title + " (edited)"
				if _, err := ts.Store.EditVlog(v.ID, u.ID, memstore.VlogInput{Title: edited, Body: "body"}); err != nil {
					errs <- err
					return
				}
				must("/", edited, true)
				must(path, edited, true)

				comment := fmt.Sprintf("comment by %s on %d", name, i)
				if _, err := ts.Store.AddComment(v.ID, u.ID, comment); err != nil {
					errs <- err
					return
				}
				must(path, comment, true)
				must("/api/vlogs/"+fmt.Sprint(v.ID), `"comments":1`, true)

				if err := ts.Store.SetLike(v.ID, u.ID, true); err != nil {
					errs <- err
					return
				}
				must("/api/vlogs/"+fmt.Sprint(v.ID), `"likes":1`, true)

				if i%2 == 1 {
					if err := ts.Store.DeleteVlog(v.ID, u.ID); err != nil {
						errs <- err
						return
					}
					must("/", edited, false)
					must("/users/"+name, edited, false)
					if resp, _ := fetch(t, ts, "GET", path); resp.StatusCode != 404 {
						errs <- fmt.Errorf("GET %s after delete = %d, want 404", path, resp.StatusCode)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ts.Site.cache.hits.Load() == 0 {
		t.Error("the readers never hit the cache: the test did not exercise it")
	}
}

// TestCacheIsolatesUsers interleaves two signed-in users and an anonymous
// reader on the same pages: each signed-in page carries its own user's
// name and token and nobody else's, and the anonymous pages carry none.
func TestCacheIsolatesUsers(t *testing.T) {
	ts := mustServeSite(t)
	seedSite(t, ts)
	alice := ts.signUp(t, "alice_u")
	bob := ts.signUp(t, "bob_u")
	anon := ts.newClient(t)
	tokenOf := func(c *client, path string) (string, string) {
		_, body := c.get(t, path)
		m := csrfRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token on %s for a signed-in user:\n%s", path, body)
		}
		return m[1], body
	}
	for round := 0; round < 3; round++ {
		for _, path := range []string{"/", "/vlogs/1", "/users/alice", "/?before=6"} {
			_, anonBefore := anon.get(t, path)
			aTok, aBody := tokenOf(alice, path)
			_, anonBetween := anon.get(t, path)
			bTok, bBody := tokenOf(bob, path)
			_, anonAfter := anon.get(t, path)
			if aTok == bTok {
				t.Fatalf("%s: alice and bob got the same CSRF token", path)
			}
			if !strings.Contains(aBody, "alice_u") || strings.Contains(aBody, "bob_u") || strings.Contains(aBody, bTok) {
				t.Fatalf("%s: alice's page shows bob's name or token, or not her own name", path)
			}
			if !strings.Contains(bBody, "bob_u") || strings.Contains(bBody, "alice_u") || strings.Contains(bBody, aTok) {
				t.Fatalf("%s: bob's page shows alice's name or token, or not his own name", path)
			}
			for _, body := range []string{anonBefore, anonBetween, anonAfter} {
				if strings.Contains(body, "alice_u") || strings.Contains(body, "bob_u") || strings.Contains(body, aTok) ||
					strings.Contains(body, bTok) || strings.Contains(body, `name="csrf"`) || strings.Contains(body, "Signed in as") {
					t.Fatalf("%s: the anonymous page shows a user's name, a token or a form", path)
				}
			}
		}
	}
	// The signed-in users' cookies are their own: a page with a session
	// cookie is never answered from (or stored in) the shared cache.
	if hits := ts.Site.cache.hits.Load(); hits == 0 {
		t.Error("the anonymous reader never hit the cache")
	}
}

func TestCacheablePath(t *testing.T) {
	tests := []struct {
		path, query string
		want        bool
	}{
		{"/", "", true},
		{"/", "before=5", true},
		{"/", "after=12", true},
		{"/", "before=05", false},
		{"/", "before=5&after=6", false},
		{"/", "x=1", false},
		{"/vlogs/3", "", true},
		{"/vlogs/3", "a=b", false},
		{"/vlogs/new", "", false},
		{"/vlogs/3/edit", "", false},
		{"/users/alice", "", true},
		{"/users/alice", "before=9", true},
		{"/users/", "", false},
		{"/users/a/b", "", false},
		{"/feed.atom", "", true},
		{"/feed.atom", "x", false},
		{"/api/vlogs", "", true},
		{"/api/vlogs/7", "", true},
		{"/api/vlogs/x", "", false},
		{"/search", "q=a", false},
		{"/login", "", false},
		{"/metrics", "", false},
		{"/healthz", "", false},
	}
	for _, tc := range tests {
		if got := cacheablePath(tc.path, tc.query); got != tc.want {
			t.Errorf("cacheablePath(%q, %q) = %v, want %v", tc.path, tc.query, got, tc.want)
		}
	}
}

// A page is served only at the generation it was rendered at; an older one
// is dropped, a newer one is kept for the readers who can see it.
func TestPageCacheGenerations(t *testing.T) {
	c := newPageCache(1 << 20)
	k := pageKey{host: "h", target: "/"}
	c.put(newStoredPage(k, 5, nil, []byte("five")))
	if c.get(k, 5) == nil {
		t.Fatal("a page is not served at its own generation")
	}
	if c.get(k, 4) != nil || c.len() != 1 {
		t.Fatalf("a page of generation 5 was served at 4, or dropped (%d pages)", c.len())
	}
	c.put(newStoredPage(k, 4, nil, []byte("four"))) // a slower, older render
	if p := c.get(k, 5); p == nil || string(p.identity.body) != "five" {
		t.Fatal("an older render replaced a newer one")
	}
	if c.get(k, 6) != nil || c.len() != 0 {
		t.Fatalf("a page of generation 5 was served at 6, or kept (%d pages)", c.len())
	}
	if c.bytes.Load() != 0 {
		t.Fatalf("an empty cache counts %d bytes", c.bytes.Load())
	}
}

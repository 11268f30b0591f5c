package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// An attacker who can plant the anonymous CSRF cookie (from a sibling
// subdomain, say) knows the cookie but not the server's secret: no token
// it can compute is accepted, while the server's own token for that same
// cookie is.
func TestCSRFKeyedWithServerSecret(t *testing.T) {
	ts := mustServeSite(t)
	planted := strings.Repeat("p", 43)
	victim := ts.newClient(t)
	u, _ := url.Parse(ts.URL)
	victim.http.Jar.SetCookies(u, []*http.Cookie{{Name: csrfCookie, Value: planted, Path: "/"}})

	unkeyed := sha256.Sum256([]byte("vlogd csrf\x00" + planted)) // the old, unkeyed derivation
	other, err := New(ts.Store, Options{Secret: []byte("another server's secret")})
	if err != nil {
		t.Fatal(err)
	}
	forged := []string{
		base64.RawURLEncoding.EncodeToString(unkeyed[:]),
		other.csrfTokenFor("anonymous", planted),
		planted,
	}
	for _, token := range forged {
		resp, _ := victim.do(t, "POST", "/signup", url.Values{"csrf": {token}, "username": {"forged"}, "password": {testPassword}})
		if resp.StatusCode != 403 {
			t.Fatalf("token %q for a planted cookie: %d, want 403", token, resp.StatusCode)
		}
	}
	if _, err := ts.Store.UserByName("forged"); err == nil {
		t.Fatal("a forged token made an account")
	}
	// The check is not simply refusing: the keyed token for the same cookie works.
	resp, _ := victim.do(t, "POST", "/signup", url.Values{"csrf": {ts.Site.csrfTokenFor("anonymous", planted)}, "username": {"real"}, "password": {testPassword}})
	wantStatus(t, resp, 303)

	// The same secret gives the same tokens after a restart; another does not.
	again, _ := New(ts.Store, Options{Secret: []byte("kept secret")})
	same, _ := New(ts.Store, Options{Secret: []byte("kept secret")})
	if again.csrfTokenFor("session", "t") != same.csrfTokenFor("session", "t") || again.csrfTokenFor("session", "t") == other.csrfTokenFor("session", "t") {
		t.Fatal("tokens do not follow the secret")
	}
	if again.csrfTokenFor("session", "t") == again.csrfTokenFor("anonymous", "t") {
		t.Fatal("a session token and an anonymous token for one secret are equal")
	}
}

// A token is bound to its session: alice's token fails in bob's session,
// and signing in again makes the old token useless.
func TestCSRFBoundToSession(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	aliceToken := alice.token(t)
	resp, _ := bob.do(t, "POST", "/vlogs", url.Values{"csrf": {aliceToken}, "title": {"cross"}})
	wantStatus(t, resp, 403)
	resp, _ = alice.do(t, "POST", "/vlogs", url.Values{"csrf": {aliceToken}, "title": {"own"}})
	wantStatus(t, resp, 303)
	if resp, _ := alice.post(t, "/login", url.Values{"username": {"alice"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatal("sign in again failed")
	}
	resp, _ = alice.do(t, "POST", "/vlogs", url.Values{"csrf": {aliceToken}, "title": {"stale"}})
	wantStatus(t, resp, 403)
}

// The Origin check compares scheme, host and port.
func TestOriginSchemeHostPort(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	u, _ := url.Parse(ts.URL)
	tests := []struct {
		origin string
		status int
	}{
		{"http://" + u.Host, 303},
		{"HTTP://" + strings.ToUpper(u.Host), 303},
		{"https://" + u.Host, 403}, // the case: https accepted on plain HTTP
		{"http://" + u.Hostname() + ":1", 403},
		{"http://" + u.Hostname(), 403}, // port 80 is not the site's port
		{"http://evil.example:" + u.Port(), 403},
		{"null", 403},
	}
	for _, tt := range tests {
		alice.header = http.Header{"Origin": {tt.origin}}
		resp, _ := alice.post(t, "/vlogs", url.Values{"title": {"from " + tt.origin}})
		if resp.StatusCode != tt.status {
			t.Errorf("Origin %q: %d, want %d", tt.origin, resp.StatusCode, tt.status)
		}
	}
	// An untrusted peer's X-Forwarded-Proto changes nothing.
	alice.header = http.Header{"Origin": {"https://" + u.Host}, "X-Forwarded-Proto": {"https"}}
	if resp, _ := alice.post(t, "/vlogs", url.Values{"title": {"forwarded"}}); resp.StatusCode != 403 {
		t.Errorf("untrusted X-Forwarded-Proto https with an https Origin: %d, want 403", resp.StatusCode)
	}
	alice.header = http.Header{}

	// A trusted proxy's X-Forwarded-Proto gives the scheme.
	behind := mustServeSite(t, func(c *siteConfig) { c.web.TrustedProxies, _ = ParseTrustedProxies("127.0.0.0/8") })
	carol := behind.signUp(t, "carol")
	bu, _ := url.Parse(behind.URL)
	for origin, want := range map[string]int{"https://" + bu.Host: 303, "http://" + bu.Host: 403} {
		carol.header = http.Header{"Origin": {origin}, "X-Forwarded-Proto": {"https"}}
		if resp, _ := carol.post(t, "/vlogs", url.Values{"title": {"t"}}); resp.StatusCode != want {
			t.Errorf("trusted X-Forwarded-Proto https, Origin %q: %d, want %d", origin, resp.StatusCode, want)
		}
	}

	// Behind a proxy that terminates TLS, --base-url names the origin the
	// browser sees.
	proxied := mustServeSite(t, func(c *siteConfig) {
		c.web.BaseURL, c.web.CanonicalOrigin = "https://vlog.example", true
	})
	bob := proxied.signUp(t, "bob")
	for origin, want := range map[string]int{"https://vlog.example": 303, "http://vlog.example": 403, "https://vlog.example:8443": 403, "https://evil.example": 403} {
		bob.header = http.Header{"Origin": {origin}}
		if resp, _ := bob.post(t, "/vlogs", url.Values{"title": {"t"}}); resp.StatusCode != want {
			t.Errorf("with --base-url, Origin %q: %d, want %d", origin, resp.StatusCode, want)
		}
	}
}

// Absolute URLs come from the base URL, never from the request's Host.
func TestHostHeaderCannotChangeURLs(t *testing.T) {
	for _, base := range []string{"", "https://vlog.example"} {
		ts := mustServeSite(t, func(c *siteConfig) { c.web.BaseURL = base })
		want := base
		if want == "" {
			want = ts.URL // the listen address
		}
		alice := ts.signUp(t, "alice")
		alice.uploadVlog(t, "clip", fixture(t, "clip.webm"), "c.webm")
		for _, path := range []string{"/feed.atom", "/api/vlogs", "/api/vlogs/1"} {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil2.example")
			resp, err := alice.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
			}
			if strings.Contains(body, "evil") || !strings.Contains(body, want+"/vlogs/1") || !strings.Contains(body, want+"/media/") {
				t.Fatalf("GET %s with Host evil.example (base %q):\n%s", path, base, body)
			}
			if path == "/api/vlogs/1" {
				var v apiVlog
				if err := json.Unmarshal([]byte(body), &v); err != nil || v.URL != want+"/vlogs/1" {
					t.Fatalf("API url = %q, %v; want %s/vlogs/1", v.URL, err, want)
				}
			}
		}
	}
}

func TestBaseURLMustBeAnOrigin(t *testing.T) {
	for _, bad := range []string{"vlog.example", "ftp://vlog.example", "https://vlog.example/blog", "https://user@vlog.example", "https://vlog.example/?q=1", "https://"} {
		if _, err := New(nil, Options{BaseURL: bad}); err == nil {
			t.Errorf("New with base URL %q: no error", bad)
		}
	}
}

// The gate never runs more than its slots at once, queues a bounded
// number, and refuses the rest at once.
func TestHashGateBounds(t *testing.T) {
	g := newHashGate(2, 3, time.Hour)
	release := make(chan struct{})
	var running, peak atomic.Int32
	var started sync.WaitGroup
	started.Add(5)
	results := make(chan error, 5)
	for range 5 {
		go func() {
			started.Done()
			results <- g.run(func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
			})
		}()
	}
	started.Wait()
	// Wait until all five are inside the gate (two running, three queued).
	for len(g.admit) < 5 {
		time.Sleep(time.Millisecond)
	}
	if err := g.run(func() { t.Error("a sixth hash ran") }); err != errHashBusy {
		t.Fatalf("sixth run = %v, want errHashBusy", err)
	}
	close(release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want 2", p)
	}
	// A queued hash gives up when no slot frees in time.
	short := newHashGate(1, 1, time.Millisecond)
	hold := make(chan struct{})
	go short.run(func() { <-hold })
	for len(short.slots) < 1 {
		time.Sleep(time.Millisecond)
	}
	if err := short.run(func() {}); err != errHashBusy {
		t.Fatalf("queued past maxWait = %v, want errHashBusy", err)
	}
	close(hold)
}

// Attempts count when they start: of many concurrent attempts for one key,
// exactly the limit get through.
func TestThrottleCountsAttemptsAtStart(t *testing.T) {
	th := newThrottle(20, time.Hour, time.Now)
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if th.attempt("addr") == 0 {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := admitted.Load(); n != 20 {
		t.Fatalf("%d of 1000 concurrent attempts admitted, want 20", n)
	}
	th.forgive("addr")
	if th.attempt("addr") != 0 || th.attempt("addr") == 0 {
		t.Fatal("forgive did not give back exactly one attempt")
	}
}

// Past the gate, sign-ins get 503 with Retry-After instead of hashing.
func TestSignInBusyIs503(t *testing.T) {
	ts := mustServeSite(t, func(c *siteConfig) { c.web.HashConcurrency, c.web.HashQueue = 1, -1 })
	ts.signUp(t, "ann")
	hold := make(chan struct{})
	go ts.Site.hashes.run(func() { <-hold })
	for len(ts.Site.hashes.slots) < 1 {
		time.Sleep(time.Millisecond)
	}
	c := ts.newClient(t)
	resp, _ := c.post(t, "/login", url.Values{"username": {"ann"}, "password": {testPassword}})
	close(hold)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in while hashing is full: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := c.post(t, "/login", url.Values{"username": {"ann"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatalf("sign-in after: %d, want 303", resp.StatusCode)
	}
}

// Through the site: of 30 concurrent wrong sign-ins for one name, the
// throttle lets exactly 5 start (and reach the hash) and answers the rest
// 429 at once, because attempts count when they start. (The per-address
// limit works the same way; the name's keeps the hashes few.)
func TestConcurrentSignInsThrottledAtStart(t *testing.T) {
	ts := mustServeSite(t, func(c *siteConfig) {
		c.web.HashConcurrency, c.web.HashQueue, c.web.HashMaxWait = 1, 100, time.Hour
	})
	c := ts.newClient(t)
	token := c.token(t)
	const attempts = 30
	statuses := make(chan int, attempts)
	var wg sync.WaitGroup
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"csrf": {token}, "username": {"ghost"}, "password": {"wrong password"}}
			req, _ := http.NewRequest("POST", ts.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.http.Do(req)
			if err != nil {
				t.Error(err)
				statuses <- -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for st := range statuses {
		counts[st]++
	}
	if counts[422] != loginFailuresPerName || counts[429] != attempts-loginFailuresPerName {
		t.Fatalf("statuses %v, want %d×422 and %d×429", counts, loginFailuresPerName, attempts-loginFailuresPerName)
	}
}

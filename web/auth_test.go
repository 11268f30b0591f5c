package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vlogd/memstore"
)

// Every write route × anonymous, the author, another user: only the author
// changes a vlog, anyone signed in may create one, anonymous visitors are
// sent to sign in and come back, and a refusal changes nothing.
func TestAuthorizationMatrix(t *testing.T) {
	type want struct {
		status   int
		location string // for 303
		changes  bool
	}
	routes := []struct {
		method, path string
		form         url.Values
		anon         want
		author       want
		other        want
	}{
		{"GET", "/vlogs/new", nil,
			want{303, "/login?next=%2Fvlogs%2Fnew", false}, want{200, "", false}, want{200, "", false}},
		{"POST", "/vlogs", url.Values{"title": {"new"}},
			want{303, "/login?next=%2Fvlogs%2Fnew", false}, want{303, "/vlogs/2", true}, want{303, "/vlogs/2", true}},
		{"GET", "/vlogs/1/edit", nil,
			want{303, "/login?next=%2Fvlogs%2F1%2Fedit", false}, want{200, "", false}, want{403, "", false}},
		{"POST", "/vlogs/1/edit", url.Values{"title": {"changed"}},
			want{303, "/login?next=%2Fvlogs%2F1%2Fedit", false}, want{303, "/vlogs/1", true}, want{403, "", false}},
		{"POST", "/vlogs/1/delete", nil,
			want{303, "/login?next=%2Fvlogs%2F1", false}, want{303, "/", true}, want{403, "", false}},
	}
	for _, rt := range routes {
		for _, role := range []string{"anonymous", "author", "other"} {
			t.Run(rt.method+" "+rt.path+" as "+role, func(t *testing.T) {
				ts := mustServeSite(t)
				author := ts.signUp(t, "author")
				author.createVlog(t, "original", "body")
				c := map[string]*client{"anonymous": ts.newClient(t), "author": author, "other": ts.signUp(t, "other")}[role]
				w := map[string]want{"anonymous": rt.anon, "author": rt.author, "other": rt.other}[role]
				before := snapshotVlogs(ts.Store)

				var resp *http.Response
				if rt.method == "POST" {
					resp, _ = c.post(t, rt.path, url.Values(cloneForm(rt.form)))
				} else {
					resp, _ = c.get(t, rt.path)
				}
				if resp.StatusCode != w.status || (w.location != "" && resp.Header.Get("Location") != w.location) {
					t.Fatalf("status %d Location %q, want %d %q", resp.StatusCode, resp.Header.Get("Location"), w.status, w.location)
				}
				if changed := snapshotVlogs(ts.Store) != before; changed != w.changes {
					t.Fatalf("state changed = %v, want %v", changed, w.changes)
				}
			})
		}
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// snapshotVlogs renders the store's vlogs as a string, for before/after
// comparisons.
func snapshotVlogs(s *memstore.Store) string {
	var b strings.Builder
	for _, v := range s.Vlogs(memstore.Cursor{}, 1000).Vlogs {
		b.WriteString(strconv.FormatUint(v.ID, 10) + "|" + v.Title + "|" + v.Body + "|" + v.Updated.String() + "\n")
	}
	return b.String()
}

// An anonymous visitor sent to sign in comes back where they were; the
// return address is only ever a path on this site.
func TestSignInReturnsToNext(t *testing.T) {
	ts := mustServeSite(t)
	ts.signUp(t, "dave")
	tests := []struct{ next, want string }{
		{"/vlogs/new", "/vlogs/new"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		c := ts.newClient(t)
		resp, _ := c.post(t, "/login", url.Values{"username": {"DAVE"}, "password": {testPassword}, "next": {tt.next}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != tt.want {
			t.Errorf("sign in with next=%q: %d to %q, want 303 to %q", tt.next, resp.StatusCode, resp.Header.Get("Location"), tt.want)
		}
	}
}

func TestSignUpRules(t *testing.T) {
	ts := mustServeSite(t)
	ts.signUp(t, "Erin")
	tests := []struct {
		name, password, message string
	}{
		{"ab", testPassword, "Username must be 3 to 32 characters long."},
		{"bad name", testPassword, "Username may only contain letters, digits, _ and -."},
		{"erin", testPassword, "Username is already taken."},
		{"frank", "short", "Password must be at least 10 characters."},
	}
	for _, tt := range tests {
		c := ts.newClient(t)
		resp, body := c.post(t, "/signup", url.Values{"username": {tt.name}, "password": {tt.password}})
		if resp.StatusCode != 422 || !strings.Contains(body, tt.message) {
			t.Errorf("sign up %q/%q: %d, want 422 with %q", tt.name, tt.password, resp.StatusCode, tt.message)
		}
		if len(resp.Cookies()) > 0 && resp.Cookies()[0].Name == sessionCookie {
			t.Errorf("refused sign-up %q set a session cookie", tt.name)
		}
	}
	u, err := ts.Store.UserByName("erin")
	if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q (%v), want argon2id with OWASP parameters", u.PasswordHash, err)
	}
}

func TestCSRF(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	bob := ts.signUp(t, "bob")
	alice.createVlog(t, "keep me", "")
	bobToken := bob.token(t)
	origin := ts.URL

	tests := []struct {
		name          string
		token         string
		origin, refer string
		status        int
	}{
		{"missing token", "", "", "", 403},
		{"wrong token", "AAAA", "", "", 403},
		{"another session's token", bobToken, "", "", 403},
		{"cross-site Origin", alice.token(t), "https://evil.example", "", 403},
		{"cross-site Referer", alice.token(t), "", "https://evil.example/page", 403},
		{"Origin null", alice.token(t), "null", "", 403},
		{"same-site Origin", alice.token(t), origin, "", 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshotVlogs(ts.Store)
			form := url.Values{"title": {"changed by " + tt.name}}
			if tt.token != "" {
				form.Set("csrf", tt.token)
			}
			alice.header = http.Header{}
			if tt.origin != "" {
				alice.header.Set("Origin", tt.origin)
			}
			if tt.refer != "" {
				alice.header.Set("Referer", tt.refer)
			}
			resp, _ := alice.do(t, "POST", "/vlogs/1/edit", form)
			alice.header = http.Header{}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if changed := snapshotVlogs(ts.Store) != before; changed != (tt.status == 303) {
				t.Fatalf("state changed = %v with status %d", changed, tt.status)
			}
		})
	}
	// The anonymous forms are protected too.
	c := ts.newClient(t)
	resp, _ := c.do(t, "POST", "/signup", url.Values{"username": {"zed"}, "password": {testPassword}})
	if resp.StatusCode != 403 {
		t.Fatalf("sign-up without a token: %d, want 403", resp.StatusCode)
	}
	if _, err := ts.Store.UserByName("zed"); err == nil {
		t.Fatal("sign-up without a token created the user")
	}
}

func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatalf("no %s cookie in %q", sessionCookie, resp.Header.Values("Set-Cookie"))
	return nil
}

func TestSessionCookieFlags(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run("tls="+strconv.FormatBool(useTLS), func(t *testing.T) {
			var opts []siteOption
			if useTLS {
				opts = append(opts, func(c *siteConfig) { c.srv.TLSConfig = selfSignedTLS(t) })
			}
			ts := mustServeSite(t, opts...)
			c := ts.newClient(t)
			resp, _ := c.post(t, "/signup", url.Values{"username": {"gina"}, "password": {testPassword}})
			wantStatus(t, resp, 303)
			ck := sessionCookieOf(t, resp)
			raw := resp.Header.Values("Set-Cookie")
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != useTLS || ck.MaxAge != 30*24*3600 {
				t.Fatalf("session cookie %q: want HttpOnly, SameSite=Lax, Path=/, Max-Age 30 days, Secure=%v", raw, useTLS)
			}
			// 256 random bits, URL-safe base64.
			if len(ck.Value) != 43 {
				t.Fatalf("session token %q is %d characters, want 43 (256 bits)", ck.Value, len(ck.Value))
			}
		})
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// A new token at every sign-in, and a sign-out destroys the session on the
// server: the old cookie no longer signs anyone in.
func TestSignInRotatesAndSignOutInvalidates(t *testing.T) {
	ts := mustServeSite(t)
	c := ts.signUp(t, "hana")
	u, _ := url.Parse(ts.URL)
	first := c.http.Jar.Cookies(u)
	resp, _ := c.post(t, "/login", url.Values{"username": {"hana"}, "password": {testPassword}})
	wantStatus(t, resp, 303)
	second := sessionCookieOf(t, resp)
	for _, ck := range first {
		if ck.Name == sessionCookie && ck.Value == second.Value {
			t.Fatal("sign-in kept the old session token")
		}
	}

	resp, _ = c.post(t, "/logout", nil)
	wantStatus(t, resp, 303)
	if ck := sessionCookieOf(t, resp); ck.MaxAge >= 0 || ck.Value != "" {
		t.Fatalf("logout cookie = %+v, want it cleared", ck)
	}
	// Replay the stolen cookie by hand.
	thief := ts.newClient(t)
	thief.header.Set("Cookie", sessionCookie+"="+second.Value)
	resp, _ = thief.get(t, "/vlogs/new")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("old cookie after logout: %d %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Repeated failures are throttled per username and per client address,
// with 429 and Retry-After, even for the right password; the window
// passing lets the user in again.
func TestSignInThrottle(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	ts := mustServeSite(t, func(c *siteConfig) { c.web.Now = now })
	ts.signUp(t, "ivan")
	c := ts.newClient(t)
	login := func(name, password string) *http.Response {
		resp, _ := c.post(t, "/login", url.Values{"username": {name}, "password": {password}})
		return resp
	}
	for i := range loginFailuresPerName {
		if resp := login("ivan", "wrong password "+strconv.Itoa(i)); resp.StatusCode != 422 {
			t.Fatalf("failure %d: status %d, want 422", i+1, resp.StatusCode)
		}
	}
	resp := login("ivan", testPassword)
	if resp.StatusCode != 429 {
		t.Fatalf("right password after %d failures: %d, want 429", loginFailuresPerName, resp.StatusCode)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > int(loginWindow/time.Second) {
		t.Fatalf("Retry-After = %q, want seconds within the window", resp.Header.Get("Retry-After"))
	}
	mu.Lock()
	clock = clock.Add(loginWindow)
	mu.Unlock()
	if resp := login("ivan", testPassword); resp.StatusCode != 303 {
		t.Fatalf("after the window: %d, want 303", resp.StatusCode)
	}

	// Per address: many names, one client.
	for i := range loginFailuresPerAddr {
		if resp := login("nobody"+strconv.Itoa(i), "whatever password"); resp.StatusCode != 422 {
			t.Fatalf("address failure %d: status %d, want 422", i+1, resp.StatusCode)
		}
	}
	if resp := login("ivan", testPassword); resp.StatusCode != 429 {
		t.Fatalf("after %d failures from one address: %d, want 429", loginFailuresPerAddr, resp.StatusCode)
	}
}

// An unknown name and a wrong password get the same answer.
func TestSignInDoesNotRevealNames(t *testing.T) {
	ts := mustServeSite(t)
	ts.signUp(t, "judy")
	var bodies []string
	for _, name := range []string{"judy", "nobody-here"} {
		c := ts.newClient(t)
		resp, body := c.post(t, "/login", url.Values{"username": {name}, "password": {"wrong password"}})
		wantStatus(t, resp, 422)
		bodies = append(bodies, strings.ReplaceAll(csrfRE.ReplaceAllString(body, ""), name, "NAME"))
	}
	if bodies[0] != bodies[1] {
		t.Fatalf("answers differ for a wrong password and an unknown name:\n%s\n---\n%s", bodies[0], bodies[1])
	}
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := hashPassword("swordfish-swordfish")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"swordfish-swordfish", true}, {"swordfish-swordfisH", false}, {"", false}} {
		if ok, err := checkPassword(h, tt.password); ok != tt.ok || err != nil {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", tt.password, ok, err, tt.ok)
		}
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=8,t=1,p=1$!!$AA"} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("checkPassword(%q) accepted a malformed hash", bad)
		}
	}
}

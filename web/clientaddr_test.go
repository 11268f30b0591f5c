package web

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"vlogd/httpraw"
)

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8, 192.168.1.7 ,::1,2001:db8::/32,10.1.2.3/16,")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "::1/128", "2001:db8::/32", "10.1.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("ParseTrustedProxies = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %v, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1:80", "1.2.3"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	if got, err := ParseTrustedProxies(""); err != nil || got != nil {
		t.Errorf("ParseTrustedProxies(\"\") = %v, %v; want nil, nil", got, err)
	}
}

func TestClientFromForwardingHeaders(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:1::/48")
	if err != nil {
		t.Fatal(err)
	}
	s := &Site{proxies: proxies}
	tests := []struct {
		name   string
		remote string
		tls    bool
		fields []string // "Name: value"
		addr   string
		secure bool
	}{
		{"untrusted peer, no fields", "198.51.100.7:5000", false, nil, "198.51.100.7", false},
		{"untrusted peer's XFF ignored", "198.51.100.7:5000", false,
			[]string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https"}, "198.51.100.7", false},
		{"untrusted peer's Forwarded ignored", "198.51.100.7:5000", true,
			[]string{"Forwarded: for=203.0.113.9;proto=http"}, "198.51.100.7", true},
		{"trusted peer, XFF", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https"}, "203.0.113.9", true},
		{"trusted peer, no fields", "10.0.0.2:5000", false, nil, "10.0.0.2", false},
		{"client-written left entries ignored", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 1.1.1.1, 2.2.2.2, 203.0.113.9"}, "203.0.113.9", false},
		{"chain of trusted proxies skipped", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 1.1.1.1, 203.0.113.9, 10.9.9.9", "X-Forwarded-For: 10.0.0.3"}, "203.0.113.9", false},
		{"all trusted: the leftmost", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 10.4.4.4, 10.5.5.5"}, "10.4.4.4", false},
		{"garbage stops the walk", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 203.0.113.9, not-an-ip"}, "10.0.0.2", false},
		{"XFF with port and brackets", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: [2001:db8::5]:443"}, "2001:db8::5", false},
		{"proto http from proxy beats TLS to us", "10.0.0.2:5000", true,
			[]string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: http"}, "203.0.113.9", false},
		{"proto only", "10.0.0.2:5000", false, []string{"X-Forwarded-Proto: HTTPS"}, "10.0.0.2", true},
		{"unknown proto ignored", "10.0.0.2:5000", false,
			[]string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: gopher"}, "203.0.113.9", false},
		{"Forwarded", "10.0.0.2:5000", false,
			[]string{`Forwarded: for=192.0.2.60;proto=https;by=10.0.0.2`}, "192.0.2.60", true},
		{"Forwarded IPv6 quoted with port", "[2001:db8:1::2]:5000", false,
			[]string{`Forwarded: for="[2001:db8:cafe::17]:4711";proto=https`}, "2001:db8:cafe::17", true},
		{"Forwarded list across lines", "10.0.0.2:5000", false,
			[]string{`Forwarded: for=1.1.1.1, for="192.0.2.60";proto=https`, "Forwarded: for=10.7.7.7;proto=http"}, "192.0.2.60", true},
		{"Forwarded unknown stops", "10.0.0.2:5000", false,
			[]string{"Forwarded: for=192.0.2.60, for=unknown"}, "10.0.0.2", false},
		{"Forwarded obfuscated stops", "10.0.0.2:5000", false,
			[]string{"Forwarded: for=_hidden;proto=https"}, "10.0.0.2", false},
		{"Forwarded malformed", "10.0.0.2:5000", false,
			[]string{`Forwarded: for="192.0.2.60`}, "10.0.0.2", false},
		{"Forwarded duplicate parameter", "10.0.0.2:5000", false,
			[]string{"Forwarded: for=192.0.2.60;for=192.0.2.61"}, "10.0.0.2", false},
		{"Forwarded quoted comma", "10.0.0.2:5000", false,
			[]string{`Forwarded: for=192.0.2.60;ext="a,b"`}, "192.0.2.60", false},
		{"XFF preferred over Forwarded", "10.0.0.2:5000", false,
			[]string{"Forwarded: for=192.0.2.60", "X-Forwarded-For: 203.0.113.9"}, "203.0.113.9", false},
		{"IPv4-mapped peer is trusted", "[::ffff:10.0.0.2]:5000", false,
			[]string{"X-Forwarded-For: 203.0.113.9"}, "203.0.113.9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &httpraw.Request{RemoteAddr: tt.remote, TLS: tt.tls}
			for _, f := range tt.fields {
				name, value, _ := strings.Cut(f, ": ")
				r.Header.Add(name, value)
			}
			got := s.client(r)
			if got.addr != tt.addr || got.secure != tt.secure {
				t.Errorf("client(%s, %q) = %q secure=%v, want %q secure=%v", tt.remote, tt.fields, got.addr, got.secure, tt.addr, tt.secure)
			}
		})
	}
}

// The throttle counts a trusted proxy's clients one by one, by the address
// the proxy reports; a client that is not a trusted proxy cannot move
// itself into another bucket by writing X-Forwarded-For.
func TestThrottleUsesTrustedForwardedFor(t *testing.T) {
	failAll := func(t *testing.T, c *client, n int, xff func(i int) string) {
		t.Helper()
		for i := range n {
			c.header.Set("X-Forwarded-For", xff(i))
			resp, _ := c.post(t, "/login", url.Values{"username": {"nobody" + strconv.Itoa(i)}, "password": {"wrong password"}})
			wantStatus(t, resp, 422)
		}
	}
	t.Run("trusted", func(t *testing.T) {
		ts := mustServeSite(t, func(c *siteConfig) { c.web.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
		c := ts.newClient(t)
		failAll(t, c, loginFailuresPerAddr, func(int) string { return "203.0.113.1" })
		c.header.Set("X-Forwarded-For", "203.0.113.1")
		resp, _ := c.post(t, "/login", url.Values{"username": {"someone"}, "password": {"wrong password"}})
		wantStatus(t, resp, 429)
		// Another client behind the same proxy is not punished.
		c.header.Set("X-Forwarded-For", "203.0.113.2")
		resp, _ = c.post(t, "/login", url.Values{"username": {"someone"}, "password": {"wrong password"}})
		wantStatus(t, resp, 422)
	})
	t.Run("untrusted", func(t *testing.T) {
		ts := mustServeSite(t)
		c := ts.newClient(t)
		failAll(t, c, loginFailuresPerAddr, func(i int) string { return "203.0.113." + strconv.Itoa(i+1) })
		c.header.Set("X-Forwarded-For", "198.51.100.1")
		resp, _ := c.post(t, "/login", url.Values{"username": {"someone"}, "password": {"wrong password"}})
		wantStatus(t, resp, 429)
	})
}

// The session cookie is Secure when a trusted proxy says the client used
// HTTPS, and not when an untrusted peer says so.
func TestSecureCookieBehindProxy(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		t.Run("trusted="+strconv.FormatBool(trusted), func(t *testing.T) {
			ts := mustServeSite(t, func(c *siteConfig) {
				if trusted {
					c.web.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
				}
			})
			c := ts.newClient(t)
			c.header.Set("X-Forwarded-Proto", "https")
			c.header.Set("X-Forwarded-For", "203.0.113.5")
			resp, _ := c.post(t, "/signup", url.Values{"username": {"kate"}, "password": {testPassword}})
			wantStatus(t, resp, 303)
			if ck := sessionCookieOf(t, resp); ck.Secure != trusted {
				t.Fatalf("Secure = %v, want %v (%q)", ck.Secure, trusted, resp.Header.Values("Set-Cookie"))
			}
		})
	}
}

// FuzzForwardedHeaders feeds arbitrary forwarding fields from a trusted
// and an untrusted peer: the parser never panics, an untrusted peer is
// always itself, and a trusted peer's client is the peer or an address
// the fields named.
func FuzzForwardedHeaders(f *testing.F) {
	f.Add("for=192.0.2.60;proto=https", "", "")
	f.Add("", "203.0.113.9, 10.0.0.3", "https")
	f.Add(`for="[2001:db8:cafe::17]:4711", for=unknown`, "", "http")
	f.Fuzz(func(t *testing.T, fwd, xff, xfp string) {
		proxies := proxySet{netip.MustParsePrefix("10.0.0.0/8")}
		s := &Site{proxies: proxies}
		for _, remote := range []string{"10.0.0.2:1", "198.51.100.7:1"} {
			r := &httpraw.Request{RemoteAddr: remote}
			if fwd != "" {
				r.Header.Add("Forwarded", fwd)
			}
			if xff != "" {
				r.Header.Add("X-Forwarded-For", xff)
			}
			if xfp != "" {
				r.Header.Add("X-Forwarded-Proto", xfp)
			}
			got := s.client(r)
			a, err := netip.ParseAddr(got.addr)
			if err != nil {
				t.Fatalf("client(%q) addr %q is not an address", remote, got.addr)
			}
			if remote == "198.51.100.7:1" {
				if got.addr != "198.51.100.7" || got.secure {
					t.Fatalf("untrusted peer became %+v", got)
				}
				continue
			}
			if got.addr != "10.0.0.2" && !hopsName(fwd, xff, a) {
				t.Fatalf("client %q came from nowhere (Forwarded %q, X-Forwarded-For %q)", got.addr, fwd, xff)
			}
		}
	})
}

// hopsName reports whether the parsed fields name a.
func hopsName(fwd, xff string, a netip.Addr) bool {
	for _, h := range append(parseForwarded([]string{fwd}), parseXForwarded([]string{xff}, nil)...) {
		if h.addr == a {
			return true
		}
	}
	return false
}

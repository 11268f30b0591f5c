package httpraw

import (
	"testing"
	"time"
)

func TestSetCookie(t *testing.T) {
	for _, tc := range []struct {
		c    Cookie
		want string // "" means skipped
	}{
		{Cookie{Name: "sid", Value: "abc123"}, "sid=abc123"},
		{Cookie{Name: "sid", Value: "abc", Path: "/", HttpOnly: true, Secure: true, SameSite: SameSiteLax, MaxAge: 3600},
			"sid=abc; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"},
		{Cookie{Name: "sid", Value: "", MaxAge: -1, Path: "/"}, "sid=; Path=/; Max-Age=0"},
		{Cookie{Name: "a", Value: "b", Domain: "example.com", Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), SameSite: SameSiteStrict},
			"a=b; Domain=example.com; Expires=Wed, 02 Jan 2030 03:04:05 GMT; SameSite=Strict"},
		{Cookie{Name: "a", Value: "b", SameSite: SameSiteNone, Secure: true}, "a=b; Secure; SameSite=None"},
		{Cookie{Name: "q", Value: `"quoted"`}, `q="quoted"`},
		{Cookie{Name: "bad name", Value: "x"}, ""},
		{Cookie{Name: "", Value: "x"}, ""},
		{Cookie{Name: "a", Value: "x;y"}, ""},
		{Cookie{Name: "a", Value: "x y"}, ""},
		{Cookie{Name: "a", Value: "x\r\nSet-Cookie: b=c"}, ""},
		{Cookie{Name: "a", Value: "x", Path: "/;evil"}, ""},
	} {
		w := newRecorder("GET")
		SetCookie(w, tc.c)
		if got := w.header.Get("Set-Cookie"); got != tc.want {
			t.Errorf("SetCookie(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestRequestCookie(t *testing.T) {
	r := testRequestRaw("GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; sid=\"xyz\"; empty=\r\nCookie: later=2; a=3\r\n\r\n")
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"a", "1", true}, {"sid", "xyz", true}, {"empty", "", true}, {"later", "2", true}, {"missing", "", false}, {"A", "", false},
	} {
		if v, ok := r.Cookie(tc.name); v != tc.value || ok != tc.ok {
			t.Errorf("Cookie(%q) = %q, %v; want %q, %v", tc.name, v, ok, tc.value, tc.ok)
		}
	}
}

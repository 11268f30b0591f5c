package web

import (
	"net"
	"testing"
)

// A code is accepted only if it is exactly the one the site made for its
// ID: nothing else parses.
func FuzzParseInviteCode(f *testing.F) {
	s, err := New(nil, Options{Secret: []byte("fuzz secret")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s.inviteCode(1))
	f.Add(s.inviteCode(18446744073709551615))
	f.Fuzz(func(t *testing.T, code string) {
		id, ok := s.parseInviteCode(code)
		if ok && code != s.inviteCode(id) {
			t.Fatalf("parseInviteCode(%q) = %d, but that ID's code is %q", code, id, s.inviteCode(id))
		}
	})
}

// An origin that parses is http or https with a host and a port, and
// reads back the same when written out again.
func FuzzParseOrigin(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		o, ok := parseOrigin(raw)
		if !ok {
			return
		}
		if (o.scheme != "http" && o.scheme != "https") || o.host == "" || o.port == "" {
			t.Fatalf("parseOrigin(%q) = %+v", raw, o)
		}
		again, ok := makeOrigin(o.scheme, net.JoinHostPort(o.host, o.port))
		if !ok || again != o {
			t.Fatalf("parseOrigin(%q) = %+v, written out and read again %+v, %v", raw, o, again, ok)
		}
	})
}

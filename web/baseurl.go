package web

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"vlogd/httpraw"
)

// origin is a scheme, host and port, the unit browsers judge "same site"
// by (RFC 6454). The zero value matches nothing.
type origin struct {
	scheme, host, port string
}

// parseOrigin reads the origin of an absolute http or https URL; ok is
// false for anything else, including "null". Hosts compare without case
// and a missing port is the scheme's default.
func parseOrigin(raw string) (origin, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return origin{}, false
	}
	return makeOrigin(u.Scheme, u.Host)
}

// makeOrigin builds an origin from a scheme and a host[:port] as a Host
// header or a URL writes it.
func makeOrigin(scheme, hostport string) (origin, bool) {
	scheme = strings.ToLower(scheme)
	var port string
	switch scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	default:
		return origin{}, false
	}
	host := hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "" || port == "" {
		return origin{}, false
	}
	return origin{scheme: scheme, host: host, port: port}, true
}

// setBaseURL checks and keeps the site's canonical origin. A path, query
// or fragment is refused: every absolute URL is the origin followed by a
// path of the site's own.
func (s *Site) setBaseURL(raw string, canonical bool) error {
	if raw == "" {
		raw = "http://localhost"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("web: base URL %q: %w", raw, err)
	}
	o, ok := makeOrigin(u.Scheme, u.Host)
	if !ok || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("web: base URL %q: want an http or https origin such as https://vlog.example", raw)
	}
	s.baseURL = strings.ToLower(u.Scheme) + "://" + u.Host
	if canonical {
		s.baseOrigin = o
	}
	return nil
}

// requestOrigin is the origin r was addressed to: the Host header, and
// https when the client came over TLS, to vlogd or to a trusted proxy
// that says so (X-Forwarded-Proto), else http.
func (s *Site) requestOrigin(r *httpraw.Request) origin {
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	o, _ := makeOrigin(scheme, r.Host)
	return o
}

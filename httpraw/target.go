package httpraw

import (
	"net/url"
	"strings"
)

// parseTarget fills r.Path, r.RawQuery and, for the absolute form, r.Host
// from r.Target (RFC 9112 §3.2).
func parseTarget(r *Request) error {
	t := r.Target
	switch {
	case t[0] == '/':
		// RFC 9112 §3.2.1 origin-form = absolute-path [ "?" query ]
	case t == "*":
		// RFC 9112 §3.2.4 asterisk-form, only for a server-wide OPTIONS.
		if r.Method != "OPTIONS" {
			return errTarget
		}
		r.Path = "*"
		return nil
	case r.Method == "CONNECT":
		// RFC 9112 §3.2.3 authority-form = uri-host ":" port.
		if !validHost(t) || strings.IndexByte(t, ':') < 0 {
			return errTarget
		}
		r.Host = t
		return nil
	default:
		// RFC 9112 §3.2.2 absolute-form: a server MUST accept it, and its
		// authority replaces the Host field.
		scheme, rest, ok := strings.Cut(t, "://")
		if !ok || !(equalFold(scheme, "http") || equalFold(scheme, "https")) {
			return errTarget
		}
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		authority := rest[:end]
		if authority == "" || !validHost(authority) || strings.IndexByte(authority, '@') >= 0 {
			return errTarget
		}
		r.Host = authority
		t = rest[end:]
		if t == "" || t[0] == '?' {
			t = "/" + t
		}
	}
	path, query, _ := strings.Cut(t, "?")
	r.RawQuery = query
	if strings.IndexByte(path, '%') < 0 {
		r.Path = path
		return nil
	}
	p, err := url.PathUnescape(path)
	if err != nil || strings.IndexByte(p, 0) >= 0 {
		// A bad escape, or an escaped NUL that no file or route has.
		return errTarget
	}
	r.Path = p
	return nil
}

// validHost reports whether h is a plausible Host value: uri-host [":" port]
// made of RFC 3986 reg-name, IP-literal and port characters.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:[]%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkRequest applies the header rules that do not concern framing: Host
// (RFC 9112 §3.2), Connection (RFC 9112 §9.3, §9.6) and Expect
// (RFC 9110 §10.1.1). It returns whether the client expects 100 Continue.
func checkRequest(r *Request) (expectContinue bool, err error) {
	hosts := 0
	host := ""
	for _, f := range r.Header.fields {
		switch len(f.Name) {
		case 4:
			if equalFold(f.Name, "Host") {
				hosts++
				host = f.Value
			}
		case 10:
			if equalFold(f.Name, "Connection") {
				if hasToken(f.Value, "close") {
					r.wantClose = true
				}
				if hasToken(f.Value, "keep-alive") {
					r.keepAlive10 = true
				}
			}
		case 6:
			if equalFold(f.Name, "Expect") {
				if !equalFold(f.Value, "100-continue") {
					return false, errExpectation // RFC 9110 §10.1.1: MAY answer 417
				}
				// RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0.
				expectContinue = r.ProtoMinor >= 1
			}
		}
	}
	// RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for any
	// request with more than one, or with an invalid value.
	if hosts > 1 || (hosts == 0 && r.ProtoMinor >= 1) || !validHost(host) {
		return false, errHost
	}
	if r.Host == "" {
		r.Host = host
	}
	if r.ProtoMinor == 0 && !r.keepAlive10 {
		r.wantClose = true // RFC 9112 §9.3: HTTP/1.0 closes by default
	}
	return expectContinue, nil
}

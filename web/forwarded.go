package web

import (
	"net/netip"
	"strings"
)

// forwardedHop is what one proxy says about the connection it received: the
// address it came from and the scheme it was made with (RFC 7239 §4: one
// element per proxy, the client's first).
type forwardedHop struct {
	addr  netip.Addr // invalid for "unknown", an obfuscated name or garbage
	proto string     // "http", "https", or "" when the proxy did not say
}

// parseForwarded reads the elements of the Forwarded fields in values (one
// list across all field lines, RFC 7239 §4) into hops, client side first.
// It never fails: an element it cannot read becomes a hop with no address,
// which stops the walk in resolveClient, since nothing to the left of it can
// be attributed to a trusted proxy.
func parseForwarded(values []string) []forwardedHop {
	var hops []forwardedHop
	for _, v := range values {
		for elem := range splitOutsideQuotes(v, ',') {
			if strings.TrimSpace(elem) == "" {
				continue // RFC 9110 §5.6.1: empty list elements are ignored
			}
			hops = append(hops, parseForwardedElement(elem))
		}
	}
	return hops
}

// parseForwardedElement reads one forwarded-element:
// forwarded-pair *( ";" forwarded-pair ), forwarded-pair = token "=" value.
func parseForwardedElement(elem string) forwardedHop {
	var hop forwardedHop
	seenFor, seenProto := false, false
	for pair := range splitOutsideQuotes(elem, ';') {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !isToken(name) {
			return forwardedHop{}
		}
		value, ok = unquoteForwarded(value)
		if !ok {
			return forwardedHop{}
		}
		switch strings.ToLower(name) {
		case "for":
			if seenFor {
				return forwardedHop{} // RFC 7239 §4: each parameter at most once
			}
			seenFor = true
			hop.addr = parseNode(value)
		case "proto":
			if seenProto {
				return forwardedHop{}
			}
			seenProto = true
			hop.proto = normalProto(value)
		}
	}
	return hop
}

// splitOutsideQuotes yields the parts of s between separators sep that are
// not inside a quoted-string (RFC 9110 §5.6.4). An unterminated quote runs
// to the end of s.
func splitOutsideQuotes(s string, sep byte) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		start, quoted := 0, false
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case quoted && c == '\\':
				i++ // quoted-pair
			case c == '"':
				quoted = !quoted
			case !quoted && c == sep:
				if !yield(s[start:i]) {
					return
				}
				start = i + 1
			}
		}
		yield(s[start:])
	}
}

// unquoteForwarded returns a token as it is and a quoted-string without its
// quotes and escapes. ok is false for anything else.
func unquoteForwarded(v string) (string, bool) {
	if isToken(v) {
		return v, true
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
			c = v[i]
		case c == '"' || c == '\\':
			return "", false
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// parseNode reads a node (RFC 7239 §6): an IPv4 address or a bracketed IPv6
// address, either with an optional port. "unknown" and obfuscated names
// give an invalid address.
func parseNode(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseXForwarded reads X-Forwarded-For (addresses, client first, each
// proxy appending the one it saw) and X-Forwarded-Proto (schemes, matched to
// the addresses from the right, since the proxies nearest to the server are
// the ones it trusts) into hops like parseForwarded's.
func parseXForwarded(forValues, protoValues []string) []forwardedHop {
	var hops []forwardedHop
	for _, v := range forValues {
		for elem := range strings.SplitSeq(v, ",") {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			hops = append(hops, forwardedHop{addr: parseNode(elem)})
		}
	}
	var protos []string
	for _, v := range protoValues {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				protos = append(protos, normalProto(p))
			}
		}
	}
	for i, j := len(hops)-1, len(protos)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		hops[i].proto = protos[j]
	}
	return hops
}

// normalProto returns "http" or "https" for those schemes in any case, and
// "" for anything else.
func normalProto(p string) string {
	switch {
	case strings.EqualFold(p, "https"):
		return "https"
	case strings.EqualFold(p, "http"):
		return "http"
	}
	return ""
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

package web

import (
	"fmt"
	"net/netip"
	"strings"

	"vlogd/httpraw"
)

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes or
// single addresses ("10.0.0.0/8, 192.168.1.7, ::1") as given to
// --trusted-proxy. An empty list gives nil: no proxy is trusted.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("web: trusted proxy %q: want an address or a CIDR prefix such as 10.0.0.0/8", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// proxySet is the set of peers whose forwarding headers are believed.
type proxySet []netip.Prefix

func (ps proxySet) contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientInfo is who sent a request as far as the site can tell.
type clientInfo struct {
	// addr is the client's IP address; when RemoteAddr is not an
	// ip:port (only in tests), RemoteAddr itself.
	addr string
	// secure reports whether the client reached the site over TLS: to
	// vlogd itself, or to a trusted proxy that said so.
	secure bool
}

// client returns who sent r. Only when the connection comes from a trusted
// proxy are X-Forwarded-For and X-Forwarded-Proto believed (or, when there
// is no X-Forwarded-For, the Forwarded field of RFC 7239); anyone else's
// headers are ignored, since any client can write them. The list is read
// from the right, the end the nearest proxy appended to, skipping the
// addresses of trusted proxies: the first untrusted one is the client.
// Addresses further left were written by the client and prove nothing.
//
// X-Forwarded-For is preferred over Forwarded because common proxies (Caddy,
// nginx's usual configuration) set only X-Forwarded-For and pass a
// client's own Forwarded field through untouched.
func (s *Site) client(r *httpraw.Request) clientInfo {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return clientInfo{addr: r.RemoteAddr, secure: r.TLS}
	}
	peer := ap.Addr().Unmap()
	if !s.proxies.contains(peer) {
		return clientInfo{addr: peer.String(), secure: r.TLS}
	}
	addr, secure := resolveClient(s.proxies, peer, r.TLS, &r.Header)
	return clientInfo{addr: addr.String(), secure: secure}
}

// resolveClient walks the hops the trusted peer reported, from the right,
// for as long as the address reached is a trusted proxy.
func resolveClient(proxies proxySet, peer netip.Addr, tls bool, h *httpraw.Header) (netip.Addr, bool) {
	var hops []forwardedHop
	if xff := h.Values("X-Forwarded-For"); xff != nil {
		hops = parseXForwarded(xff, h.Values("X-Forwarded-Proto"))
	} else if fwd := h.Values("Forwarded"); fwd != nil {
		hops = parseForwarded(fwd)
	} else if xfp := h.Values("X-Forwarded-Proto"); xfp != nil {
		// A proxy that reports only the scheme: the address stays the
		// peer's, the scheme is the proxy's word.
		if p := lastProto(xfp); p != "" {
			return peer, p == "https"
		}
	}
	addr, secure := peer, tls
	for i := len(hops) - 1; i >= 0 && proxies.contains(addr); i-- {
		hop := hops[i]
		if !hop.addr.IsValid() {
			break // an unknown or unreadable hop: nothing left of it is attested
		}
		addr = hop.addr
		if hop.proto != "" {
			secure = hop.proto == "https"
		}
	}
	return addr, secure
}

// lastProto returns the rightmost X-Forwarded-Proto scheme, normalized.
func lastProto(values []string) string {
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return normalProto(strings.TrimSpace(v))
}

// clientAddr is the address the request came from (see client), without
// the port: the key of the per-address sign-in throttle.
func (s *Site) clientAddr(r *httpraw.Request) string { return s.client(r).addr }

// secure reports whether r reached the site over TLS (see client): cookies
// are then marked Secure.
func (s *Site) secure(r *httpraw.Request) bool { return s.client(r).secure }

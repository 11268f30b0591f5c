package web

import "vlogd/httpraw"

// contentSecurityPolicy allows nothing but this site's own resources and no
// inline script at all, so markup that slipped past escaping still cannot
// run; frame-ancestors 'none' stops clickjacking.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// securityHeaders sets the headers every response carries.
func securityHeaders(next httpraw.Handler) httpraw.Handler {
	return httpraw.HandlerFunc(func(w httpraw.ResponseWriter, r *httpraw.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

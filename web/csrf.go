package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/url"

	"vlogd/httpraw"
)

// csrfCookie holds a random secret for visitors without a session, so the
// sign-in and sign-up forms are protected too. Signed-in visitors use their
// session token as the secret instead.
const csrfCookie = "vlogd_csrf"

// csrfField is the hidden form field every state-changing form carries.
const csrfField = "csrf"

// csrfTokenFor derives the form token from a secret: an HMAC keyed with
// the server's secret, so that someone who can plant a cookie (from a
// sibling subdomain, say) still cannot compute the token that goes with
// it. kind keeps a session's tokens apart from an anonymous cookie's.
// The secret never appears in a page.
func (s *Site) csrfTokenFor(kind, secret string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte(kind + "\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// csrfToken returns the token for r's forms, giving an anonymous visitor a
// secret cookie first if they have none. A signed-in visitor's token is
// bound to the session: a token from one session fails in another.
func (s *Site) csrfToken(w httpraw.ResponseWriter, r *httpraw.Request, v viewer) string {
	if v.token != "" {
		return s.csrfTokenFor("session", v.token)
	}
	if secret, ok := r.Cookie(csrfCookie); ok && len(secret) >= 32 {
		return s.csrfTokenFor("anonymous", secret)
	}
	secret, err := newToken()
	if err != nil {
		s.logger.Error("csrf secret", "err", err)
		return ""
	}
	httpraw.SetCookie(w, httpraw.Cookie{
		Name: csrfCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: httpraw.SameSiteLax,
	})
	return s.csrfTokenFor("anonymous", secret)
}

// csrfSource makes a page's CSRF token the first time a template asks for
// it, so that a page without a form neither sets the cookie nor carries a
// token, and can be shared by every reader.
type csrfSource struct {
	s     *Site
	w     httpraw.ResponseWriter
	r     *httpraw.Request
	v     viewer
	token string
	done  bool
}

// CSRF is the token every form on the page must send back. Asking for it
// marks the response as this visitor's own (never stored in the render
// cache) and may set the anonymous secret cookie.
func (pv *view) CSRF() string {
	c := &pv.csrf
	if !c.done {
		markPersonal(c.w)
		c.token, c.done = c.s.csrfToken(c.w, c.r, c.v), true
	}
	return c.token
}

// validCSRF reports whether the submitted token matches the secret of the
// visitor who sent r.
func (s *Site) validCSRF(r *httpraw.Request, v viewer, submitted string) bool {
	kind, secret := "session", v.token
	if secret == "" {
		kind, secret = "anonymous", ""
		if c, ok := r.Cookie(csrfCookie); ok && len(c) >= 32 {
			secret = c
		}
	}
	if secret == "" || submitted == "" {
		return false
	}
	want := s.csrfTokenFor(kind, secret)
	return subtle.ConstantTimeCompare([]byte(submitted), []byte(want)) == 1
}

// sameOrigin reports whether r, a POST, was sent by a page of this site as
// far as the browser says: the Origin (or, lacking it, the Referer) must
// name the scheme, host and port r was addressed to (the scheme as a
// trusted proxy reports it), or the configured canonical origin
// (--base-url). Requests
// with neither header, such as from curl, rely on the CSRF token alone.
func (s *Site) sameOrigin(r *httpraw.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	o, ok := parseOrigin(src)
	if !ok {
		return false // includes "Origin: null" from sandboxed or privacy-sensitive contexts
	}
	return o == s.requestOrigin(r) || (s.baseOrigin != origin{} && o == s.baseOrigin)
}

// postForm parses a url-encoded POST and checks that it comes from this
// site: Origin/Referer and the CSRF token. When it returns ok false it has
// already answered (403, 413 or 415) and nothing may change.
func (s *Site) postForm(w httpraw.ResponseWriter, r *httpraw.Request) (form url.Values, v viewer, ok bool) {
	v = s.viewer(r)
	if !s.sameOrigin(r) {
		s.errorPage(w, r, 403, "This form was sent from another site, so it was refused.")
		return nil, v, false
	}
	form, err := r.ParseForm()
	if err != nil {
		s.fail(w, r, err)
		return nil, v, false
	}
	if !s.validCSRF(r, v, form.Get(csrfField)) {
		s.errorPage(w, r, 403, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		return nil, v, false
	}
	return form, v, true
}

// deriveKey returns the key for one use of the server's secret, so that a
// token of one kind can never stand for another.
func deriveKey(secret []byte, use string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("vlogd " + use))
	return mac.Sum(nil)
}

// randomBytes returns n bytes from the system's random source.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("web: random bytes: %w", err)
	}
	return b, nil
}

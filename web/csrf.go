package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"

	"vlogd/httpraw"
)

// csrfCookie holds a random secret for visitors without a session, so the
// sign-in and sign-up forms are protected too. Signed-in visitors use their
// session token as the secret instead.
const csrfCookie = "vlogd_csrf"

// csrfField is the hidden form field every state-changing form carries.
const csrfField = "csrf"

// csrfTokenFor derives the form token from a secret. The secret never
// appears in a page; the token cannot be computed without it.
func csrfTokenFor(secret string) string {
	sum := sha256.Sum256([]byte("vlogd csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// csrfToken returns the token for r's forms, giving an anonymous visitor a
// secret cookie first if they have none.
func (s *Site) csrfToken(w httpraw.ResponseWriter, r *httpraw.Request, v viewer) string {
	if v.token != "" {
		return csrfTokenFor(v.token)
	}
	if secret, ok := r.Cookie(csrfCookie); ok && len(secret) >= 32 {
		return csrfTokenFor(secret)
	}
	secret, err := newToken()
	if err != nil {
		s.logger.Error("csrf secret", "err", err)
		return ""
	}
	httpraw.SetCookie(w, httpraw.Cookie{
		Name: csrfCookie, Value: secret, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: httpraw.SameSiteLax,
	})
	return csrfTokenFor(secret)
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
func validCSRF(r *httpraw.Request, v viewer, submitted string) bool {
	secret := v.token
	if secret == "" {
		secret, _ = r.Cookie(csrfCookie)
	}
	if secret == "" || submitted == "" {
		return false
	}
	want := csrfTokenFor(secret)
	return subtle.ConstantTimeCompare([]byte(submitted), []byte(want)) == 1
}

// sameOrigin reports whether r, a POST, was sent by a page of this site as
// far as the browser says: an Origin (or, lacking it, a Referer) naming
// another host is refused. Requests with neither, such as from curl, rely
// on the CSRF token alone.
func sameOrigin(r *httpraw.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false // includes "Origin: null" from sandboxed or privacy-sensitive contexts
	}
	return strings.EqualFold(u.Host, r.Host)
}

// postForm parses a url-encoded POST and checks that it comes from this
// site: Origin/Referer and the CSRF token. When it returns ok false it has
// already answered (403, 413 or 415) and nothing may change.
func (s *Site) postForm(w httpraw.ResponseWriter, r *httpraw.Request) (form url.Values, v viewer, ok bool) {
	v = s.viewer(r)
	if !sameOrigin(r) {
		s.errorPage(w, r, 403, "This form was sent from another site, so it was refused.")
		return nil, v, false
	}
	form, err := r.ParseForm()
	if err != nil {
		s.fail(w, r, err)
		return nil, v, false
	}
	if !validCSRF(r, v, form.Get(csrfField)) {
		s.errorPage(w, r, 403, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		return nil, v, false
	}
	return form, v, true
}

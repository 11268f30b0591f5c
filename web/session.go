package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

const (
	sessionCookie = "vlogd_session"
	// sessionTTL is how long a sign-in lasts.
	sessionTTL = 30 * 24 * time.Hour
)

// newToken returns 256 random bits, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is what the store keeps of a session token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// viewer is who is asking: the signed-in user and the session's token, or
// both zero for an anonymous visitor.
type viewer struct {
	user  *memstore.User
	token string
}

// viewer looks up the session cookie of r.
func (s *Site) viewer(r *httpraw.Request) viewer {
	token, ok := r.Cookie(sessionCookie)
	if !ok || token == "" {
		return viewer{}
	}
	_, u, err := s.store.Session(tokenHash(token))
	if err != nil {
		return viewer{}
	}
	return viewer{user: u, token: token}
}

// signIn starts a new session for u, always with a fresh token, ending the
// one the browser had, and sets the cookie.
func (s *Site) signIn(w httpraw.ResponseWriter, r *httpraw.Request, u *memstore.User) error {
	if old := s.viewer(r); old.token != "" {
		if err := s.store.DeleteSession(tokenHash(old.token)); err != nil && !errors.Is(err, memstore.ErrNotFound) {
			return err
		}
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	if _, err := s.store.CreateSession(tokenHash(token), u.ID, sessionTTL); err != nil {
		return err
	}
	httpraw.SetCookie(w, httpraw.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: httpraw.SameSiteLax,
	})
	return nil
}

// clearSessionCookie tells the browser to forget its session.
func (s *Site) clearSessionCookie(w httpraw.ResponseWriter, r *httpraw.Request) {
	httpraw.SetCookie(w, httpraw.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: httpraw.SameSiteLax,
	})
}

// requireUser returns the signed-in user, or sends an anonymous visitor to
// the sign-in page with next so they come back to it, and returns nil.
func (s *Site) requireUser(w httpraw.ResponseWriter, r *httpraw.Request, next string) *memstore.User {
	if u := s.viewer(r).user; u != nil {
		return u
	}
	seeOther(w, "/login?next="+url.QueryEscape(next))
	return nil
}

// safeNext returns next if it is a path on this site, else "/". It stops
// the sign-in page from redirecting anywhere else (open redirect).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return next
}

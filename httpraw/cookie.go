package httpraw

import (
	"strconv"
	"strings"
	"time"
)

// SameSite is a cookie's SameSite attribute (RFC 6265bis §4.1.2.7).
type SameSite int

// SameSite values. SameSiteDefault sends no attribute (browsers then treat
// the cookie as Lax).
const (
	SameSiteDefault SameSite = iota
	SameSiteLax
	SameSiteStrict
	SameSiteNone
)

// Cookie is a cookie to set with SetCookie (RFC 6265 §4.1).
type Cookie struct {
	Name   string
	Value  string
	Path   string
	Domain string
	// Expires, if not zero, is sent as an HTTP-date.
	Expires time.Time
	// MaxAge > 0 sends Max-Age=MaxAge; MaxAge < 0 sends Max-Age=0, which
	// deletes the cookie; 0 sends nothing.
	MaxAge   int
	Secure   bool
	HttpOnly bool
	SameSite SameSite
}

// SetCookie adds a Set-Cookie field for c to w's header. A cookie whose name
// is not a token, or whose value, path or domain holds bytes RFC 6265 §4.1.1
// forbids, is not sent (skipped silently: there is no valid way to send it).
func SetCookie(w ResponseWriter, c Cookie) {
	if v, ok := c.String(); ok {
		w.Header().Add("Set-Cookie", v)
	}
}

// String returns the Set-Cookie field value for c, and false if c cannot be
// sent.
func (c Cookie) String() (string, bool) {
	if !isToken(c.Name) || !validCookieValue(c.Value) || !validCookieAttr(c.Path) || !validCookieAttr(c.Domain) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(c.Name)
	b.WriteByte('=')
	b.WriteString(c.Value)
	if c.Path != "" {
		b.WriteString("; Path=")
		b.WriteString(c.Path)
	}
	if c.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(c.Domain)
	}
	if !c.Expires.IsZero() {
		b.WriteString("; Expires=")
		b.WriteString(c.Expires.UTC().Format(TimeFormat))
	}
	switch {
	case c.MaxAge > 0:
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(c.MaxAge))
	case c.MaxAge < 0:
		b.WriteString("; Max-Age=0")
	}
	if c.HttpOnly {
		b.WriteString("; HttpOnly")
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	switch c.SameSite {
	case SameSiteLax:
		b.WriteString("; SameSite=Lax")
	case SameSiteStrict:
		b.WriteString("; SameSite=Strict")
	case SameSiteNone:
		b.WriteString("; SameSite=None")
	}
	return b.String(), true
}

// validCookieValue: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ).
func validCookieValue(v string) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if !isCookieOctet(v[i]) {
			return false
		}
	}
	return true
}

// isCookieOctet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (RFC 6265 §4.1.1):
// no controls, whitespace, DQUOTE, comma, semicolon or backslash.
func isCookieOctet(c byte) bool {
	return c == 0x21 || (0x23 <= c && c <= 0x2b) || (0x2d <= c && c <= 0x3a) ||
		(0x3c <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e)
}

// validCookieAttr: av-octet is any CHAR except CTLs or ";".
func validCookieAttr(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f || c == ';' || c >= 0x80 {
			return false
		}
	}
	return true
}

// Cookie returns the value of the first cookie named name in the request's
// Cookie fields (RFC 6265 §5.4), with surrounding double quotes removed.
func (r *Request) Cookie(name string) (string, bool) {
	for _, f := range r.Header.fields {
		if !equalFold(f.Name, "Cookie") {
			continue
		}
		for rest := f.Value; rest != ""; {
			var pair string
			pair, rest = cutByte(rest, ';')
			k, v := cutByte(trimOWS(pair), '=')
			if k != name {
				continue
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vlogd/httpraw"
	"vlogd/memstore"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the templates under templates/ that render a whole page
// inside layout.html.
var pageNames = []string{"vlog_list", "vlog_form", "vlog_show", "user_form", "session_form", "error", "confirm", "invite_list"}

var funcs = template.FuncMap{
	"date":     func(t time.Time) string { return t.Format("2 Jan 2006") },
	"datetime": func(t time.Time) string { return t.Format("2 Jan 2006 15:04 MST") },
	"isotime":  func(t time.Time) string { return t.Format(time.RFC3339) },
	"excerpt":  excerpt,
	"plural":   plural,
	"linkify":  linkify,
	"mark":     highlight,
	"static":   staticURL,
	// Video (player.go).
	"refreshSeconds": func() int { return refreshSeconds },
	"duration":       durationText,
	"poster":         posterURL,
	"isoduration":    isoDuration,
}

// plural writes a count with its noun: "1 like", "3 likes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// parsePages parses each page together with the layout, so that a broken
// template stops the server at start rather than on the first request.
func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/form_parts.html", "templates/player.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	// The embeddable player is a page of its own, without the layout.
	t, err := template.New("embed.html").Funcs(funcs).ParseFS(templateFS, "templates/embed.html", "templates/player.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse template embed: %w", err)
	}
	pages["embed"] = t
	return pages, nil
}

// view is what every page template receives: the page's own Data, and
// beside it whatever the layout needs.
type view struct {
	Data any
	// User is the signed-in visitor, nil when anonymous.
	User *memstore.User
	// csrf makes the token for the page's forms; see CSRF.
	csrf csrfSource
	// Path is the page's own path, for "sign in and come back here".
	Path string
	// MaxUpload is the video size limit, for people.
	MaxUpload string
	// Query is the search, kept in the header's search box.
	Query string
	// Flash is the one-shot message for a signed-in visitor after a
	// redirect, or nil. Pages for anonymous visitors never have one.
	Flash *flash
	// Upload says which video files the forms take, and why no more.
	Upload uploadFormats
}

// render executes page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page, then writes it with status.
func (s *Site) render(w httpraw.ResponseWriter, r *httpraw.Request, status int, page string, data any) {
	v := s.viewer(r)
	pv := &view{Data: data, User: v.user, csrf: csrfSource{s: s, w: w, r: r, v: v}, Path: r.Path, MaxUpload: memstore.SizeText(s.maxUpload), Flash: s.takeFlash(r, v),
		Upload: s.uploadFormats()}
	if r.Path == "/search" {
		pv.Query = r.Query().Get("q")
	}
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, pv); err != nil {
		s.logger.Error("render failed", "page", page, "path", r.Path, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(500)
		w.Write([]byte("500 internal server error\n"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// seeOther answers a POST with 303 to location (Post/Redirect/Get).
func seeOther(w httpraw.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(303)
}

// excerpt shortens a body to its first 200 characters on one line. It looks
// only at the body's head: a list page must not cost a pass over twenty
// 100 KB bodies.
func excerpt(body string) string {
	const max = 200
	if len(body) > 8*max {
		cut := 8 * max
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + " …"
	}
	s := strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := 0
	for i := range s {
		if cut == max {
			return strings.TrimSpace(s[:i]) + "…"
		}
		cut++
	}
	return s
}

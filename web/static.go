package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
	"time"

	"vlogd/httpraw"
)

//go:embed static
var staticFS embed.FS

// loadStatic reads every embedded asset into a map keyed by its name under
// static/, twice: under its own name (revalidated on each use) and under a
// name carrying a hash of its content, "site.1f2e3d4c5b6a.css", which
// never changes meaning and so may be cached for a year. Requests are
// looked up in that map and nowhere else, so no path a client sends can
// reach outside it. Each asset is kept in the render cache's stored form,
// gzip included.
func loadStatic() (map[string]*storedPage, error) {
	files := make(map[string]*storedPage)
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		name = name[len("static/"):]
		p := newStoredPage(pageKey{}, 0, []httpraw.Field{{Name: "Content-Type", Value: ct}}, b)
		files[name] = p
		forever := *p
		forever.immutable = true
		files[hashedName(name, b)] = &forever
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static files: %w", err)
	}
	return files, nil
}

// hashedName puts a hash of content before the extension of name.
func hashedName(name string, content []byte) string {
	sum := sha256.Sum256(content)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
}

// staticURLs maps each embedded asset's name to its content-hashed address.
var staticURLs = sync.OnceValue(func() map[string]string {
	urls := make(map[string]string)
	fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		name = name[len("static/"):]
		urls[name] = "/static/" + hashedName(name, b)
		return nil
	})
	return urls
})

// staticURL is the template function "static": the content-hashed address
// of an embedded asset, so a new stylesheet reaches browsers at once while
// an unchanged one is never fetched again.
func staticURL(name string) (string, error) {
	u, ok := staticURLs()[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return u, nil
}

// favicon answers /favicon.ico, which browsers ask for on every site
// whatever the page links: the site's icon, an SVG, instead of a 404
// that a browser logs as an error.
func (s *Site) favicon(w httpraw.ResponseWriter, r *httpraw.Request) {
	p, ok := s.static["favicon.svg"]
	if !ok {
		s.notFound(w, r)
		return
	}
	writeStored(w, r, p)
}

// staticFile serves an embedded asset from its stored form: an ETag for
// cheap revalidation (304), gzip when accepted, and under its hashed name
// Cache-Control for a year. A range request gets the identity bytes by
// ServeContent.
func (s *Site) staticFile(w httpraw.ResponseWriter, r *httpraw.Request) {
	p, ok := s.static[r.Param("path")]
	if !ok {
		s.notFound(w, r)
		return
	}
	if r.Header.Get("Range") == "" {
		writeStored(w, r, p)
		return
	}
	h := w.Header()
	for _, f := range p.fields {
		h.Set(f.Name, f.Value)
	}
	h.Set("ETag", p.identity.etag)
	if p.immutable {
		h.Set("Cache-Control", cacheForever)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	httpraw.ServeContent(w, r, time.Time{}, int64(len(p.identity.body)), bytes.NewReader(p.identity.body))
}

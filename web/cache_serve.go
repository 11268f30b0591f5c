package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"vlogd/httpraw"
)

// Cache-Control values. HTML and the API may change with any write, so
// browsers keep them but ask first (and get a 304 while the ETag holds);
// content-addressed URLs never change.
const (
	cacheRevalidate = "no-cache"
	cacheForever    = "public, max-age=31536000, immutable"
)

// gzipMinSize is the smallest body worth a stored gzip form.
const gzipMinSize = 512

// cached serves the pages that are the same for every anonymous reader from
// the render cache: a hit writes stored bytes; a miss renders through
// direct (the routes without compression), stores the result when it may
// be shared, and sends it. Everything else goes to full.
//
// Freshness is the store's Generation, read before rendering: a page is
// stored with the generation it was rendered at and served only while the
// store still reports it, so a read that begins after a write was
// acknowledged never sees a page from before that write.
func (s *Site) cached(direct, full httpraw.Handler) httpraw.Handler {
	if s.cache == nil {
		return full
	}
	return httpraw.HandlerFunc(func(w httpraw.ResponseWriter, r *httpraw.Request) {
		if p := s.staticPage(r); p != nil {
			// The stylesheet is on every page view: send its stored
			// bytes here rather than through compression and routing.
			writeStored(w, r, p)
			return
		}
		if !cacheableRequest(r) {
			full.ServeHTTP(w, r)
			return
		}
		key := pageKey{host: r.Host, target: r.Target, tls: r.TLS}
		gen := s.store.Generation()
		if p := s.cache.get(key, gen); p != nil {
			writeStored(w, r, p)
			return
		}
		if r.Method != "GET" {
			full.ServeHTTP(w, r)
			return
		}
		rec := &pageRecorder{}
		direct.ServeHTTP(rec, r)
		if p := rec.page(key, gen); p != nil {
			s.cache.put(p)
			writeStored(w, r, p)
			return
		}
		// Not shareable (an error page, a visitor's own parts): send it
		// as it was made, compressed per request as before.
		httpraw.Gzip(httpraw.HandlerFunc(rec.replay)).ServeHTTP(w, r)
	})
}

// staticPage returns the embedded asset r asks for when writeStored can
// answer it as is: a GET or HEAD without a Range of a known name. Anything
// else about /static/ is left to the route (ranges, 404s).
func (s *Site) staticPage(r *httpraw.Request) *storedPage {
	name, ok := strings.CutPrefix(r.Path, "/static/")
	if !ok || (r.Method != "GET" && r.Method != "HEAD") || r.Header.Get("Range") != "" {
		return nil
	}
	return s.static[name]
}

// cacheableRequest reports whether r asks for a page every anonymous
// reader gets alike: a GET or HEAD of a cacheable route from a visitor
// who carries no state of their own.
func cacheableRequest(r *httpraw.Request) bool {
	if r.Method != "GET" && r.Method != "HEAD" {
		return false
	}
	return cacheablePath(r.Path, r.RawQuery) && !carriesVisitorState(r)
}

// cacheablePath lists the routes whose answer depends only on the store
// (and the host): the listings and their pages, a vlog, a user's page, the
// feed and the read-only API. Queries other than the page cursors are
// not cached, so made-up queries cannot crowd real pages out.
func cacheablePath(path, query string) bool {
	switch {
	case path == "/", path == "/api/vlogs":
		return query == "" || cursorQuery(query)
	case path == "/feed.atom":
		return query == ""
	case strings.HasPrefix(path, "/users/"):
		name := path[len("/users/"):]
		return name != "" && !strings.Contains(name, "/") && (query == "" || cursorQuery(query))
	case strings.HasPrefix(path, "/vlogs/"):
		_, ok := parseID(path[len("/vlogs/"):])
		return ok && query == ""
	case strings.HasPrefix(path, "/api/vlogs/"):
		_, ok := parseID(path[len("/api/vlogs/"):])
		return ok && query == ""
	}
	return false
}

// cursorQuery reports whether a query is exactly one page cursor as the
// site's own links write it.
func cursorQuery(q string) bool {
	k, v, ok := strings.Cut(q, "=")
	if !ok || (k != "before" && k != "after") {
		return false
	}
	_, ok = parseID(v)
	return ok
}

// carriesVisitorState reports whether r has a cookie of this site that can
// change what a page shows (a session, and any the site adds later). The
// anonymous CSRF secret does not: pages that use it are never stored.
func carriesVisitorState(r *httpraw.Request) bool {
	for _, f := range r.Header.Fields() {
		if !strings.EqualFold(f.Name, "Cookie") {
			continue
		}
		for rest := f.Value; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, ";")
			name, _, _ := strings.Cut(strings.TrimLeft(pair, " \t"), "=")
			if strings.HasPrefix(name, "vlogd_") && name != csrfCookie {
				return true
			}
		}
	}
	return false
}

// writeStored sends p in the representation r accepts: gzip when the
// request prefers it and a gzip form exists, never for a range request;
// 304 with no content when r's If-None-Match names it.
func writeStored(w httpraw.ResponseWriter, r *httpraw.Request, p *storedPage) {
	rep := &p.identity
	zipped := false
	if p.gzip.body != nil && httpraw.AcceptsGzip(&r.Header) && r.Header.Get("Range") == "" {
		rep, zipped = &p.gzip, true
	}
	h := w.Header()
	if p.immutable {
		h.Set("Cache-Control", cacheForever)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	if p.gzip.body != nil {
		h.Set("Vary", "Accept-Encoding")
	}
	h.Set("ETag", rep.etag)
	if httpraw.NotModified(r, rep.etag) {
		// RFC 9110 §15.4.5: the validators and caching fields, no content.
		w.WriteHeader(304)
		return
	}
	for _, f := range p.fields {
		h.Set(f.Name, f.Value)
	}
	if zipped {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", rep.length)
	w.WriteHeader(200)
	w.Write(rep.body)
}

// newStoredPage builds the stored form of a body: its strong ETags (from
// its SHA-256, so an unchanged page keeps its ETag across re-renders and
// browsers keep getting 304s) and its gzip form when that is smaller.
func newStoredPage(key pageKey, gen uint64, fields []httpraw.Field, body []byte) *storedPage {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	p := &storedPage{key: key, gen: gen, fields: fields}
	p.identity = representation{body: body, etag: `"` + tag + `"`, length: strconv.Itoa(len(body))}
	if len(body) >= gzipMinSize {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body) {
			z := buf.Bytes()
			p.gzip = representation{body: z, etag: `"` + tag + `-gzip"`, length: strconv.Itoa(len(z))}
		}
	}
	return p
}

// pageRecorder captures a response rendered for the cache.
type pageRecorder struct {
	header   httpraw.Header
	status   int
	body     []byte
	personal bool // something of this visitor is in it (markPersonal)
	flushed  bool
}

func (p *pageRecorder) Header() *httpraw.Header { return &p.header }

func (p *pageRecorder) WriteHeader(code int) {
	if p.status == 0 && code >= 200 {
		p.status = code
	}
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = 200
	}
	p.body = append(p.body, b...)
	return len(b), nil
}

// Flush is a streaming handler's: such a response is not stored.
func (p *pageRecorder) Flush() error {
	p.flushed = true
	return nil
}

// markPersonal tells the cache that w's response carries something of one
// visitor (a CSRF token, their name) and must never be shared.
func markPersonal(w httpraw.ResponseWriter) {
	if p, ok := w.(*pageRecorder); ok {
		p.personal = true
	}
}

// storeFields are the fields the stored page makes itself.
var storeFields = []string{"Content-Length", "Cache-Control", "ETag", "Vary", "Content-Encoding", "Last-Modified", "Date"}

// page returns the recorded response as a page to store, or nil when it
// may not be shared: not a 200, marked personal, setting a cookie, or
// streamed.
func (p *pageRecorder) page(key pageKey, gen uint64) *storedPage {
	if p.status != 200 || p.personal || p.flushed || len(p.body) == 0 || p.header.Get("Set-Cookie") != "" {
		return nil
	}
	var fields []httpraw.Field
	for _, f := range p.header.Fields() {
		own := false
		for _, name := range storeFields {
			own = own || strings.EqualFold(f.Name, name)
		}
		if !own {
			fields = append(fields, f)
		}
	}
	return newStoredPage(key, gen, fields, p.body)
}

// replay sends the recorded response as it was made.
func (p *pageRecorder) replay(w httpraw.ResponseWriter, r *httpraw.Request) {
	h := w.Header()
	fields := p.header.Fields()
	for i, f := range fields {
		// The handler's first field of a name replaces what outer
		// handlers set (as it did when it wrote to w itself); repeats,
		// such as several Set-Cookie, are added.
		if firstNamed(fields, f.Name) == i {
			h.Set(f.Name, f.Value)
		} else {
			h.Add(f.Name, f.Value)
		}
	}
	if p.status == 0 {
		return // nothing written: the server answers as usual
	}
	w.WriteHeader(p.status)
	if len(p.body) > 0 {
		w.Write(p.body)
	}
}

// firstNamed returns the index of the first field named name.
func firstNamed(fields []httpraw.Field, name string) int {
	for i, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

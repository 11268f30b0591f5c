package httpraw

import (
	"compress/gzip"
	"strings"
	"sync"
)

// gzipMinSize is the smallest body worth compressing: below it the gzip
// framing (about 20 bytes) eats the gain.
const gzipMinSize = 512

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// Gzip returns a handler that compresses h's responses with gzip
// (RFC 9110 §8.4.1.3) when the request accepts it (RFC 9110 §12.5.3) and the
// response is worth it: a compressible Content-Type (text/*, JSON,
// JavaScript, XML, SVG) set before the first Write, a status with content
// other than 206, no Content-Encoding already, and at least 512 bytes.
// Compressed responses get Vary: Accept-Encoding, lose Content-Length
// (they go out chunked), and have a strong ETag made weak, since the bytes
// differ from the identity representation's.
func Gzip(h Handler) Handler {
	return HandlerFunc(func(w ResponseWriter, r *Request) {
		gw := &gzipWriter{w: w, accept: AcceptsGzip(&r.Header)}
		defer gw.close()
		h.ServeHTTP(gw, r)
	})
}

type gzipWriter struct {
	w       ResponseWriter
	accept  bool
	decided bool
	status  int
	gz      *gzip.Writer // nil: pass through
	buf     []byte       // body held back until the size decision
}

func (g *gzipWriter) Header() *Header { return g.w.Header() }

func (g *gzipWriter) WriteHeader(code int) {
	if g.status != 0 || code < 200 {
		g.w.WriteHeader(code) // the server logs the duplicate; 1xx pass through
		return
	}
	g.status = code
	h := g.w.Header()
	if bodyAllowed(code) && code != 206 && !h.has("Content-Encoding") && compressible(h.Get("Content-Type")) {
		if !hasToken(h.Get("Vary"), "Accept-Encoding") {
			h.Add("Vary", "Accept-Encoding")
		}
		if g.accept {
			return // decide at gzipMinSize bytes or at close
		}
	}
	g.decided = true
	g.w.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if g.status == 0 {
		g.WriteHeader(200)
	}
	if g.decided {
		if g.gz != nil {
			return g.gz.Write(p)
		}
		return g.w.Write(p)
	}
	g.buf = append(g.buf, p...)
	if len(g.buf) >= gzipMinSize {
		if err := g.start(true); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// start sends the header, compressed or not, and the held-back bytes.
func (g *gzipWriter) start(compress bool) error {
	g.decided = true
	if compress {
		h := g.w.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		if etag := h.Get("ETag"); etag != "" && !isWeak(etag) {
			h.Set("ETag", "W/"+etag)
		}
		g.gz = gzipPool.Get().(*gzip.Writer)
		g.gz.Reset(g.w)
	}
	g.w.WriteHeader(g.status)
	buf := g.buf
	g.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if g.gz != nil {
		_, err = g.gz.Write(buf)
	} else {
		_, err = g.w.Write(buf)
	}
	return err
}

func (g *gzipWriter) Flush() error {
	if g.status == 0 {
		g.WriteHeader(200)
	}
	if !g.decided {
		// Streaming: compress what is coming, whatever its size.
		if err := g.start(true); err != nil {
			return err
		}
	}
	if g.gz != nil {
		if err := g.gz.Flush(); err != nil {
			return err
		}
	}
	return g.w.Flush()
}

// Unwrap returns the underlying ResponseWriter while the response passes
// through uncompressed (so ServeContent can still use sendfile), else nil.
func (g *gzipWriter) Unwrap() ResponseWriter {
	if g.decided && g.gz == nil {
		return g.w
	}
	return nil
}

func (g *gzipWriter) close() {
	if g.status == 0 {
		return // the handler wrote nothing: the server answers as usual
	}
	if !g.decided {
		g.start(len(g.buf) >= gzipMinSize)
	}
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(nil)
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}

func compressible(contentType string) bool {
	mt, _ := cutByte(contentType, ';')
	mt = strings.ToLower(trimOWS(mt))
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/javascript", mt == "application/xml",
		mt == "image/svg+xml", mt == "application/atom+xml", mt == "application/rss+xml",
		strings.HasSuffix(mt, "+json"):
		return true
	}
	return false
}

// unwrapResponse finds the server's own response beneath wrappers that
// pass bytes through unchanged.
func unwrapResponse(w ResponseWriter) (*response, bool) {
	for w != nil {
		if rw, ok := w.(*response); ok {
			return rw, true
		}
		u, ok := w.(interface{ Unwrap() ResponseWriter })
		if !ok {
			return nil, false
		}
		w = u.Unwrap()
	}
	return nil, false
}

package web_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"vlogd/httpraw"
	"vlogd/web"
)

// BenchmarkCachedPage measures what the server does per request for a page
// served from the render cache, through the real httpraw connection loop
// and the site's whole handler chain, on an in-memory connection: the
// request is parsed, answered and written to nowhere. Run with -benchmem:
// allocs/op is the allocation count per cached request.
//
//	go test ./web -run '^$' -bench CachedPage -benchmem
func BenchmarkCachedPage(b *testing.B) {
	site := benchSite(b)
	css := stylesheetURL(b, site)
	page := listRequest
	gzipped := withField(listRequest, "Accept-Encoding: gzip, deflate, br, zstd")
	etag := etagOf(b, site, page)
	revalidate := withField(listRequest, "If-None-Match: "+etag)
	cases := []struct {
		name string
		req  []byte
		want string
	}{
		{"home", page, "HTTP/1.1 200 OK\r\n"},
		{"home-gzip", gzipped, "HTTP/1.1 200 OK\r\n"},
		{"home-304", revalidate, "HTTP/1.1 304 Not Modified\r\n"},
		{"stylesheet", withPath(page, css), "HTTP/1.1 200 OK\r\n"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv, ln := serveInMemory(b, site.Handler())
			defer srv.Shutdown(b.Context())
			// Warm up (the first request renders) and check the answer.
			out := ln.run(tc.req, 10, true)
			if !bytes.HasPrefix(out, []byte(tc.want)) {
				b.Fatalf("response starts %q, want %q", out[:min(len(out), 200)], tc.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			ln.run(tc.req, b.N, false)
		})
	}
}

// stylesheetURL finds the stylesheet's hashed address in the home page.
func stylesheetURL(tb testing.TB, site *web.Site) string {
	tb.Helper()
	_, ln := serveInMemory(tb, site.Handler())
	out := ln.run(listRequest, 1, true)
	_, rest, ok := bytes.Cut(out, []byte(`<link rel="stylesheet" href="`))
	url, _, ok2 := bytes.Cut(rest, []byte(`"`))
	if !ok || !ok2 {
		tb.Fatal("no stylesheet link on the home page")
	}
	return string(url)
}

// etagOf returns the ETag the site sends for req.
func etagOf(tb testing.TB, site *web.Site, req []byte) string {
	tb.Helper()
	_, ln := serveInMemory(tb, site.Handler())
	out := ln.run(req, 2, true)
	_, rest, ok := bytes.Cut(out, []byte("\r\nETag: "))
	tag, _, _ := bytes.Cut(rest, []byte("\r\n"))
	if !ok || len(tag) == 0 {
		tb.Fatalf("no ETag in %q", out)
	}
	return string(tag)
}

// withField adds a header field line to a request.
func withField(req []byte, field string) []byte {
	head := bytes.TrimSuffix(req, []byte("\r\n"))
	return append(append(bytes.Clone(head), field...), "\r\n\r\n"...)
}

// withPath replaces the path of a GET request.
func withPath(req []byte, path string) []byte {
	_, rest, _ := bytes.Cut(req, []byte(" "))
	_, rest, _ = bytes.Cut(rest, []byte(" "))
	return append([]byte("GET "+path+" "), rest...)
}

// serveInMemory runs srv's connection loop on connections that live in
// memory: see memListener.
func serveInMemory(tb testing.TB, h httpraw.Handler) (*httpraw.Server, *memListener) {
	tb.Helper()
	ln := &memListener{conns: make(chan *memConn), closed: make(chan struct{})}
	srv := &httpraw.Server{Handler: h}
	go srv.Serve(ln)
	tb.Cleanup(func() { ln.Close() })
	return srv, ln
}

// memListener hands out in-memory connections, one per run.
type memListener struct {
	conns     chan *memConn
	closed    chan struct{}
	closeOnce sync.Once
}

// run sends n copies of req on a new connection, one at a time, and returns
// once the server has answered all of them. With keep, it returns what the
// server wrote; without, the output is discarded and nothing allocates per
// request on this side.
func (l *memListener) run(req []byte, n int, keep bool) []byte {
	c := &memConn{req: req, left: n, keep: keep, done: make(chan struct{}), closed: make(chan struct{})}
	l.conns <- c
	<-c.done
	c.Close()
	return c.out.Bytes()
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr{} }

// memConn gives the server one request per Read, so that, as on a real
// keep-alive connection without pipelining, the server has answered (and
// flushed) request k before it reads request k+1. After the last request
// it reports done and blocks until closed.
type memConn struct {
	req       []byte
	left      int
	keep      bool
	out       bytes.Buffer
	done      chan struct{}
	closed    chan struct{}
	doneOnce  sync.Once
	closeOnce sync.Once
}

func (c *memConn) Read(p []byte) (int, error) {
	if c.left == 0 {
		c.doneOnce.Do(func() { close(c.done) })
		<-c.closed
		return 0, io.EOF
	}
	if len(p) < len(c.req) {
		return 0, errors.New("memConn: read buffer smaller than the request")
	}
	c.left--
	return copy(p, c.req), nil
}

func (c *memConn) Write(p []byte) (int, error) {
	if c.keep {
		c.out.Write(p)
	}
	return len(p), nil
}

func (c *memConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) LocalAddr() net.Addr                { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr               { return memAddr{} }
func (c *memConn) SetDeadline(t time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "127.0.0.1:1" }

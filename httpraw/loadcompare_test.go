package httpraw_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vlogd/httpraw"
	"vlogd/internal/loadcompare"
)

// The load comparison of httpraw and net/http serving the site's stylesheet;
// see BENCHMARKS.md. It runs only under -bench:
//
//	go test -run '^$' -bench LoadCompare -v ./httpraw/

var loadConfig = loadcompare.FlagConfig(flag.CommandLine)

// staticRequest is what Chromium sends for the page's stylesheet.
var staticRequest = loadcompare.BrowserGET("/static/site.css", "text/css,*/*;q=0.1", "style", "")

// The fields web sets on every response and on static files.
const (
	benchCSP          = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
	benchCSSType      = "text/css; charset=utf-8"
	benchCacheControl = "no-cache"
)

// stylesheet returns the site's stylesheet, read from web's source tree as
// a plain file (httpraw imports nothing of ours), and its ETag, made as web
// makes it.
func stylesheet(tb testing.TB) (css []byte, etag string) {
	tb.Helper()
	css, err := os.ReadFile(filepath.Join("..", "web", "static", "site.css"))
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(css)
	return css, `"` + hex.EncodeToString(sum[:12]) + `"`
}

// staticHandler serves the stylesheet as web's static handler does.
func staticHandler(css []byte, etag string) httpraw.Handler {
	return httpraw.HandlerFunc(func(w httpraw.ResponseWriter, r *httpraw.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", benchCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Type", benchCSSType)
		h.Set("ETag", etag)
		h.Set("Cache-Control", benchCacheControl)
		httpraw.ServeContent(w, r, time.Time{}, int64(len(css)), bytes.NewReader(css))
	})
}

// netHTTPStaticHandler is staticHandler for net/http.
func netHTTPStaticHandler(css []byte, etag string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", benchCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Type", benchCSSType)
		h.Set("ETag", etag)
		h.Set("Cache-Control", benchCacheControl)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(css))
	})
}

// newNetHTTPServer returns a net/http server with the limits httpraw has by
// default, so that both do the same per-request work (deadlines included).
func newNetHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpraw.DefaultReadHeaderTimeout,
		ReadTimeout:       httpraw.DefaultReadTimeout,
		WriteTimeout:      httpraw.DefaultWriteTimeout,
		IdleTimeout:       httpraw.DefaultIdleTimeout,
		MaxHeaderBytes:    httpraw.DefaultMaxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}

// TestHelperServer is the server process of the load comparison (see
// package loadcompare); in an ordinary test run it skips.
func TestHelperServer(t *testing.T) {
	name := loadcompare.ServerName()
	if name == "" {
		t.Skip("the server process of BenchmarkLoadCompare, started by it")
	}
	css, etag := stylesheet(t)
	var serve func(net.Listener) error
	switch name {
	case "httpraw":
		serve = (&httpraw.Server{Handler: staticHandler(css, etag)}).Serve
	case "net-http":
		serve = newNetHTTPServer(netHTTPStaticHandler(css, etag)).Serve
	case "fasthttp":
		t.Fatal(loadcompare.ExecReference(t, []loadcompare.Field{
			{Name: "Content-Security-Policy", Value: benchCSP},
			{Name: "X-Content-Type-Options", Value: "nosniff"},
			{Name: "Referrer-Policy", Value: "same-origin"},
			{Name: "X-Frame-Options", Value: "DENY"},
			{Name: "Content-Type", Value: benchCSSType},
			{Name: "ETag", Value: etag},
			{Name: "Cache-Control", Value: benchCacheControl},
			{Name: "Accept-Ranges", Value: "bytes"},
		}, css))
	default:
		t.Fatalf("unknown server %q", name)
	}
	if err := loadcompare.Serve(serve); err != nil {
		t.Fatal(err)
	}
}

// TestLoadCompareHarness checks, quickly, that the harness works: both
// server processes start, send the same representation, and take load.
func TestLoadCompareHarness(t *testing.T) {
	if loadcompare.ServerName() != "" {
		t.Skip("in a server process")
	}
	var resps []*loadcompare.Response
	servers := loadcompare.StartAll(t, []string{"httpraw", "net-http"}, false, func(string) string { return "" })
	for _, s := range servers {
		name := s.Name
		resp, err := loadcompare.Probe(s.Addr, staticRequest)
		if err != nil {
			t.Fatalf("Probe(%s) = %v", name, err)
		}
		if resp.Status != 200 || resp.Get("ETag") == "" || resp.Get("Date") == "" {
			t.Fatalf("Probe(%s): status %d, fields %q", name, resp.Status, resp.Fields)
		}
		rd, err := s.Load(staticRequest, len(resp.Body), 4, 20*time.Millisecond, 150*time.Millisecond)
		if err != nil {
			t.Fatalf("Load(%s) = %v", name, err)
		}
		if rd.Requests == 0 || rd.P99 < rd.P50 || rd.ServerCPU < 0 {
			t.Errorf("Load(%s) = %+v", name, rd)
		}
		resps = append(resps, resp)
	}
	if err := loadcompare.SameRepresentation(resps[0], resps[1]); err != nil {
		t.Errorf("httpraw and net/http differ: %v", err)
	}
	if resps[0].Size != resps[1].Size {
		t.Errorf("responses are %d and %d bytes on the wire, want the same", resps[0].Size, resps[1].Size)
	}
}

// BenchmarkLoadCompare compares httpraw with net/http serving the
// stylesheet to 64 keep-alive connections, each server in its own process,
// and fasthttp too when its reference server builds (see package
// loadcompare and BENCHMARKS.md).
func BenchmarkLoadCompare(b *testing.B) {
	targets := []loadcompare.Target{
		{Server: "httpraw", Request: staticRequest},
		{Server: "net-http", Request: staticRequest},
	}
	if _, err := loadcompare.BuildReference(b); err != nil {
		b.Logf("fasthttp left out: %v", err)
	} else {
		targets = append(targets, loadcompare.Target{Server: "fasthttp", Request: staticRequest})
	}
	b.Run("static", func(b *testing.B) {
		loadcompare.Compare(b, loadConfig, "net-http", targets...)
	})
}

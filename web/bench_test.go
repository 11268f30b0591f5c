package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"vlogd/httpraw"
	"vlogd/internal/loadcompare"
	"vlogd/memstore"
	"vlogd/web"
)

// The load comparison of the site's cached home page with net/http and
// fasthttp serving the same bytes; see httpraw/BENCHMARKS.md. It runs only
// under -bench:
//
//	go test ./web/ -run '^$' -bench LoadCompare -benchtime 1x -v
//
// The servers take turns round by round: "vlogd" is the real site serving
// the home page from its render cache; "httpraw", "net-http" and
// "fasthttp" send the same bytes (the page rendered once at start, with the
// fields the site set), so that what differs is the server. For the
// issue's ratios the same rounds also measure the real site serving its
// stylesheet ("vlogd-css"), answering a revalidation with 304
// ("vlogd-304"), and rendering the page for every request with the cache
// off ("vlogd-render").

var loadConfig = loadcompare.FlagConfig(flag.CommandLine)

// benchCSRFCookie is a fixed anonymous CSRF secret: with it the site sets
// no cookie, and every rendering of the page is the same bytes.
const benchCSRFCookie = "vlogd_csrf=bG9hZGNtcC1maXhlZC1jc3JmLXNlY3JldC1mb3ItYmVuY2g"

// listRequest is what Chromium sends to open the front page.
var listRequest = loadcompare.BrowserGET("/",
	"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
	"document", benchCSRFCookie)

// benchSite builds the site over a real store in a temporary directory
// holding 20 vlogs, written with a fixed clock so that every server process
// renders the same bytes.
func benchSite(tb testing.TB, opts ...web.Options) *web.Site {
	tb.Helper()
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	store, err := memstore.Open(tb.TempDir(), memstore.Options{NoSync: true, Now: func() time.Time {
		clock = clock.Add(97 * time.Minute)
		return clock
	}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	u, err := store.CreateUser("alice_films", "$argon2id$not-a-real-hash")
	if err != nil {
		tb.Fatal(err)
	}
	const para = "Morning light over the harbour, the ferry horn, gulls arguing over chips. " +
		"I walked the long way round to the market & filmed the stalls opening up: " +
		"crates of <fresh> figs, a man sharpening knives, two kids racing pigeons. "
	for i := 1; i <= 20; i++ {
		title := fmt.Sprintf("Day %d: walking the harbour “before the rain”", i)
		body := strings.Repeat(para, 1+i%3) + "\n\nThanks for watching!"
		if _, err := store.CreateVlog(u.ID, memstore.VlogInput{Title: title, Body: body}); err != nil {
			tb.Fatal(err)
		}
	}
	var o web.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	site, err := web.New(store, o)
	if err != nil {
		tb.Fatal(err)
	}
	return site
}

// renderedList fetches GET / from the live site once and returns the
// response, which the fixed-bytes servers then send for every request.
func renderedList(tb testing.TB, site *web.Site) *loadcompare.Response {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &httpraw.Server{Handler: site.Handler()}
	go srv.Serve(l)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	resp, err := loadcompare.Probe(l.Addr().String(), listRequest)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.Status != 200 || resp.Get("Set-Cookie") != "" {
		tb.Fatalf("GET / = %d with fields %q, want 200 without Set-Cookie", resp.Status, resp.Fields)
	}
	return resp
}

// fixedFields are the fields of resp a fixed-bytes server sends itself:
// all but Date, which each server makes.
func fixedFields(resp *loadcompare.Response) []loadcompare.Field {
	var fs []loadcompare.Field
	for _, f := range resp.Fields {
		if !strings.EqualFold(f.Name, "Date") {
			fs = append(fs, f)
		}
	}
	return fs
}

// TestHelperServer is the server process of the load comparison (see
// package loadcompare); in an ordinary test run it skips.
func TestHelperServer(t *testing.T) {
	name := loadcompare.ServerName()
	if name == "" {
		t.Skip("the server process of BenchmarkLoadCompare, started by it")
	}
	site := benchSite(t)
	var serve func(net.Listener) error
	switch name {
	case "vlogd", "vlogd-css", "vlogd-304":
		serve = (&httpraw.Server{Handler: site.Handler()}).Serve
	case "vlogd-render":
		site := benchSite(t, web.Options{PageCacheBytes: -1})
		serve = (&httpraw.Server{Handler: site.Handler()}).Serve
	case "fasthttp":
		resp := renderedList(t, site)
		var fields []loadcompare.Field
		for _, f := range fixedFields(resp) {
			if !strings.EqualFold(f.Name, "Content-Length") {
				fields = append(fields, f)
			}
		}
		t.Fatal(loadcompare.ExecReference(t, fields, resp.Body))
	case "httpraw":
		resp := renderedList(t, site)
		fields := fixedFields(resp)
		serve = (&httpraw.Server{Handler: httpraw.HandlerFunc(func(w httpraw.ResponseWriter, r *httpraw.Request) {
			h := w.Header()
			for _, f := range fields {
				h.Add(f.Name, f.Value)
			}
			w.Write(resp.Body)
		})}).Serve
	case "net-http":
		resp := renderedList(t, site)
		fields := fixedFields(resp)
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				for _, f := range fields {
					h[f.Name] = append(h[f.Name], f.Value) // the site's spelling, not canonicalised
				}
				w.Write(resp.Body)
			}),
			// httpraw's default limits, so both do the same per-request
			// work (deadlines included).
			ReadHeaderTimeout: httpraw.DefaultReadHeaderTimeout,
			ReadTimeout:       httpraw.DefaultReadTimeout,
			WriteTimeout:      httpraw.DefaultWriteTimeout,
			IdleTimeout:       httpraw.DefaultIdleTimeout,
			MaxHeaderBytes:    httpraw.DefaultMaxHeaderBytes,
			ErrorLog:          log.New(io.Discard, "", 0),
		}
		serve = srv.Serve
	default:
		t.Fatalf("unknown server %q", name)
	}
	if err := loadcompare.Serve(serve); err != nil {
		t.Fatal(err)
	}
}

// TestLoadCompareHarness checks, quickly, that the three server processes
// start and answer GET / with the same representation.
func TestLoadCompareHarness(t *testing.T) {
	if loadcompare.ServerName() != "" {
		t.Skip("in a server process")
	}
	var first *loadcompare.Response
	servers := loadcompare.StartAll(t, []string{"httpraw", "net-http", "vlogd", "vlogd-render"}, false, func(string) string { return "" })
	for _, s := range servers {
		name := s.Name
		resp, err := loadcompare.Probe(s.Addr, listRequest)
		if err != nil {
			t.Fatalf("Probe(%s) = %v", name, err)
		}
		if resp.Status != 200 || !strings.Contains(string(resp.Body), "Day 20: walking the harbour") {
			t.Fatalf("Probe(%s): status %d, body %q", name, resp.Status, resp.Body)
		}
		if first == nil {
			first = resp
			rd, err := s.Load(listRequest, len(resp.Body), 4, 20*time.Millisecond, 100*time.Millisecond)
			if err != nil || rd.Requests == 0 {
				t.Fatalf("Load(%s) = %+v, %v", name, rd, err)
			}
			continue
		}
		if name == "vlogd-render" {
			// Rendered per request: the same page, without the cache's
			// validators.
			if !bytes.Equal(resp.Body, first.Body) || resp.Get("ETag") != "" || first.Get("ETag") == "" {
				t.Errorf("vlogd-render: body equal %v, ETag %q (cached: %q)", bytes.Equal(resp.Body, first.Body), resp.Get("ETag"), first.Get("ETag"))
			}
			continue
		}
		if err := loadcompare.SameRepresentation(first, resp); err != nil {
			t.Errorf("%s differs from httpraw: %v", name, err)
		}
		if resp.Size != first.Size {
			t.Errorf("%s sent %d bytes, httpraw %d, want the same", name, resp.Size, first.Size)
		}
	}
}

// BenchmarkLoadCompare compares httpraw with net/http serving the rendered
// list page to 64 keep-alive connections, each server in its own process,
// and reports the live site for context.
func BenchmarkLoadCompare(b *testing.B) {
	site := benchSite(b)
	css := stylesheetURL(b, site)
	etag := etagOf(b, site, listRequest)
	targets := []loadcompare.Target{
		{Server: "vlogd", Request: listRequest},
		{Server: "httpraw", Request: listRequest},
		{Server: "net-http", Request: listRequest},
	}
	if _, err := loadcompare.BuildReference(b); err != nil {
		b.Logf("fasthttp left out: %v", err)
	} else {
		targets = append(targets, loadcompare.Target{Server: "fasthttp", Request: listRequest})
	}
	targets = append(targets,
		loadcompare.Target{Server: "vlogd-css", Request: withPath(listRequest, css), Other: true},
		loadcompare.Target{Server: "vlogd-304", Request: withField(listRequest, "If-None-Match: "+etag), Other: true},
		loadcompare.Target{Server: "vlogd-render", Request: listRequest, Other: true})
	b.Run("list", func(b *testing.B) {
		loadcompare.Compare(b, loadConfig, "net-http", targets...)
	})
}

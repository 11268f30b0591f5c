package web_test

import (
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
	"vlogd/httpraw/loadcmp"
	"vlogd/memstore"
	"vlogd/web"
)

// The load comparison of httpraw and net/http serving the rendered list
// page; see httpraw/BENCHMARKS.md. It runs only under -bench:
//
//	go test ./web/ -run '^$' -bench LoadCompare -benchtime 1x -v
//
// Three servers take turns: "httpraw" and "net-http" send the same bytes
// (the list page rendered once at start, with the fields the site set), so
// that what differs is the server; "httpraw-live" is the real site, which
// renders the page for every request, for context.

var loadConfig = loadcmp.FlagConfig(flag.CommandLine)

// benchCSRFCookie is a fixed anonymous CSRF secret: with it the site sets
// no cookie, and every rendering of the page is the same bytes.
const benchCSRFCookie = "vlogd_csrf=bG9hZGNtcC1maXhlZC1jc3JmLXNlY3JldC1mb3ItYmVuY2g"

// listRequest is what Chromium sends to open the front page.
var listRequest = loadcmp.BrowserGET("/",
	"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
	"document", benchCSRFCookie)

// benchSite builds the site over a real store in a temporary directory
// holding 20 vlogs, written with a fixed clock so that every server process
// renders the same bytes.
func benchSite(tb testing.TB) *web.Site {
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
	site, err := web.New(store, web.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return site
}

// renderedList fetches GET / from the live site once and returns the
// response, which the fixed-bytes servers then send for every request.
func renderedList(tb testing.TB, site *web.Site) *loadcmp.Response {
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
	resp, err := loadcmp.Probe(l.Addr().String(), listRequest)
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
func fixedFields(resp *loadcmp.Response) []loadcmp.Field {
	var fs []loadcmp.Field
	for _, f := range resp.Fields {
		if !strings.EqualFold(f.Name, "Date") {
			fs = append(fs, f)
		}
	}
	return fs
}

// TestHelperServer is the server process of the load comparison (see
// package loadcmp); in an ordinary test run it skips.
func TestHelperServer(t *testing.T) {
	name := loadcmp.ServerName()
	if name == "" {
		t.Skip("the server process of BenchmarkLoadCompare, started by it")
	}
	site := benchSite(t)
	var serve func(net.Listener) error
	switch name {
	case "httpraw-live":
		serve = (&httpraw.Server{Handler: site.Handler()}).Serve
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
	if err := loadcmp.Serve(serve); err != nil {
		t.Fatal(err)
	}
}

// TestLoadCompareHarness checks, quickly, that the three server processes
// start and answer GET / with the same representation.
func TestLoadCompareHarness(t *testing.T) {
	if loadcmp.ServerName() != "" {
		t.Skip("in a server process")
	}
	var first *loadcmp.Response
	servers := loadcmp.StartAll(t, []string{"httpraw", "net-http", "httpraw-live"}, false, func(string) string { return "" })
	for _, s := range servers {
		name := s.Name
		resp, err := loadcmp.Probe(s.Addr, listRequest)
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
		if err := loadcmp.SameRepresentation(first, resp); err != nil {
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
	b.Run("list", func(b *testing.B) {
		loadcmp.Compare(b, loadConfig, "net-http",
			loadcmp.Target{Server: "httpraw", Request: listRequest},
			loadcmp.Target{Server: "net-http", Request: listRequest},
			loadcmp.Target{Server: "httpraw-live", Request: listRequest})
	})
}

package httpraw

import (
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestGzip(t *testing.T) {
	big := strings.Repeat("<p>hello vlog</p>\n", 100)
	m := NewMux()
	page := func(ct, body string) HandlerFunc {
		return func(w ResponseWriter, r *Request) {
			w.Header().Set("Content-Type", ct)
			w.Header().Set("ETag", `"e1"`)
			io.WriteString(w, body)
		}
	}
	m.Handle("GET /big", page("text/html; charset=utf-8", big))
	m.Handle("GET /small", page("text/html; charset=utf-8", "<p>hi</p>"))
	m.Handle("GET /png", page("image/png", big))
	m.HandleFunc("GET /stream", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "a")
		w.Flush()
		io.WriteString(w, "b")
	})
	_, addr := MustServe(t, Gzip(m), nil)

	for _, tc := range []struct {
		path, accept string
		gzipped      bool
		vary         bool
		body         string
	}{
		{"/big", "gzip, deflate, br", true, true, big},
		{"/big", "br;q=1.0, gzip;q=0.5", true, true, big},
		{"/big", "*", true, true, big},
		{"/big", "", false, true, big},
		{"/big", "gzip;q=0", false, true, big},
		{"/big", "deflate", false, true, big},
		{"/small", "gzip", false, true, "<p>hi</p>"},
		{"/png", "gzip", false, false, big},
		{"/stream", "gzip", true, true, "ab"},
	} {
		raw := "GET " + tc.path + " HTTP/1.1\r\nHost: x\r\n"
		if tc.accept != "" {
			raw += "Accept-Encoding: " + tc.accept + "\r\n"
		}
		resps := exchange(t, addr, raw+"\r\n")
		if len(resps) != 1 {
			t.Fatalf("%s: %d responses", tc.path, len(resps))
		}
		r := resps[0]
		body := r.body
		gzipped := r.Header.Get("Content-Encoding") == "gzip"
		if gzipped {
			zr, err := gzip.NewReader(strings.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			body = string(b)
			if r.Header.Get("ETag") != `W/"e1"` && tc.path != "/stream" {
				t.Errorf("%s: gzipped ETag = %q, want weak", tc.path, r.Header.Get("ETag"))
			}
		} else if tc.path != "/stream" && r.ContentLength != int64(len(tc.body)) {
			t.Errorf("%s: identity Content-Length = %d", tc.path, r.ContentLength)
		}
		if gzipped != tc.gzipped || body != tc.body {
			t.Errorf("%s accept %q: gzipped=%v body ok=%v, want gzipped=%v", tc.path, tc.accept, gzipped, body == tc.body, tc.gzipped)
		}
		if vary := r.Header.Get("Vary") == "Accept-Encoding"; vary != tc.vary {
			t.Errorf("%s: Vary = %q", tc.path, r.Header.Get("Vary"))
		}
	}
}

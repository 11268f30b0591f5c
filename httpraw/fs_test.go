package httpraw

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestServeContent(t *testing.T) {
	content := "0123456789abcdefghij" // 20 bytes
	modtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "v.mp4")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewMux()
	// /file goes through the sendfile path, /mem through io.Copy.
	m.HandleFunc("GET /file", func(w ResponseWriter, r *Request) {
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("ETag", `"v1"`)
		ServeContent(w, r, modtime, int64(len(content)), f)
	})
	m.HandleFunc("GET /mem", func(w ResponseWriter, r *Request) {
		ServeContent(w, r, modtime, int64(len(content)), strings.NewReader(content))
	})
	_, addr := MustServe(t, m, nil)

	lm := modtime.Format(TimeFormat)
	for _, tc := range []struct {
		name, method, path, fields string
		status                     int
		body, contentRange         string
	}{
		{"full", "GET", "/file", "", 200, content, ""},
		{"full mem", "GET", "/mem", "", 200, content, ""},
		{"head", "HEAD", "/file", "", 200, "", ""},
		{"if-none-match", "GET", "/file", `If-None-Match: "v0", "v1"` + "\r\n", 304, "", ""},
		{"if-none-match weak", "GET", "/file", `If-None-Match: W/"v1"` + "\r\n", 304, "", ""},
		{"if-none-match star", "GET", "/file", "If-None-Match: *\r\n", 304, "", ""},
		{"if-none-match other", "GET", "/file", `If-None-Match: "v2"` + "\r\n", 200, content, ""},
		{"if-modified-since equal", "GET", "/mem", "If-Modified-Since: " + lm + "\r\n", 304, "", ""},
		{"if-modified-since later", "GET", "/mem", "If-Modified-Since: " + modtime.Add(time.Hour).Format(TimeFormat) + "\r\n", 304, "", ""},
		{"if-modified-since earlier", "GET", "/mem", "If-Modified-Since: " + modtime.Add(-time.Second).Format(TimeFormat) + "\r\n", 200, content, ""},
		{"inm wins over ims", "GET", "/file", `If-None-Match: "v2"` + "\r\nIf-Modified-Since: " + lm + "\r\n", 200, content, ""},
		{"if-match fails", "GET", "/file", `If-Match: "v0"` + "\r\n", 412, "", ""},
		{"range", "GET", "/file", "Range: bytes=0-4\r\n", 206, "01234", "bytes 0-4/20"},
		{"range mem", "GET", "/mem", "Range: bytes=5-9\r\n", 206, "56789", "bytes 5-9/20"},
		{"range open", "GET", "/file", "Range: bytes=15-\r\n", 206, "fghij", "bytes 15-19/20"},
		{"range end clamped", "GET", "/file", "Range: bytes=18-100\r\n", 206, "ij", "bytes 18-19/20"},
		{"suffix range", "GET", "/file", "Range: bytes=-3\r\n", 206, "hij", "bytes 17-19/20"},
		{"suffix larger than file", "GET", "/mem", "Range: bytes=-50\r\n", 206, content, "bytes 0-19/20"},
		{"unsatisfiable", "GET", "/file", "Range: bytes=20-\r\n", 416, "", "bytes */20"},
		{"unsatisfiable suffix 0", "GET", "/file", "Range: bytes=-0\r\n", 416, "", "bytes */20"},
		{"multiple ranges ignored", "GET", "/file", "Range: bytes=0-1,5-6\r\n", 200, content, ""},
		{"bad range ignored", "GET", "/file", "Range: bytes=5-1\r\n", 200, content, ""},
		{"other unit ignored", "GET", "/file", "Range: items=0-1\r\n", 200, content, ""},
		{"if-range match", "GET", "/file", "Range: bytes=0-1\r\nIf-Range: \"v1\"\r\n", 206, "01", "bytes 0-1/20"},
		{"if-range mismatch", "GET", "/file", "Range: bytes=0-1\r\nIf-Range: \"v0\"\r\n", 200, content, ""},
		{"if-range date", "GET", "/mem", "Range: bytes=0-1\r\nIf-Range: " + lm + "\r\n", 206, "01", "bytes 0-1/20"},
		{"range on head ignored", "HEAD", "/file", "Range: bytes=0-1\r\n", 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.method + " " + tc.path + " HTTP/1.1\r\nHost: x\r\n" + tc.fields + "\r\n"
			resps := exchange(t, addr, raw+probe, tc.method)
			if len(resps) != 2 {
				t.Fatalf("got %d responses, want 2 (keep-alive)", len(resps))
			}
			r := resps[0]
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tc.status)
			}
			if tc.status == 416 {
				if got := r.Header.Get("Content-Range"); got != tc.contentRange {
					t.Errorf("Content-Range = %q, want %q", got, tc.contentRange)
				}
				return
			}
			if tc.status == 412 {
				return
			}
			if r.body != tc.body {
				t.Errorf("body = %q, want %q", r.body, tc.body)
			}
			if got := r.Header.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, tc.contentRange)
			}
			if tc.status == 304 {
				if r.Header.Get("Content-Type") != "" || r.Header["Content-Length"] != nil {
					t.Errorf("304 with content metadata: %v", r.Header)
				}
				return
			}
			wantLen := int64(len(tc.body))
			if tc.method == "HEAD" {
				wantLen = int64(len(content))
			}
			if r.ContentLength != wantLen {
				t.Errorf("Content-Length = %d, want %d", r.ContentLength, wantLen)
			}
			if r.Header.Get("Accept-Ranges") != "bytes" || r.Header.Get("Last-Modified") != lm {
				t.Errorf("missing Accept-Ranges/Last-Modified: %v", r.Header)
			}
			wantType := "application/octet-stream"
			if tc.path == "/file" {
				wantType = "video/mp4"
			}
			if got := r.Header.Get("Content-Type"); got != wantType {
				t.Errorf("Content-Type = %q, want %q", got, wantType)
			}
		})
	}
}

// A file larger than the socket buffers goes through sendfile in steps and
// arrives intact.
func TestServeContentLargeFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	path := filepath.Join(t.TempDir(), "big")
	os.WriteFile(path, data, 0o644)
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		f, _ := os.Open(path)
		defer f.Close()
		ServeContent(w, r, time.Now(), int64(len(data)), f)
	}), nil)
	resps := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nRange: bytes=1000000-\r\n\r\n")
	if len(resps) != 2 || resps[0].body != string(data) || resps[1].body != string(data[1000000:]) {
		t.Fatalf("large file corrupted: %d responses", len(resps))
	}
}

func TestServeFS(t *testing.T) {
	fsys := fstest.MapFS{
		"site.css": {Data: []byte("body{}"), ModTime: time.Unix(1700000000, 0)},
		"dir/a.js": {Data: []byte("x")},
	}
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
	}{
		{"site.css", 200, "text/css; charset=utf-8"},
		{"dir/a.js", 200, "text/javascript; charset=utf-8"},
		{"dir", 404, ""},
		{"../etc/passwd", 404, ""},
		{"missing.css", 404, ""},
	} {
		w := newRecorder("GET")
		ServeFS(w, testRequest("GET", "/"), fsys, tc.name)
		if w.status != tc.status {
			t.Errorf("ServeFS(%q) = %d, want %d", tc.name, w.status, tc.status)
		}
		if tc.ctype != "" && w.header.Get("Content-Type") != tc.ctype {
			t.Errorf("ServeFS(%q) Content-Type = %q, want %q", tc.name, w.header.Get("Content-Type"), tc.ctype)
		}
	}
	w := newRecorder("GET")
	ServeFS(w, testRequest("GET", "/"), fsys, "site.css")
	etag := w.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag for a file with a modification time")
	}
	w = newRecorder("GET")
	ServeFS(w, testRequestRaw("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: "+etag+"\r\n\r\n"), fsys, "site.css")
	if w.status != 304 {
		t.Errorf("conditional ServeFS = %d, want 304", w.status)
	}
	_ = io.Discard
}

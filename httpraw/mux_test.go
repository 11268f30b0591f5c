package httpraw

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestMux(t *testing.T) {
	m := NewMux()
	reply := func(name string) HandlerFunc {
		return func(w ResponseWriter, r *Request) {
			fmt.Fprintf(w, "%s id=%s path=%s", name, r.Param("id"), r.Param("path"))
		}
	}
	m.Handle("GET /", reply("list"))
	m.Handle("GET /vlogs/new", reply("new"))
	m.Handle("GET /vlogs/{id}", reply("show"))
	m.Handle("POST /vlogs", reply("create"))
	m.Handle("POST /vlogs/{id}/delete", reply("delete"))
	m.Handle("GET /vlogs/{id}/edit", reply("edit"))
	m.Handle("PUT /vlogs/{id}/edit", reply("update"))
	m.Handle("GET /static/{path...}", reply("static"))
	m.Handle("DELETE /vlogs/{id}", reply("destroy"))

	for _, tc := range []struct {
		method, path string
		status       int
		body         string
		allow        string
	}{
		{"GET", "/", 200, "list id= path=", ""},
		{"GET", "/vlogs/new", 200, "new id=", ""}, // literal beats {id}
		{"GET", "/vlogs/42", 200, "show id=42", ""},
		{"HEAD", "/vlogs/42", 200, "", ""}, // GET answers HEAD
		{"POST", "/vlogs", 200, "create", ""},
		{"POST", "/vlogs/7/delete", 200, "delete id=7", ""},
		{"PUT", "/vlogs/7/edit", 200, "update id=7", ""},
		{"DELETE", "/vlogs/new", 200, "destroy id=new", ""}, // literal has no DELETE: {id} does
		{"GET", "/static/css/site.css", 200, "static id= path=css/site.css", ""},
		{"GET", "/static/", 200, "static id= path=", ""},
		{"GET", "/static", 200, "static id= path=", ""},
		{"GET", "/vlogs/a%2Fb", 404, "", ""}, // decoded to /vlogs/a/b: no route
		{"GET", "/vlogs/", 404, "", ""},      // {id} needs a non-empty segment
		{"GET", "/nope", 404, "", ""},
		{"GET", "/vlogs/1/delete", 405, "", "POST"},
		{"POST", "/vlogs/1", 405, "", "GET, HEAD, DELETE"},
		{"GET", "/vlogs", 405, "", "POST"},
		{"POST", "/vlogs/1/edit", 405, "", "GET, HEAD, PUT"},
		{"POST", "/", 405, "", "GET, HEAD"},
	} {
		w := newRecorder(tc.method)
		m.ServeHTTP(w, testRequest(tc.method, tc.path))
		if w.status != tc.status || !strings.Contains(w.body.String(), tc.body) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, w.status, w.body.String(), tc.status, tc.body)
		}
		if got := w.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestMuxCustomErrors(t *testing.T) {
	m := NewMux()
	m.HandleFunc("GET /x", func(w ResponseWriter, r *Request) {})
	m.NotFound = HandlerFunc(func(w ResponseWriter, r *Request) { w.WriteHeader(404); io.WriteString(w, "custom 404") })
	m.MethodNotAllowed = HandlerFunc(func(w ResponseWriter, r *Request) {
		w.WriteHeader(405)
		io.WriteString(w, "allow="+w.Header().Get("Allow"))
	})
	w := newRecorder("GET")
	m.ServeHTTP(w, testRequest("GET", "/y"))
	if w.body.String() != "custom 404" {
		t.Errorf("NotFound: %q", w.body.String())
	}
	w = newRecorder("POST")
	m.ServeHTTP(w, testRequest("POST", "/x"))
	if w.body.String() != "allow=GET, HEAD" {
		t.Errorf("MethodNotAllowed: %q", w.body.String())
	}
}

func TestMuxPatternPanics(t *testing.T) {
	for _, p := range []string{
		"/no-method", "GET", "GET no-slash", "FETCH /x", "GET /{}", "GET /{a b}", "GET /{rest...}/more",
		"GET /{id}/{id}", "GET /x{id}", "GET /dup",
	} {
		m := NewMux()
		m.HandleFunc("GET /dup", func(ResponseWriter, *Request) {})
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) did not panic", p)
				}
			}()
			m.HandleFunc(p, func(ResponseWriter, *Request) {})
		}()
	}
	m := NewMux()
	m.HandleFunc("GET /a/{id}", func(ResponseWriter, *Request) {})
	defer func() {
		if recover() == nil {
			t.Errorf("conflicting wildcard names did not panic")
		}
	}()
	m.HandleFunc("POST /a/{name}", func(ResponseWriter, *Request) {})
}

// Over the wire, HEAD of a GET route gets the GET's Content-Length and no body.
func TestMuxHeadOverWire(t *testing.T) {
	m := NewMux()
	m.HandleFunc("GET /v/{id}", func(w ResponseWriter, r *Request) { io.WriteString(w, "vlog "+r.Param("id")) })
	_, addr := MustServe(t, m, nil)
	resps := exchange(t, addr, "HEAD /v/12 HTTP/1.1\r\nHost: x\r\n\r\nPOST /v/12 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HEAD", "POST")
	if len(resps) != 2 || resps[0].StatusCode != 200 || resps[0].ContentLength != 7 || resps[0].body != "" {
		t.Fatalf("HEAD: %v", resps)
	}
	if resps[1].StatusCode != 405 || resps[1].Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d Allow=%q", resps[1].StatusCode, resps[1].Header.Get("Allow"))
	}
}

package httpraw

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestResponseFraming(t *testing.T) {
	big := strings.Repeat("b", 20000)
	var writeErr error
	m := NewMux()
	m.HandleFunc("GET /small", func(w ResponseWriter, r *Request) { io.WriteString(w, "hello") })
	m.HandleFunc("GET /big", func(w ResponseWriter, r *Request) { io.WriteString(w, big) })
	m.HandleFunc("GET /declared", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "20000")
		io.WriteString(w, big)
	})
	m.HandleFunc("GET /short", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "abc")
	})
	m.HandleFunc("GET /over", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "3")
		_, writeErr = io.WriteString(w, "abcdef")
	})
	m.HandleFunc("GET /flush", func(w ResponseWriter, r *Request) {
		io.WriteString(w, "a")
		w.Flush()
		io.WriteString(w, "b")
	})
	m.HandleFunc("GET /empty", func(w ResponseWriter, r *Request) {})
	m.HandleFunc("GET /nocontent", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(204)
		_, writeErr = io.WriteString(w, "x")
	})
	m.HandleFunc("GET /twice", func(w ResponseWriter, r *Request) {
		w.WriteHeader(201)
		w.WriteHeader(500)
		io.WriteString(w, "x")
	})
	m.HandleFunc("GET /split", func(w ResponseWriter, r *Request) {
		w.Header().Set("X-Evil", "a\r\nSet-Cookie: pwned=1")
		w.Header().Set("X-Good", "fine")
		w.Header().Set("Transfer-Encoding", "gzip")
		io.WriteString(w, "ok")
	})
	_, addr := MustServe(t, m, nil)

	for _, tc := range []struct {
		path, proto string
		method      string
		status      int
		cl          int64 // -1: not sent
		chunked     bool
		close       bool
		body        string
	}{
		{"/small", "HTTP/1.1", "GET", 200, 5, false, false, "hello"},
		{"/small", "HTTP/1.1", "HEAD", 200, 5, false, false, ""},
		{"/big", "HTTP/1.1", "GET", 200, -1, true, false, big},
		{"/big", "HTTP/1.1", "HEAD", 200, 20000, false, false, ""}, // counted, not sent
		{"/big", "HTTP/1.0", "GET", 200, -1, false, true, big},     // close-delimited
		{"/declared", "HTTP/1.1", "GET", 200, 20000, false, false, big},
		{"/flush", "HTTP/1.1", "GET", 200, -1, true, false, "ab"},
		{"/empty", "HTTP/1.1", "GET", 200, 0, false, false, ""},
		{"/nocontent", "HTTP/1.1", "GET", 204, 0, false, false, ""}, // net/http reports 0; the field is checked below
		{"/twice", "HTTP/1.1", "GET", 201, 1, false, false, "x"},
		{"/split", "HTTP/1.1", "GET", 200, 2, false, false, "ok"},
	} {
		t.Run(tc.method+tc.path+tc.proto, func(t *testing.T) {
			host := "Host: x\r\n"
			raw := tc.method + " " + tc.path + " " + tc.proto + "\r\n" + host + "\r\n"
			resps := exchange(t, addr, raw, tc.method)
			if len(resps) != 1 {
				t.Fatalf("got %d responses", len(resps))
			}
			r := resps[0]
			if r.StatusCode != tc.status || r.ContentLength != tc.cl || r.body != tc.body {
				t.Errorf("got %d cl=%d body=%q, want %d cl=%d body=%q", r.StatusCode, r.ContentLength, truncateString(r.body, 20), tc.status, tc.cl, truncateString(tc.body, 20))
			}
			if chunked := len(r.TransferEncoding) > 0; chunked != tc.chunked {
				t.Errorf("chunked = %v, want %v", chunked, tc.chunked)
			}
			if tc.close && !r.Close {
				t.Errorf("close-delimited response without Connection: close")
			}
			if r.Header.Get("Date") == "" {
				t.Errorf("no Date")
			}
			if tc.status == 204 && r.Header["Content-Length"] != nil {
				t.Errorf("204 with Content-Length %v", r.Header["Content-Length"])
			}
			if tc.path == "/split" {
				if r.Header.Get("Set-Cookie") != "" || r.Header.Get("X-Evil") != "" || r.Header.Get("X-Good") != "fine" {
					t.Errorf("response splitting: %v", r.Header)
				}
			}
		})
	}
	if !errors.Is(writeErr, ErrBodyNotAllowed) {
		t.Errorf("Write on 204 = %v, want ErrBodyNotAllowed", writeErr)
	}

	// A body shorter than the declared length: the client must see the
	// connection close rather than wait for bytes that never come.
	c, br := dial(t, addr)
	io.WriteString(c, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n"+probe)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if string(b) != "abc" || err != io.ErrUnexpectedEOF || !resp.Close {
		t.Errorf("short body: %q, %v, close=%v; want \"abc\", unexpected EOF, close", b, err, resp.Close)
	}
	exchange(t, addr, "GET /over HTTP/1.1\r\nHost: x\r\n\r\n")
	if !errors.Is(writeErr, ErrContentLength) {
		t.Errorf("Write past Content-Length = %v, want ErrContentLength", writeErr)
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{200: "OK", 404: "Not Found", 413: "Content Too Large", 431: "Request Header Fields Too Large", 799: ""} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestRedirect(t *testing.T) {
	w := newRecorder("POST")
	Redirect(w, "/vlogs/3", 303)
	if w.status != 303 || w.header.Get("Location") != "/vlogs/3" {
		t.Errorf("Redirect = %d %q", w.status, w.header.Get("Location"))
	}
	w = newRecorder("POST")
	Redirect(w, "/x\r\nSet-Cookie: a=b", 303)
	if w.status != 500 || w.header.Get("Location") != "" {
		t.Errorf("Redirect with CRLF = %d %q, want 500", w.status, w.header.Get("Location"))
	}
}

// A body too large for the write buffer goes out together with what is
// buffered before it (its header, and pipelined responses before it), in
// order and intact, with or without a declared length.
func TestLargeBodyAfterBufferedBytes(t *testing.T) {
	big := strings.Repeat("0123456789", 3000) // 30000 bytes: larger than the write buffer
	m := NewMux()
	m.HandleFunc("GET /small", func(w ResponseWriter, r *Request) { io.WriteString(w, "hello") })
	m.HandleFunc("GET /declared", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "30000")
		io.WriteString(w, big)
	})
	m.HandleFunc("GET /header-then-body", func(w ResponseWriter, r *Request) {
		w.Header().Set("Content-Length", "30005")
		io.WriteString(w, "hello") // buffered beside the header
		w.Flush()
		io.WriteString(w, big)
	})
	_, addr := MustServe(t, m, nil)
	raw := "GET /small HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /declared HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /small HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /header-then-body HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /declared HTTP/1.0\r\n\r\n"
	resps := exchange(t, addr, raw)
	want := []string{"hello", big, "hello", "hello" + big, big}
	if len(resps) != len(want) {
		t.Fatalf("got %d responses, want %d", len(resps), len(want))
	}
	for i, r := range resps {
		if r.StatusCode != 200 || r.body != want[i] || r.ContentLength != int64(len(want[i])) {
			t.Errorf("response %d: %d cl=%d body=%q, want 200 cl=%d body=%q", i, r.StatusCode, r.ContentLength,
				truncateString(r.body, 20), len(want[i]), truncateString(want[i], 20))
		}
	}
}

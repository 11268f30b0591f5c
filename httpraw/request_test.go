package httpraw

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestReadRequest(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want Request
		hdr  []Field
	}{
		{
			raw:  "GET /vlogs/3?page=2&q=a%20b HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n",
			want: Request{Method: "GET", Target: "/vlogs/3?page=2&q=a%20b", Path: "/vlogs/3", RawQuery: "page=2&q=a%20b", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "example.com:8080"},
			hdr:  []Field{{"Host", "example.com:8080"}, {"User-Agent", "curl/8.0"}, {"Accept", "*/*"}},
		},
		{
			raw:  "POST /vlogs HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\nX-Empty:\r\nX-Spaces: \t a  b \t\r\n\r\ntitle=hello",
			want: Request{Method: "POST", Target: "/vlogs", Path: "/vlogs", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "x", ContentLength: 11},
			hdr:  []Field{{"host", "x"}, {"content-length", "11"}, {"X-Empty", ""}, {"X-Spaces", "a  b"}},
		},
		{
			raw:  "GET http://Vlog.Example/a%2Fb?x HTTP/1.0\r\n\r\n",
			want: Request{Method: "GET", Target: "http://Vlog.Example/a%2Fb?x", Path: "/a/b", RawQuery: "x", Proto: "HTTP/1.0", ProtoMajor: 1, ProtoMinor: 0, Host: "Vlog.Example"},
		},
		{
			raw:  "PUT /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: Request{Method: "PUT", Target: "/up", Path: "/up", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "x", ContentLength: -1},
			hdr:  []Field{{"Host", "x"}, {"Transfer-Encoding", "chunked"}},
		},
		{
			raw:  "CONNECT vlog.example:443 HTTP/1.1\r\nHost: vlog.example:443\r\n\r\n",
			want: Request{Method: "CONNECT", Target: "vlog.example:443", Path: "", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "vlog.example:443"},
		},
	} {
		r, err := newTestConn(tc.raw).readRequest()
		if err != nil {
			t.Errorf("ReadRequest(%q) err = %v, want nil", tc.raw, err)
			continue
		}
		got := Request{Method: r.Method, Target: r.Target, Path: r.Path, RawQuery: r.RawQuery, Proto: r.Proto,
			ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor, Host: r.Host, ContentLength: r.ContentLength}
		if got.Method != tc.want.Method || got.Target != tc.want.Target || got.Path != tc.want.Path || got.RawQuery != tc.want.RawQuery ||
			got.Proto != tc.want.Proto || got.ProtoMajor != tc.want.ProtoMajor || got.ProtoMinor != tc.want.ProtoMinor ||
			got.Host != tc.want.Host || got.ContentLength != tc.want.ContentLength {
			t.Errorf("ReadRequest(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
		if tc.hdr != nil && !slices.Equal(r.Header.Fields(), tc.hdr) {
			t.Errorf("ReadRequest(%q) fields = %q, want %q", tc.raw, r.Header.Fields(), tc.hdr)
		}
	}
}

// The bad-request table at the parser: each row fails with its status,
// either while reading the head or while reading the body.
func TestReadRequestBad(t *testing.T) {
	for _, tc := range badRequests {
		c := newTestConn(tc.raw)
		r, err := c.readRequest()
		code := 0
		var se *statusError
		switch {
		case errors.As(err, &se):
			code = se.code
		case err != nil:
			t.Errorf("%s: ReadRequest err = %v, want a status", tc.name, err)
			continue
		default:
			_, err = io.ReadAll(r.Body)
			switch {
			case errors.Is(err, ErrBodyTooLarge):
				code = 413
			case errors.Is(err, ErrMalformedBody):
				code = 400
			default:
				t.Errorf("%s: ReadRequest accepted the request and its body (err %v)", tc.name, err)
				continue
			}
		}
		if code != tc.want[0] {
			t.Errorf("%s: ReadRequest(%q) status = %d, want %d", tc.name, truncateString(tc.raw, 80), code, tc.want[0])
		}
	}
}

func TestHeader(t *testing.T) {
	var h Header
	h.Add("Set-Cookie", "a=1")
	h.Add("set-cookie", "b=2")
	h.Set("Content-Type", "text/html")
	if got := h.Values("SET-COOKIE"); !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("Values = %q", got)
	}
	if h.Get("content-type") != "text/html" || h.Get("X-None") != "" {
		t.Errorf("Get: %q", h.Fields())
	}
	h.Set("set-Cookie", "c=3")
	if got := h.Fields(); !slices.Equal(got, []Field{{"Set-Cookie", "c=3"}, {"Content-Type", "text/html"}}) {
		t.Errorf("after Set: %q", got)
	}
	h.Del("CONTENT-TYPE")
	if h.Len() != 1 || h.Get("Content-Type") != "" {
		t.Errorf("after Del: %q", h.Fields())
	}
	// ASCII folding only: the Kelvin sign is not "k".
	h.Add("\u212aey", "v")
	if h.Get("key") != "" {
		t.Errorf("Unicode folding matched a non-ASCII name")
	}
}

func TestValidFieldBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c == '\t' || (c >= 0x20 && c != 0x7f)
		for pos := range 17 {
			b := []byte(strings.Repeat("a", 17))
			b[pos] = byte(c)
			if got := validFieldBytes(b); got != want {
				t.Fatalf("validFieldBytes with %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}

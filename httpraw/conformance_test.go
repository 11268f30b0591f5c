package httpraw

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// echoHandler answers every request with what it saw, reading the whole
// body. On a body error it writes nothing, so the server's own answer
// (413 / 400) is what the client gets. /ignore does not read the body.
var echoHandler = HandlerFunc(func(w ResponseWriter, r *Request) {
	if r.Path == "/probe" {
		io.WriteString(w, "probe")
		return
	}
	var body []byte
	if r.Path != "/ignore" {
		var err error
		body, err = io.ReadAll(r.Body)
		if err != nil {
			return
		}
	}
	fmt.Fprintf(w, "%s %s %s q=%s host=%s cl=%d body=%s", r.Method, r.Path, r.Proto, r.RawQuery, r.Host, r.ContentLength, body)
})

// probe follows every row's request on the same connection. It is answered
// only if the server kept the connection open after the row's request;
// after a rejected request it must never be answered (request smuggling).
const probe = "GET /probe HTTP/1.1\r\nHost: x\r\n\r\n"

type wireCase struct {
	name string
	raw  string
	want []int  // statuses of the row's responses, before the probe
	open bool   // the connection stays open: the probe is answered
	body string // if set, the first response's body must contain it
}

// badRequests is the named table of rule violations. Every row closes the
// connection, so the probe after it must go unanswered.
var badRequests = []wireCase{
	// RFC 9112 §3 request line
	{name: "lowercase version", raw: "GET / http/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "version HTTP/1.10", raw: "GET / HTTP/1.10\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "version with trailing junk", raw: "GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "HTTP/2.0 version", raw: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", want: []int{505}},
	{name: "HTTP/0.9 version", raw: "GET / HTTP/0.9\r\nHost: x\r\n\r\n", want: []int{505}},
	{name: "HTTP/3.1 version", raw: "GET / HTTP/3.1\r\nHost: x\r\n\r\n", want: []int{505}},
	{name: "missing version", raw: "GET /\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "double space", raw: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "tab separator", raw: "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "unknown method", raw: "FOO / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{501}},
	{name: "lowercase method is unknown", raw: "get / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{501}},
	{name: "method not a token", raw: "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "control byte in target", raw: "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "DEL in target", raw: "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "bad percent escape", raw: "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "escaped NUL", raw: "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "relative target", raw: "GET foo HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "asterisk with GET", raw: "GET * HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "absolute-form other scheme", raw: "GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "absolute-form userinfo", raw: "GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "target too long", raw: "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{414}},
	{name: "target one byte over the limit", raw: "GET /" + strings.Repeat("a", 8<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{414}},
	{name: "bare LF ends request line", raw: "GET / HTTP/1.1\nHost: x\r\n\r\n", want: []int{400}},
	{name: "bare CR in request line", raw: "GET /\rx HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "too many leading empty lines", raw: strings.Repeat("\r\n", 6) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{400}},

	// RFC 9112 §3.2 Host
	{name: "missing Host in HTTP/1.1", raw: "GET / HTTP/1.1\r\n\r\n", want: []int{400}},
	{name: "two Host fields", raw: "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", want: []int{400}},
	{name: "two Host fields same value", raw: "GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", want: []int{400}},
	{name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", want: []int{400}},
	{name: "Host with slash", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", want: []int{400}},
	{name: "two Host fields in HTTP/1.0", raw: "GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", want: []int{400}},

	// RFC 9112 §5 field lines
	{name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", want: []int{400}},
	{name: "obs-fold with tab", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", want: []int{400}},
	{name: "whitespace before first field", raw: "GET / HTTP/1.1\r\n Host: x\r\n\r\n", want: []int{400}},
	{name: "space before colon", raw: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", want: []int{400}},
	{name: "tab before colon", raw: "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", want: []int{400}},
	{name: "no colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", want: []int{400}},
	{name: "empty field name", raw: "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", want: []int{400}},
	{name: "non-token field name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX(A): v\r\n\r\n", want: []int{400}},
	{name: "non-ASCII field name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-\xc3\xa4: v\r\n\r\n", want: []int{400}},
	{name: "NUL in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", want: []int{400}},
	{name: "control byte in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", want: []int{400}},
	{name: "DEL in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", want: []int{400}},
	{name: "bare CR in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", want: []int{400}},
	{name: "bare LF ends field line", raw: "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", want: []int{400}},
	{name: "bare LF ends header section", raw: "GET / HTTP/1.1\r\nHost: x\r\n\n", want: []int{400}},
	{name: "one huge field", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 17<<10) + "\r\n\r\n", want: []int{431}},
	{name: "many fields", raw: "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: 0123456789abcdef\r\n", 1000) + "\r\n", want: []int{431}},

	// RFC 9112 §6 framing: every row here is a request smuggling vector.
	{name: "CL and TE", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "TE and CL", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "CL with plus sign", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", want: []int{400}},
	{name: "CL negative", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", want: []int{400}},
	{name: "CL hex", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", want: []int{400}},
	{name: "CL exponent", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e1\r\n\r\nhelloworld", want: []int{400}},
	{name: "CL inner space", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 0\r\n\r\nhelloworld", want: []int{400}},
	{name: "CL empty", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", want: []int{400}},
	{name: "CL list", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", want: []int{400}},
	{name: "CL twice same", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", want: []int{400}},
	{name: "CL twice different", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", want: []int{400}},
	{name: "CL overflow", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", want: []int{400}},
	{name: "TE gzip then chunked", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", want: []int{501}},
	{name: "TE gzip and chunked on two lines", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []int{501}},
	{name: "TE chunked not last", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "TE gzip only", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", want: []int{400}},
	{name: "TE identity", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", want: []int{400}},
	{name: "TE chunked twice", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "TE chunked twice on two lines", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "TE xchunked", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "TE empty", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n", want: []int{400}},
	{name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: []int{400}},
	{name: "unsupported expectation", raw: "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\na", want: []int{417}},

	// RFC 9112 §7.1 chunked bodies, rejected while the handler reads.
	{name: "chunk size not hex", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk size negative", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk size with 0x", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk size overflow", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk data longer than size", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk data without CRLF", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc0\r\n\r\n", want: []int{400}},
	{name: "chunk data followed by two bytes not CRLF", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", want: []int{400}},
	{name: "chunk line bare LF", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk data bare LF", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", want: []int{400}},
	{name: "chunk extension without name", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;=x\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk extension bad quoted", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"x\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "chunk extension too long", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=" + strings.Repeat("b", 5000) + "\r\nabc\r\n0\r\n\r\n", want: []int{400}},
	{name: "trailer space before colon", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T : v\r\n\r\n", want: []int{400}},
	{name: "trailer section too large", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("X-T: 0123456789abcdef\r\n", 500) + "\r\n", want: []int{400}},
	{name: "trailer obs-fold", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n", want: []int{400}},

	// Body limit (MaxBodyBytes 1 MiB by default): 413 before reading, and
	// the unread body means close.
	{name: "CL over body limit", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", want: []int{413}},
	{name: "chunked over body limit", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("10000\r\n"+strings.Repeat("a", 0x10000)+"\r\n", 17) + "0\r\n\r\n", want: []int{413}},
}

// goodRequests are accepted; most keep the connection open.
var goodRequests = []wireCase{
	{name: "simple GET", raw: "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n", want: []int{200}, open: true,
		body: "GET /a HTTP/1.1 q=b=c host=example.com cl=0 body="},
	{name: "leading CRLF ignored", raw: "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{200}, open: true},
	{name: "field value OWS trimmed", raw: "GET / HTTP/1.1\r\nHost: \t x \t\r\n\r\n", want: []int{200}, open: true, body: "host=x "},
	{name: "obs-text in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\n\r\n", want: []int{200}, open: true},
	{name: "empty field value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n", want: []int{200}, open: true},
	{name: "percent-decoded path", raw: "GET /a%20b/%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{200}, open: true, body: "GET /a b/é "},
	{name: "absolute-form", raw: "GET http://vlog.example:8080/v/1?x=1 HTTP/1.1\r\nHost: other\r\n\r\n", want: []int{200}, open: true,
		body: "GET /v/1 HTTP/1.1 q=x=1 host=vlog.example:8080 "},
	{name: "absolute-form no path", raw: "GET http://vlog.example HTTP/1.1\r\nHost: vlog.example\r\n\r\n", want: []int{200}, open: true, body: "GET / HTTP/1.1"},
	{name: "OPTIONS asterisk", raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{200}, open: true, body: "OPTIONS * HTTP/1.1"},
	{name: "HTTP/1.1 minor versions above 1", raw: "GET / HTTP/1.7\r\nHost: x\r\n\r\n", want: []int{200}, open: true},
	{name: "Connection close", raw: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", want: []int{200}},
	{name: "Connection close in a list", raw: "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", want: []int{200}},
	{name: "HTTP/1.0 closes", raw: "GET / HTTP/1.0\r\n\r\n", want: []int{200}},
	{name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", want: []int{200}, open: true},
	{name: "Content-Length body", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", want: []int{200}, open: true, body: "cl=5 body=hello"},
	{name: "Content-Length zero", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", want: []int{200}, open: true, body: "cl=0 body="},
	{name: "Content-Length leading zeros", raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 005\r\n\r\nhello", want: []int{200}, open: true, body: "body=hello"},
	{name: "chunked body", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		want: []int{200}, open: true, body: "cl=-1 body=hello world"},
	{name: "chunked uppercase coding and hex", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
		want: []int{200}, open: true, body: "body=0123456789"},
	{name: "chunked with extensions", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d;e\" ; f\r\nhello\r\n0;last\r\n\r\n",
		want: []int{200}, open: true, body: "body=hello"},
	{name: "chunked with trailers", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n",
		want: []int{200}, open: true, body: "body=hello"},
	{name: "chunked leading zeros", raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n000\r\n\r\n",
		want: []int{200}, open: true, body: "body=hello"},
	{name: "unread body drained", raw: "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + strings.Repeat("x", 1000),
		want: []int{200}, open: true},
	{name: "unread chunked body drained", raw: "POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		want: []int{200}, open: true},
	{name: "unread malformed chunked body closes", raw: "POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
		want: []int{200}},
	{name: "unread chunked body over drain bound closes", raw: "POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("8000\r\n"+strings.Repeat("c", 0x8000)+"\r\n", 9) + "0\r\n\r\n",
		want: []int{200}},
	{name: "unread body over drain bound closes", raw: "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("x", 300000),
		want: []int{200}},
	{name: "pipelined in order", raw: "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: x\r\n\r\n",
		want: []int{200, 200, 200}, open: true},
}

func TestWireRequests(t *testing.T) {
	_, addr := MustServe(t, echoHandler, nil)
	run := func(t *testing.T, tc wireCase) {
		t.Parallel()
		resps := exchange(t, addr, tc.raw+probe)
		want := tc.want
		if tc.open {
			want = append(slices.Clip(want), 200)
		}
		if got := statuses(resps); !slices.Equal(got, want) {
			t.Fatalf("statuses = %v, want %v (open=%v)\nrequest %q", got, want, tc.open, truncateString(tc.raw, 300))
		}
		if tc.open && resps[len(resps)-1].body != "probe" {
			t.Errorf("probe answered with %q", resps[len(resps)-1].body)
		}
		if !tc.open {
			last := resps[len(resps)-1]
			// (net/http's reader turns Connection: close into Close.)
			if !last.Close {
				t.Errorf("closing response lacks Connection: close: %v", last.Header)
			}
		}
		if tc.body != "" && !strings.Contains(resps[0].body, tc.body) {
			t.Errorf("body = %q, want it to contain %q", resps[0].body, tc.body)
		}
		for i, r := range resps {
			if r.Header.Get("Date") == "" {
				t.Errorf("response %d has no Date", i)
			}
		}
	}
	for _, tc := range badRequests {
		t.Run("bad/"+tc.name, func(t *testing.T) { run(t, tc) })
	}
	for _, tc := range goodRequests {
		t.Run("good/"+tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func TestPipelinedResponsesInOrder(t *testing.T) {
	_, addr := MustServe(t, echoHandler, nil)
	var raw strings.Builder
	for i := range 20 {
		fmt.Fprintf(&raw, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	resps := exchange(t, addr, raw.String())
	if len(resps) != 20 {
		t.Fatalf("got %d responses, want 20", len(resps))
	}
	for i, r := range resps {
		if want := fmt.Sprintf("GET /%d ", i); !strings.HasPrefix(r.body, want) {
			t.Errorf("response %d = %q, want prefix %q", i, r.body, want)
		}
	}
}

func TestHTTP10KeepAliveAnswered(t *testing.T) {
	_, addr := MustServe(t, echoHandler, nil)
	resps := exchange(t, addr, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	if len(resps) != 2 {
		t.Fatalf("got %d responses, want 2", len(resps))
	}
	if got := resps[0].Header.Get("Connection"); !strings.EqualFold(got, "keep-alive") {
		t.Errorf("first Connection = %q, want keep-alive", got)
	}
	if !resps[1].Close {
		t.Errorf("second response does not close (Connection: close)")
	}
}

func TestHeadHasNoBody(t *testing.T) {
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		io.WriteString(w, strings.Repeat("v", 100))
	}), nil)
	// The raw stream is checked byte for byte: a body after the HEAD
	// response would be read as the start of the next response.
	resps := exchange(t, addr, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", "GET")
	if len(resps) != 2 {
		t.Fatalf("got %d responses, want 2", len(resps))
	}
	if resps[0].ContentLength != 100 || resps[0].body != "" {
		t.Errorf("HEAD: Content-Length %d body %q, want 100 and none", resps[0].ContentLength, resps[0].body)
	}
	if resps[1].body != strings.Repeat("v", 100) {
		t.Errorf("GET after HEAD: body %q", resps[1].body)
	}
}

// A rejected request followed by a smuggled one: the server answers the
// first with 400 and never reads the second, whichever way the front end
// would have framed it.
func TestSmuggledRequestNeverAnswered(t *testing.T) {
	var served []string
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		served = append(served, r.Path)
		io.ReadAll(r.Body)
	}), nil)
	for _, raw := range []string{
		// CL.TE: a front end using Content-Length forwards "0\r\n\r\nGET /admin..." as body.
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
		// TE.TE with an obfuscated coding.
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
		// Space before colon hides the coding from one parser.
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
		// Conflicting lengths.
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
		// Bad chunk data length: the "extra" byte starts a smuggled request.
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n0\r\n\r\n",
	} {
		served = served[:0]
		resps := exchange(t, addr, raw)
		if got := statuses(resps); len(got) != 1 || got[0] != 400 {
			t.Errorf("statuses = %v, want [400] for %q", got, raw)
		}
		if slices.Contains(served, "/admin") {
			t.Errorf("smuggled request was served for %q", raw)
		}
	}
}

func TestBodyErrorsAreSentinels(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want error
	}{
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", ErrBodyTooLarge},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ErrMalformedBody},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort", ErrMalformedBody},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", ErrMalformedBody},
	} {
		c := newTestConn(tc.raw)
		r, err := c.readRequest()
		if err != nil {
			t.Fatalf("readRequest(%q) err = %v", tc.raw, err)
		}
		_, err = io.ReadAll(r.Body)
		if !errors.Is(err, tc.want) {
			t.Errorf("reading body of %q: err = %v, want %v", tc.raw, err, tc.want)
		}
	}
}

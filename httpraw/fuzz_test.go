package httpraw

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httputil"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpora in testdata/fuzz")

// FuzzReadRequest feeds arbitrary bytes to the request reader: it must never
// panic, never hold more than its limits, fail only with a status or a read
// error, and a request it accepts must re-serialise to bytes that parse back
// to the same request.
func FuzzReadRequest(f *testing.F) {
	for _, tc := range fuzzSeedRows() {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newTestConn(string(data))
		// Small limits, so that the fuzzer reaches them with small inputs.
		c.maxTarget, c.maxHeader, c.maxBody = 512, 1024, 4096
		for range 8 {
			r, err := c.readRequest()
			if cap(c.raw.buf) > 2*(c.maxTarget+requestLineExtras+c.maxHeader) {
				t.Fatalf("head buffer grew to %d bytes", cap(c.raw.buf))
			}
			if err != nil {
				var se *statusError
				if !errors.As(err, &se) && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("readRequest err = %v, want a status error or EOF", err)
				}
				return
			}
			checkRoundTrip(t, r)
			n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			if r.ContentLength >= 0 && n > r.ContentLength {
				t.Fatalf("read %d body bytes, Content-Length %d", n, r.ContentLength)
			}
			if !c.body.drain() {
				return
			}
		}
	})
}

// fuzzSeedRows returns the wire-test rows small enough to be useful seeds:
// mutating a megabyte input makes the fuzzer crawl.
func fuzzSeedRows() []wireCase {
	var rows []wireCase
	for _, tc := range append(append([]wireCase{}, goodRequests...), badRequests...) {
		if len(tc.raw) <= 32<<10 {
			rows = append(rows, tc)
		}
	}
	return rows
}

// checkRoundTrip serialises r's head and parses it again.
func checkRoundTrip(t *testing.T, r *Request) {
	t.Helper()
	var b strings.Builder
	b.WriteString(r.Method + " " + r.Target + " " + r.Proto + "\r\n")
	for _, f := range r.Header.Fields() {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	c2 := newTestConn(b.String())
	r2, err := c2.readRequest()
	if err != nil {
		t.Fatalf("re-serialised request %q does not parse: %v", b.String(), err)
	}
	if r2.Method != r.Method || r2.Target != r.Target || r2.Path != r.Path || r2.RawQuery != r.RawQuery ||
		r2.Proto != r.Proto || r2.Host != r.Host || r2.ContentLength != r.ContentLength {
		t.Fatalf("round trip changed the request:\n%+v\n%+v", r, r2)
	}
	f1, f2 := r.Header.Fields(), r2.Header.Fields()
	if len(f1) != len(f2) {
		t.Fatalf("round trip changed the field count: %d → %d", len(f1), len(f2))
	}
	for i := range f1 {
		if f1[i] != f2[i] {
			t.Fatalf("round trip changed field %d: %q → %q", i, f1[i], f2[i])
		}
	}
}

var chunkedSeeds = []string{
	"5\r\nhello\r\n0\r\n\r\n",
	"5;a=b;c=\"d;e\" ; f\r\nhello\r\n0;last\r\n\r\n",
	"5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n",
	"0005\r\nhello\r\n000\r\n\r\n",
	"A\r\n0123456789\r\n0\r\n\r\n",
	"3\r\nabcd\r\n0\r\n\r\n",
	"zz\r\n",
	"ffffffffffffffff\r\n",
	"3\nabc\r\n0\r\n\r\n",
	"5 \r\nhello\r\n0\r\n\r\n",
}

var headerSeeds = []string{
	"Host: x\r\n\r\n",
	"Host: x\r\nAccept: */*\r\nX-A:  spaced  \r\n\r\n",
	"Host: x\r\nX-A: a\r\n b\r\n\r\n",
	"Host : x\r\n\r\n",
	"Host: x\r\nX-A: caf\xc3\xa9\r\nx-a: second\r\n\r\n",
	"Host: x\nX: y\n\n",
}

// FuzzChunked checks the chunked decoder against net/http/httputil's. On
// input it accepts, the decoded bytes must equal httputil's (which stops at
// the last chunk and does not read trailers), except where RFC 9112 §7.1.1
// allows whitespace (BWS) before a chunk extension and httputil does not.
// And any data, chunked by httputil's writer, must decode to itself.
func FuzzChunked(f *testing.F) {
	for _, s := range chunkedSeeds {
		f.Add([]byte(s))
	}
	bws := regexp.MustCompile(`[0-9a-fA-F][ \t]+;`)
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := &chunkedReader{}
		cr.reset(bufio.NewReader(bytes.NewReader(data)))
		ours, err := io.ReadAll(io.LimitReader(cr, 1<<20))
		if err == nil && len(ours) < 1<<20 {
			theirs, terr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data)))
			switch {
			case terr != nil && bws.Match(data):
				// RFC 9112 allows BWS before ";": we accept, httputil does not.
			case terr != nil:
				t.Fatalf("we accept %q, httputil rejects it: %v", data, terr)
			case !bytes.Equal(ours, theirs):
				t.Fatalf("decoded %q, httputil %q", ours, theirs)
			}
		}
		if err != nil && !errors.Is(err, ErrMalformedBody) {
			t.Fatalf("decode error %v does not wrap ErrMalformedBody", err)
		}

		// Encode data with httputil and decode it with ours.
		var enc bytes.Buffer
		w := httputil.NewChunkedWriter(&enc)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+int(rest[0])%7)
			w.Write(rest[:n])
			rest = rest[n:]
		}
		w.Close()
		enc.WriteString("\r\n")
		cr.reset(bufio.NewReader(&enc))
		got, err := io.ReadAll(cr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q: %q, %v", data, got, err)
		}
	})
}

// FuzzHeaderFields compares our field parser with net/textproto's. Whatever
// we accept, textproto must accept with the same values; we may reject more
// (obs-fold, bare LF, control bytes, whitespace before the colon).
func FuzzHeaderFields(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newTestConn("GET / HTTP/1.1\r\n" + string(data))
		if _, err := readRequestHeadOnly(c); err != nil {
			return
		}
		mh, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(data))).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("we accept %q, textproto rejects it: %v", data, err)
		}
		seen := map[string]bool{}
		for _, fl := range c.req.Header.Fields() {
			key := textproto.CanonicalMIMEHeaderKey(fl.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			ours := c.req.Header.Values(fl.Name)
			if fmt.Sprint(ours) != fmt.Sprint(mh[key]) {
				t.Fatalf("%s: ours %q, textproto %q (input %q)", key, ours, mh[key], data)
			}
		}
		if len(seen) != len(mh) {
			t.Fatalf("ours %d names, textproto %d (input %q)", len(seen), len(mh), data)
		}
	})
}

// readRequestHeadOnly parses the head without the semantic checks (Host,
// framing), which textproto does not make.
func readRequestHeadOnly(c *conn) (*Request, error) {
	if err := readRequestHead(c.br, &c.raw, c.maxTarget, c.maxHeader); err != nil {
		return nil, err
	}
	materialize(&c.raw, &c.req)
	return &c.req, nil
}

// TestWriteFuzzCorpus writes the committed seed corpora: the wire-test
// tables for FuzzReadRequest and the seed lists for the other targets
// (go test -run TestWriteFuzzCorpus -update ./httpraw/).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadRequest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`[^a-z0-9]+`)
	for target, seeds := range map[string][]string{"FuzzChunked": chunkedSeeds, "FuzzHeaderFields": headerSeeds} {
		d := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("seed-%02d", i)), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for prefix, table := range map[string][]wireCase{"good": goodRequests, "bad": badRequests} {
		for _, tc := range table {
			if len(tc.raw) > 32<<10 {
				continue // see fuzzSeedRows
			}
			file := filepath.Join(dir, prefix+"-"+strings.Trim(name.ReplaceAllString(strings.ToLower(tc.name), "-"), "-"))
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", tc.raw)
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

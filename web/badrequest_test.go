package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"vlogd/httpraw"
)

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// withLog sends the site's log, at debug level, to buf.
func withLog(buf *syncBuffer) siteOption {
	return func(c *siteConfig) {
		c.web.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// Every malformed url-encoded body is the client's fault: 400 with a
// message that says what is wrong, and nothing logged at ERROR.
func TestMalformedFormIs400(t *testing.T) {
	var log syncBuffer
	ts := mustServeSite(t, withLog(&log))
	author := ts.signUp(t, "lena")
	vlog := author.createVlog(t, "A vlog", "to comment on")
	for _, tc := range []struct{ name, body, msg string }{
		{"bad escape", "body=%zz", "not followed by two hexadecimal digits"},
		{"semicolon", "csrf=x;body=hi", "separated by &#39;&amp;&#39;, not &#39;;&#39;"},
		{"too many fields", strings.Repeat("a=1&", httpraw.MaxFormFields) + "body=hi", "more than 10000 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/login", "/signup", vlog + "/comments", "/vlogs"} {
				req := strings.NewReader(tc.body)
				r, err := author.http.Post(ts.URL+path, "application/x-www-form-urlencoded", req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode != 400 || !strings.Contains(string(b), tc.msg) {
					t.Fatalf("POST %s %.40q: %d, want 400 saying %q\n%s", path, tc.body, r.StatusCode, tc.msg, b)
				}
			}
		})
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Fatalf("malformed forms were logged as errors:\n%s", log.String())
	}
	if n := ts.Store.VlogCount(); n != 1 {
		t.Fatalf("%d vlogs after malformed posts, want 1", n)
	}
}

// A client that hangs up in the middle of an upload, or of a form, is
// logged at info, not as a server error.
func TestClientGoneMidUploadIsInfo(t *testing.T) {
	var log syncBuffer
	ts := mustServeSite(t, withLog(&log))
	author := ts.signUp(t, "mona")
	token := author.token(t)
	u, _ := url.Parse(ts.URL)
	var cookies []string
	for _, ck := range author.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	const boundary = "XyZ"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + token + "\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nCut off\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.webm\"\r\nContent-Type: video/webm\r\n\r\n" +
		"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" +
		strings.Repeat("\x00", 64<<10)
	for _, tc := range []struct{ name, head string }{
		{"upload", fmt.Sprintf("POST /vlogs HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n%s",
			u.Host, strings.Join(cookies, "; "), boundary, len(head)+1<<20, head)},
		{"form", fmt.Sprintf("POST /vlogs HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntitle=cut",
			u.Host, strings.Join(cookies, "; "))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(log.String(), "client went away")
			c, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, tc.head)
			c.Close()
			deadline := time.Now().Add(time.Minute)
			for strings.Count(log.String(), "client went away") == before {
				if time.Now().After(deadline) {
					t.Fatalf("no info line for the hang-up; log:\n%s", log.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	logged := log.String()
	if strings.Contains(logged, "level=ERROR") {
		t.Fatalf("hang-ups were logged as errors:\n%s", logged)
	}
	if !strings.Contains(logged, `level=INFO msg="client went away mid-request"`) {
		t.Fatalf("hang-up not logged at info:\n%s", logged)
	}
	if n := ts.Store.VlogCount(); n != 0 {
		t.Fatalf("%d vlogs stored from cut-off requests, want 0", n)
	}
}

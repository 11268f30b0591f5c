package httpraw

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// chromiumGET is what Chromium sends for a page navigation.
const chromiumGET = "GET /vlogs/42 HTTP/1.1\r\n" +
	"Host: 127.0.0.1:8080\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Referer: http://127.0.0.1:8080/\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Cookie: sid=8f14e45fceea167a5a36dedd4bea2543\r\n" +
	"\r\n"

// repeatReader yields the requests in reqs one after another, forever.
type repeatReader struct {
	reqs [][]byte
	i    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	cur := r.reqs[r.i]
	n := copy(p, cur[r.off:])
	r.off += n
	if r.off == len(cur) {
		r.off = 0
		r.i = (r.i + 1) % len(r.reqs)
	}
	return n, nil
}

func benchmarkRead(b *testing.B, reqs [][]byte) {
	c := newTestConnReader(&repeatReader{reqs: reqs})
	b.SetBytes(int64(len(reqs[0])))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.readRequest(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadRequest parses a typical Chromium GET as a keep-alive
// connection sees it: the same browser sending the same fields.
func BenchmarkReadRequest(b *testing.B) {
	b.Run("same", func(b *testing.B) { benchmarkRead(b, [][]byte{[]byte(chromiumGET)}) })
	b.Run("varying-path", func(b *testing.B) {
		var reqs [][]byte
		for i := range 16 {
			reqs = append(reqs, []byte(strings.Replace(chromiumGET, "/vlogs/42", "/vlogs/"+strconv.Itoa(100+i), 1)))
		}
		benchmarkRead(b, reqs)
	})
	b.Run("net-http-ReadRequest", func(b *testing.B) {
		br := bufio.NewReader(&repeatReader{reqs: [][]byte{[]byte(chromiumGET)}})
		b.SetBytes(int64(len(chromiumGET)))
		b.ReportAllocs()
		for range b.N {
			if _, err := http.ReadRequest(br); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoopback compares httpraw with net/http serving the same bytes
// to 64 keep-alive connections over loopback (client in the same process,
// so the numbers include the client's cost). Run with
// go test -run '^$' -bench Loopback -benchtime 200000x ./httpraw/
func BenchmarkLoopback(b *testing.B) {
	css := bytes.Repeat([]byte("body{margin:0 auto;max-width:40em}\n"), 40) // ~1.4 KB stylesheet
	b.Run("httpraw", func(b *testing.B) {
		_, addr := MustServe(b, HandlerFunc(func(w ResponseWriter, r *Request) {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Write(css)
		}), nil)
		loadLoopback(b, addr, len(css))
	})
	b.Run("net-http", func(b *testing.B) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Write(css)
		})}
		go srv.Serve(l)
		defer srv.Close()
		loadLoopback(b, l.Addr().String(), len(css))
	})
}

func loadLoopback(b *testing.B, addr string, bodyLen int) {
	const conns = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	req := []byte("GET /static/site.css HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: text/css,*/*;q=0.1\r\n\r\n")
	errs := make(chan error, conns)
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 16<<10)
			body := make([]byte, bodyLen)
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				n, err := readHeadContentLength(br)
				if err != nil || n != bodyLen {
					errs <- fmt.Errorf("response: %v (length %d)", err, n)
					return
				}
				if _, err := io.ReadFull(br, body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	// The client is the same code for both servers, so a difference in
	// CPU per request is the servers' difference.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// processCPU returns the user and system CPU time used by this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readHeadContentLength reads a response head and returns its Content-Length.
func readHeadContentLength(br *bufio.Reader) (int, error) {
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) == 2 {
			return n, nil
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
}

// The hot path stays allocation-free: a keep-alive connection reading the
// same browser's GET again and answering it allocates nothing.
func TestReadRequestAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	c := newTestConnReader(&repeatReader{reqs: [][]byte{[]byte(chromiumGET)}})
	body := []byte("<p>hello</p>")
	c.readRequest() // warm up: the first request of a connection allocates its strings
	allocs := testing.AllocsPerRun(100, func() {
		r, err := c.readRequest()
		if err != nil {
			t.Fatal(err)
		}
		c.resp.reset(r)
		c.resp.Header().Set("Content-Type", "text/html; charset=utf-8")
		c.resp.Write(body)
		c.resp.finish()
		c.bw.Reset(io.Discard)
	})
	if allocs != 0 {
		t.Errorf("read + respond allocates %.1f times per request, want 0", allocs)
	}
}

// BenchmarkServeContent answers a stylesheet GET from memory as web's
// static handler does, without sockets: the server's own cost per request
// for ServeContent.
func BenchmarkServeContent(b *testing.B) {
	css := bytes.Repeat([]byte("body{margin:0 auto;max-width:40em}\n"), 100) // 3.5 KB
	req := "GET /static/site.css HTTP/1.1\r\nHost: x\r\nAccept: text/css,*/*;q=0.1\r\n\r\n"
	c := newTestConnReader(&repeatReader{reqs: [][]byte{[]byte(req)}})
	content := bytes.NewReader(css)
	b.ReportAllocs()
	for range b.N {
		r, err := c.readRequest()
		if err != nil {
			b.Fatal(err)
		}
		c.resp.reset(r)
		h := c.resp.Header()
		h.Set("Content-Type", "text/css; charset=utf-8")
		h.Set("ETag", `"0123456789abcdef01234567"`)
		h.Set("Cache-Control", "no-cache")
		content.Reset(css)
		ServeContent(&c.resp, r, time.Time{}, int64(len(css)), content)
		c.resp.finish()
		c.bw.Reset(io.Discard)
	}
}

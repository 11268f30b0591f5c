package httpraw

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

func dial(tb testing.TB, addr string) (net.Conn, *bufio.Reader) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(testdeadline.Time(tb))
	return c, bufio.NewReader(c)
}

func readResponse(tb testing.TB, br *bufio.Reader, method string) testResponse {
	tb.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return testResponse{resp, string(b)}
}

func TestExpectContinue(t *testing.T) {
	_, addr := MustServe(t, echoHandler, nil)
	c, br := dial(t, addr)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	// The server must invite the body before the client sends it.
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line = %q, %v; want 100 Continue", line, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("100 Continue not followed by an empty line: %q", blank)
	}
	io.WriteString(c, "hello")
	if r := readResponse(t, br, "POST"); r.StatusCode != 200 || !strings.Contains(r.body, "body=hello") {
		t.Fatalf("got %d %q", r.StatusCode, r.body)
	}
}

func TestExpectContinueOverLimitNotInvited(t *testing.T) {
	_, addr := MustServe(t, echoHandler, func(s *Server) { s.MaxBodyBytes = 10 })
	c, br := dial(t, addr)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
	r := readResponse(t, br, "POST")
	if r.StatusCode != 413 || !r.Close {
		t.Fatalf("got %d close=%v, want 413 and close (no 100 Continue)", r.StatusCode, r.Close)
	}
}

func TestExpectContinueNotReadCloses(t *testing.T) {
	_, addr := MustServe(t, echoHandler, nil)
	c, br := dial(t, addr)
	io.WriteString(c, "POST /ignore HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	r := readResponse(t, br, "POST")
	if r.StatusCode != 200 || !r.Close {
		t.Fatalf("got %d close=%v: a body never invited cannot be drained, so the connection must close", r.StatusCode, r.Close)
	}
}

// countingListener counts Write calls on accepted connections.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l}, nil
}

func (c countingConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}

func TestPipelinedResponsesBatched(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &countingListener{Listener: inner}
	s := &Server{Handler: echoHandler}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	defer func() { s.Shutdown(context.Background()); <-done }()

	raw := strings.Repeat("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3)
	resps := exchange(t, inner.Addr().String(), raw)
	if len(resps) != 3 {
		t.Fatalf("got %d responses, want 3", len(resps))
	}
	// All three requests arrive in one segment; their responses must
	// leave in one write, not three.
	if n := l.writes.Load(); n != 1 {
		t.Errorf("server made %d writes for 3 pipelined requests, want 1", n)
	}
}

func TestHandlerPanic(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		if r.Path == "/panic" {
			w.Header().Set("X-Before", "1")
			io.WriteString(w, "partial")
			panic("boom")
		}
		io.WriteString(w, "ok")
	}), func(s *Server) { s.Logger = logger })
	resps := exchange(t, addr, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n"+probe)
	if got := statuses(resps); len(got) != 1 || got[0] != 500 || !resps[0].Close {
		t.Fatalf("statuses = %v close=%v, want [500] and close", got, resps[0].Close)
	}
	if strings.Contains(resps[0].body, "partial") || resps[0].Header.Get("X-Before") != "" {
		t.Errorf("500 carries the panicking handler's output: %v %q", resps[0].Header, resps[0].body)
	}
	// The server keeps serving.
	if resps := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); len(resps) != 1 || resps[0].body != "ok" {
		t.Fatalf("after panic: %v", statuses(resps))
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("panic not logged with a stack: %s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestHeaderTimeout(t *testing.T) {
	_, addr := MustServe(t, echoHandler, func(s *Server) { s.ReadHeaderTimeout = 200 * time.Millisecond })
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // never finished
	// The server sends 408 only when the header timeout fires, so the
	// status is the proof; how soon it came depends on the machine.
	r := readResponse(t, br, "GET")
	if r.StatusCode != 408 {
		t.Fatalf("status %d, want 408", r.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after 408: %v, want EOF", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	_, addr := MustServe(t, echoHandler, func(s *Server) { s.IdleTimeout = 100 * time.Millisecond })
	c, br := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := readResponse(t, br, "GET"); r.StatusCode != 200 || r.Close {
		t.Fatalf("got %d close=%v", r.StatusCode, r.Close)
	}
	// Nothing more is sent; the server closes the idle connection.
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
}

func TestBodyReadTimeout(t *testing.T) {
	got := make(chan error, 1)
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
	}), func(s *Server) { s.ReadTimeout = 100 * time.Millisecond })
	c, _ := dial(t, addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	if err := <-got; !errors.Is(err, ErrBodyTimeout) || !isTimeout(err) {
		t.Fatalf("body read err = %v, want ErrBodyTimeout wrapping a timeout", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Hundreds of clients trickling partial headers must not keep a normal
// client from being served: it is answered while every slow one is still
// open (their header timeout is a minute), so it waited behind none of
// them.
func TestSlowloris(t *testing.T) {
	s, addr := MustServe(t, echoHandler, func(s *Server) { s.ReadHeaderTimeout = time.Minute })
	const slow = 300
	for i := range slow {
		// From several addresses, each under MaxConnsPerAddr, as a
		// slowloris that one address's cap would not stop.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 3, byte(1+i%10))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	}
	start := time.Now()
	resps := exchange(t, addr, "GET /normal HTTP/1.1\r\nHost: x\r\n\r\n")
	if len(resps) != 1 || resps[0].StatusCode != 200 {
		t.Fatalf("normal client got %v", statuses(resps))
	}
	if d := time.Since(start); d >= s.ReadHeaderTimeout {
		t.Fatalf("normal client answered after %v, only once slow ones could have timed out", d)
	}
	t.Logf("normal client answered in %v beside %d slow ones", time.Since(start), slow)
	if n := s.OpenConns(); n < slow {
		t.Errorf("OpenConns = %d, want at least %d", n, slow)
	}
}

func TestMaxConns(t *testing.T) {
	entered := make(chan string, 4)
	release := make(chan struct{})
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		entered <- r.Path
		<-release
	}), func(s *Server) { s.MaxConns = 1 })
	a, abr := dial(t, addr)
	io.WriteString(a, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if p := <-entered; p != "/a" {
		t.Fatalf("entered %s", p)
	}
	b, bbr := dial(t, addr)
	io.WriteString(b, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case p := <-entered:
		t.Fatalf("%s served while the only connection slot was taken", p)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	readResponse(t, abr, "GET")
	if p := <-entered; p != "/b" {
		t.Fatalf("entered %s", p)
	}
	readResponse(t, bbr, "GET")
}

func TestShutdownGraceful(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: HandlerFunc(func(w ResponseWriter, r *Request) {
		if r.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "done")
	})}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	addr := l.Addr().String()

	idle, idleBR := dial(t, addr)
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	readResponse(t, idleBR, "GET") // now idle on keep-alive

	busy, busyBR := dial(t, addr)
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	// The idle connection is closed without a response.
	if _, err := idleBR.ReadByte(); err != io.EOF && !isReset(err) {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("new connection accepted after Shutdown")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	r := readResponse(t, busyBR, "GET")
	if r.StatusCode != 200 || r.body != "done" || !r.Close {
		t.Fatalf("in-flight request: %d %q close=%v", r.StatusCode, r.body, r.Close)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if n := s.OpenConns(); n != 0 {
		t.Errorf("OpenConns after Shutdown = %d", n)
	}
}

func TestShutdownDeadlineForcesClose(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	s := &Server{Handler: HandlerFunc(func(w ResponseWriter, r *Request) {
		close(entered)
		<-release
	})}
	go s.Serve(l)
	c, br := dial(t, l.Addr().String())
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatalf("connection still open after forced shutdown")
	}
}

// net/http's client is the reference: keep-alive reuse, forms, chunked
// uploads and streaming downloads must work with it.
func TestNetHTTPClient(t *testing.T) {
	m := NewMux()
	m.HandleFunc("POST /form", func(w ResponseWriter, r *Request) {
		f, err := r.ParseForm()
		if err != nil {
			Error(w, err.Error(), 400)
			return
		}
		fmt.Fprintf(w, "title=%s", f.Get("title"))
	})
	m.HandleFunc("PUT /upload", func(w ResponseWriter, r *Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "%d", n)
	})
	m.HandleFunc("GET /stream", func(w ResponseWriter, r *Request) {
		for i := range 5 {
			fmt.Fprintf(w, "part%d;", i)
			w.Flush()
		}
	})
	_, addr := MustServe(t, m, nil)
	var conns atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		conns.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	base := "http://" + addr

	for range 3 {
		resp, err := client.PostForm(base+"/form", map[string][]string{"title": {"a b&c"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "title=a b&c" {
			t.Fatalf("form: %q", b)
		}
	}
	req, _ := http.NewRequest("PUT", base+"/upload", io.MultiReader(strings.NewReader(strings.Repeat("x", 100000)))) // unknown length: chunked
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "100000" {
		t.Fatalf("chunked upload: %q", b)
	}
	resp, err = client.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "part0;part1;part2;part3;part4;" || resp.TransferEncoding == nil {
		t.Fatalf("stream: %q TE=%v", b, resp.TransferEncoding)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("client dialed %d times, want 1 (keep-alive)", n)
	}
}

// A client that stops reading ties up its connection for WriteTimeout at
// most: the handler's writes fail and the connection closes.
func TestWriteTimeout(t *testing.T) {
	got := make(chan error, 1)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		for range 1000 { // 64 MB, far more than the socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				got <- err
				return
			}
		}
		got <- nil
	}), func(s *Server) { s.WriteTimeout = 100 * time.Millisecond })
	c, _ := dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if err := <-got; !isTimeout(err) {
		t.Fatalf("Write err = %v, want a timeout", err)
	}
}

// A client still sending a body that is too large gets the 413, not a
// reset connection: the server half-closes and reads on briefly.
func TestBodyTooLargeWhileSending(t *testing.T) {
	_, addr := MustServe(t, echoHandler, func(s *Server) { s.MaxBodyBytes = 64 << 10 })
	for _, chunked := range []bool{false, true} {
		var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("x"), 512<<10))
		if chunked {
			body = io.MultiReader(body) // hides the length: the client sends chunked
		}
		resp, err := http.Post("http://"+addr+"/", "application/octet-stream", body)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("chunked=%v: status %d, want 413", chunked, resp.StatusCode)
		}
	}
}

// A client that writes its whole too-large body before reading (as most
// clients do) still reads the 413 when the body is several MiB and the
// server answered after the header: the server reads on and discards while
// the bytes keep coming instead of resetting the connection. Small socket
// buffers on both ends keep the kernel from absorbing the body for it.
func TestBodyTooLargeLingersForMiB(t *testing.T) {
	small := func(network, address string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
			if err == nil {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 16<<10)
			}
		})
		return err
	}
	l, err := (&net.ListenConfig{Control: small}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: echoHandler, MaxBodyBytes: 64 << 10}
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(testdeadline.Context(t)) })
	c, err := (&net.Dialer{Control: small}).Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(testdeadline.Time(t))
	const size = 3 << 20
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("write after %d body bytes: %v (the server reset the connection)", sent, err)
		}
	}
	if r := readResponse(t, bufio.NewReader(c), "POST"); r.StatusCode != 413 || !r.Close {
		t.Fatalf("got %d close=%v, want 413 and close", r.StatusCode, r.Close)
	}
}

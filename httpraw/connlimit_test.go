package httpraw

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// dialFrom connects to addr from the loopback address local (any of
// 127.0.0.0/8 works on Linux), so one test can play many clients.
func dialFrom(t *testing.T, local, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(hangCeiling(t))
	return c, bufio.NewReader(c)
}

// getOn sends a GET for path on c and reads the answer.
func getOn(t *testing.T, c net.Conn, br *bufio.Reader, path string) testResponse {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return readResponse(t, br, "GET")
}

// waitOpen polls until the server has n open connections.
func waitOpen(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := hangCeiling(t)
	for s.OpenConns() != n {
		if time.Now().After(deadline) {
			t.Fatalf("OpenConns = %d, want %d", s.OpenConns(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitIdle polls until n of the server's connections wait for a request.
func waitIdle(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := hangCeiling(t)
	for {
		idle := 0
		s.mu.Lock()
		for c := range s.conns {
			if c.state.Load() == stateIdle {
				idle++
			}
		}
		s.mu.Unlock()
		if idle == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle connections, want %d", idle, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closedByServer reports whether the server has closed c: a read ends
// with EOF or a reset rather than blocking. It waits up to the hang
// ceiling for an open connection to prove itself closed, so call it only
// on connections expected to be closed.
func closedByServer(br *bufio.Reader) bool {
	_, err := br.ReadByte()
	return err != nil && !isTimeout(err)
}

// stillOpen reports whether c still carries requests.
func stillOpen(t *testing.T, c net.Conn, br *bufio.Reader) bool {
	t.Helper()
	if _, err := io.WriteString(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	resp, err := readResponseErr(br, "GET")
	return err == nil && resp.StatusCode == 200
}

// At MaxConns, with every connection idle after one request, new
// visitors are admitted by closing the connections idle the longest, in
// that order; /healthz answers at once instead of after IdleTimeout.
func TestIdleFloodEvictsOldest(t *testing.T) {
	const max = 50
	s, addr := MustServe(t, echoHandler, func(s *Server) {
		s.MaxConns, s.IdleTimeout = max, time.Hour
	})
	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	flood := make([]client, max)
	for i := range flood {
		// Many addresses, as in a real flood, each well under the
		// per-address cap.
		c, br := dialFrom(t, fmt.Sprintf("127.0.1.%d", 1+i%10), addr)
		if r := getOn(t, c, br, "/flood"); r.StatusCode != 200 {
			t.Fatalf("flood connection %d: %d", i, r.StatusCode)
		}
		flood[i] = client{c, br}
	}
	waitOpen(t, s, max)
	waitIdle(t, s, max)

	const visitors = 5
	for v := range visitors {
		c, br := dialLong(t, addr)
		start := time.Now()
		r := getOn(t, c, br, "/healthz")
		took := time.Since(start)
		if r.StatusCode != 200 {
			t.Fatalf("/healthz at the cap: %d", r.StatusCode)
		}
		t.Logf("/healthz with %d idle connections at the cap answered in %v", max, took.Round(time.Microsecond))
		if !closedByServer(flood[v].br) {
			t.Fatalf("visitor %d: flood connection %d, the oldest idle, was not closed", v, v)
		}
		// The visitor stays, idle and newest.
		waitIdle(t, s, max)
	}
	// The rest of the flood, newer than the closed ones, was left alone.
	for i := visitors; i < max; i++ {
		if !stillOpen(t, flood[i].c, flood[i].br) {
			t.Fatalf("flood connection %d was closed; only the %d oldest should be", i, visitors)
		}
	}
	if n := s.OpenConns(); n > max {
		t.Fatalf("OpenConns = %d, over MaxConns %d", n, max)
	}
}

// At MaxConns with every connection busy, there is nothing to close: a
// new client waits (in the backlog) until one finishes, then is served.
func TestMaxConnsWaitsForBusy(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{}, 3)
	_, addr := MustServe(t, HandlerFunc(func(w ResponseWriter, r *Request) {
		if r.Path == "/busy" {
			entered <- struct{}{}
			<-release
		}
		io.WriteString(w, "ok")
	}), func(s *Server) { s.MaxConns = 3 })
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	t.Cleanup(letGo) // before Shutdown, which would wait for the handlers
	busy := make([]*bufio.Reader, 3)
	for i := range busy {
		c, br := dialLong(t, addr)
		io.WriteString(c, "GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
		busy[i] = br
	}
	for range busy {
		<-entered
	}
	c, br := dialLong(t, addr)
	io.WriteString(c, "GET /new HTTP/1.1\r\nHost: x\r\n\r\n")
	got := make(chan testResponse, 1)
	go func() {
		r, err := readResponseErr(br, "GET")
		if err == nil {
			got <- r
		}
		close(got)
	}()
	// Let the server try (and fail) to make room among busy connections
	// for a while; none may be closed to admit the newcomer.
	time.Sleep(3 * evictRetry)
	select {
	case r := <-got:
		t.Fatalf("served %d while every slot was busy", r.StatusCode)
	default:
	}
	letGo()
	for i, br := range busy {
		if r := readResponse(t, br, "GET"); r.StatusCode != 200 {
			t.Fatalf("busy %d: %d", i, r.StatusCode)
		}
	}
	if r, ok := <-got; !ok || r.StatusCode != 200 {
		t.Fatalf("newcomer after the busy ones finished: %v %d", ok, r.StatusCode)
	}
}

// One address may hold MaxConnsPerAddr connections; the next ones are
// closed at once, others are served meanwhile, and a closed connection
// frees its place. Trusted proxies are exempt.
func TestMaxConnsPerAddr(t *testing.T) {
	const perAddr = 10
	s, addr := MustServe(t, echoHandler, func(s *Server) {
		s.MaxConns, s.MaxConnsPerAddr, s.IdleTimeout = 50, perAddr, time.Hour
		s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.2.0/24")}
	})
	var held []net.Conn
	for i := range perAddr {
		c, br := dialFrom(t, "127.0.1.1", addr)
		if r := getOn(t, c, br, "/mine"); r.StatusCode != 200 {
			t.Fatalf("connection %d within the cap: %d", i, r.StatusCode)
		}
		held = append(held, c)
	}
	for i := range 20 {
		c, br := dialFrom(t, "127.0.1.1", addr)
		io.WriteString(c, "GET /extra HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := readResponseErr(br, "GET"); err == nil {
			t.Fatalf("extra connection %d from one address was served", i)
		}
	}
	if n := s.OpenConns(); n != perAddr {
		t.Fatalf("OpenConns = %d after the per-address flood, want %d", n, perAddr)
	}
	c, br := dialFrom(t, "127.0.0.1", addr)
	start := time.Now()
	if r := getOn(t, c, br, "/healthz"); r.StatusCode != 200 {
		t.Fatalf("/healthz from another address: %d", r.StatusCode)
	}
	t.Logf("/healthz beside a per-address flood answered in %v", time.Since(start).Round(time.Microsecond))

	// One of the address's connections closes: its place is free again.
	held[0].Close()
	waitOpen(t, s, perAddr) // healthz's connection is open, held[0] gone
	c, br = dialFrom(t, "127.0.1.1", addr)
	if r := getOn(t, c, br, "/again"); r.StatusCode != 200 {
		t.Fatalf("after one closed: %d", r.StatusCode)
	}

	// A trusted proxy carries many clients: no per-address cap.
	for i := range 2 * perAddr {
		c, br := dialFrom(t, "127.0.2.1", addr)
		if r := getOn(t, c, br, "/proxied"); r.StatusCode != 200 {
			t.Fatalf("proxy connection %d: %d", i, r.StatusCode)
		}
	}
}

// readResponseErr is readResponse for a connection that may have been
// closed instead: it returns the error rather than failing the test.
func readResponseErr(br *bufio.Reader, method string) (testResponse, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return testResponse{}, err
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return testResponse{}, err
	}
	return testResponse{resp, string(b)}, nil
}

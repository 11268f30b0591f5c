package httpraw

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"vlogd/internal/testdeadline"
)

// MustServe starts a Server with handler h on 127.0.0.1:0 and shuts it down
// when the test ends. configure, if not nil, adjusts the Server before Serve.
func MustServe(tb testing.TB, h Handler, configure func(*Server)) (*Server, string) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Handler: h}
	if configure != nil {
		configure(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	tb.Cleanup(func() {
		if err := s.Shutdown(testdeadline.Context(tb)); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, l.Addr().String()
}

// testResponse is a response read back from the wire, with the body.
type testResponse struct {
	*http.Response
	body string
}

// exchange writes raw to a fresh connection to addr, half-closes it, and
// reads every response the server sends until it closes the connection.
// methods[i] is the method of the i-th request (default GET), which the
// reader needs to know whether a body follows (HEAD).
func exchange(tb testing.TB, addr, raw string, methods ...string) []testResponse {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(testdeadline.Time(tb))
	if _, err := io.WriteString(c, raw); err != nil {
		tb.Fatalf("write: %v", err)
	}
	c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		tb.Fatalf("read: %v (got %q)", err, out)
	}
	return parseResponses(tb, out, methods)
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "connection reset") }

// parseResponses splits a byte stream into responses with net/http's
// reference reader.
func parseResponses(tb testing.TB, out []byte, methods []string) []testResponse {
	tb.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	var resps []testResponse
	for i := 0; ; i++ {
		if _, err := br.Peek(1); err == io.EOF {
			return resps
		}
		method := "GET"
		if i < len(methods) {
			method = methods[i]
		}
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			tb.Fatalf("response %d: %v in %q", i, err, out)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			tb.Fatalf("response %d body: %v in %q", i, err, out)
		}
		resps = append(resps, testResponse{resp, string(b)})
	}
}

func statuses(resps []testResponse) []int {
	var s []int
	for _, r := range resps {
		s = append(s, r.StatusCode)
	}
	return s
}

package httpraw

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hangCeiling is how long a test waits for something that should take
// seconds before calling it a hang: generous, so a slow machine never fails
// a correct server, and bounded by the test's own deadline.
func hangCeiling(t *testing.T) time.Time {
	d := time.Now().Add(2 * time.Minute)
	if td, ok := t.Deadline(); ok && td.Before(d) {
		d = td.Add(-5 * time.Second)
	}
	return d
}

// dialLong dials addr with the hang ceiling as the connection's deadline.
func dialLong(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(hangCeiling(t))
	return c, bufio.NewReader(c)
}

// bodyLenHandler reads the whole body and answers its length, or, when the
// read fails, reports the error on errs and writes nothing, leaving the
// answer to the server.
func bodyLenHandler(errs chan<- error) Handler {
	return HandlerFunc(func(w ResponseWriter, r *Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			errs <- err
			return
		}
		fmt.Fprintf(w, "%d", n)
	})
}

// With the real defaults (240 bytes/s after a 5 s grace period), a body
// trickling one byte every 2 s is cut off with 408 and the connection
// closed within 15 s, while an upload at 20 KB/s finishes.
func TestMinBodyRateDefaults(t *testing.T) {
	errs := make(chan error, 2)
	_, addr := MustServe(t, bodyLenHandler(errs), nil)

	t.Run("trickle", func(t *testing.T) {
		t.Parallel()
		c, br := dialLong(t, addr)
		io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
		start := time.Now()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(2 * time.Second)
			defer tick.Stop()
			for {
				if _, err := c.Write([]byte{'a'}); err != nil {
					return
				}
				select {
				case <-tick.C:
				case <-stop:
					return
				}
			}
		}()
		r := readResponse(t, br, "POST")
		cut := time.Since(start)
		if r.StatusCode != 408 || !r.Close {
			t.Fatalf("trickled body: %d close=%v, want 408 and close", r.StatusCode, r.Close)
		}
		if _, err := br.ReadByte(); err == nil {
			t.Error("connection still open after 408")
		}
		t.Logf("a body at 0.5 byte/s was cut after %v", cut.Round(time.Millisecond))
		if cut > 15*time.Second {
			t.Errorf("cut after %v, want within 15s", cut)
		}
		if err := <-errs; !errors.Is(err, ErrBodyTimeout) {
			t.Errorf("handler's read error = %v, want ErrBodyTimeout", err)
		}
	})
	t.Run("20KB/s", func(t *testing.T) {
		t.Parallel()
		const size, step = 120 << 10, 2 << 10 // 6 s at 20 KiB/s: past the grace period
		c, br := dialLong(t, addr)
		io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
		start := time.Now()
		chunk := []byte(strings.Repeat("v", step))
		for sent := 0; sent < size; sent += step {
			// Paced by the clock, not by sleeps added up: a late tick
			// sends the backlog, as a real link would.
			if wait := time.Until(start.Add(time.Duration(sent) * time.Second / (20 << 10))); wait > 0 {
				time.Sleep(wait)
			}
			if _, err := c.Write(chunk); err != nil {
				t.Fatalf("write at %d bytes: %v", sent, err)
			}
		}
		r := readResponse(t, br, "POST")
		if r.StatusCode != 200 || r.body != strconv.Itoa(size) {
			t.Fatalf("20 KiB/s upload: %d %q, want 200 %d", r.StatusCode, r.body, size)
		}
		t.Logf("%d bytes at 20 KiB/s took %v", size, time.Since(start).Round(time.Millisecond))
	})
}

// The floor and grace period are the Server's to set: scaled down, a body
// that stops arriving fails the handler's read with ErrBodyTimeout, long
// before ReadTimeout.
func TestMinBodyRateScaled(t *testing.T) {
	errs := make(chan error, 1)
	_, addr := MustServe(t, bodyLenHandler(errs), func(s *Server) {
		s.MinBodyRate, s.MinBodyRateGrace = 1000, 200*time.Millisecond
		s.ReadTimeout = time.Hour
	})
	c, br := dialLong(t, addr)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("a", 150))
	if err := <-errs; !errors.Is(err, ErrBodyTimeout) {
		t.Fatalf("handler's read error = %v, want ErrBodyTimeout", err)
	}
	if r := readResponse(t, br, "POST"); r.StatusCode != 408 || !r.Close {
		t.Fatalf("got %d close=%v, want 408 and close", r.StatusCode, r.Close)
	}
}

// A negative MinBodyRate turns the floor off: a body far below any rate,
// past any grace period, still arrives whole when it does not stall for
// ReadTimeout.
func TestMinBodyRateOff(t *testing.T) {
	errs := make(chan error, 1)
	_, addr := MustServe(t, bodyLenHandler(errs), func(s *Server) {
		s.MinBodyRate, s.MinBodyRateGrace = -1, time.Millisecond
		s.ReadTimeout = time.Hour
	})
	c, br := dialLong(t, addr)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
	time.Sleep(300 * time.Millisecond) // 2 bytes in 300 ms: under any floor with a 1 ms grace
	io.WriteString(c, "cd")
	if r := readResponse(t, br, "POST"); r.StatusCode != 200 || r.body != "4" {
		select {
		case err := <-errs:
			t.Fatalf("got %d %q; handler's read error %v", r.StatusCode, r.body, err)
		default:
		}
		t.Fatalf("got %d %q, want 200 \"4\"", r.StatusCode, r.body)
	}
}

// A client that hangs up in the middle of a body gives the handler
// ErrClientGone (and, for a short body, ErrMalformedBody), not an
// unnamed I/O error.
func TestClientGoneMidBody(t *testing.T) {
	for _, tc := range []struct{ name, head, body string }{
		{"content-length", "Content-Length: 100", "partial"},
		{"chunked", "Transfer-Encoding: chunked", "64\r\npartial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := make(chan error, 1)
			_, addr := MustServe(t, bodyLenHandler(errs), nil)
			c, _ := dialLong(t, addr)
			io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\n"+tc.head+"\r\n\r\n"+tc.body)
			c.Close()
			if err := <-errs; !errors.Is(err, ErrClientGone) || !errors.Is(err, ErrMalformedBody) {
				t.Fatalf("handler's read error = %v, want ErrClientGone and ErrMalformedBody", err)
			}
		})
	}
}

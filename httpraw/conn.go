package httpraw

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown (see Server.closeIdle).
const (
	stateActive int32 = iota // reading or answering a request
	stateIdle                // waiting for the first byte of a request
	stateClosed              // closed by Shutdown
)

const (
	readBufSize  = 4 << 10
	writeBufSize = 8 << 10
	// After an error response the server half-closes and reads (and
	// discards) what the client is still sending, so that closing does
	// not reset the connection before the client has read the response
	// (RFC 9112 §9.6). Like nginx's lingering close it goes on while bytes
	// keep coming (each read may wait lingerTimeout), for at most
	// maxLingerTime and maxLinger bytes: a client still writing a large
	// body on a busy machine gets its 413 instead of a reset.
	lingerTimeout = 2 * time.Second
	maxLingerTime = 10 * time.Second
	maxLinger     = 8 << 20
	// A file is sent in steps of this size, each with a fresh write
	// deadline.
	sendStep = 4 << 20
)

// conn is one client connection. All its fields are used by its own
// goroutine only, except state (Shutdown) and rwc.Close.
type conn struct {
	srv    *Server
	rwc    net.Conn
	log    *slog.Logger
	remote string
	isTLS  bool
	state  atomic.Int32
	// idleSince is when the connection last began to wait for a request
	// (Unix nanoseconds), for closing the longest-idle one at MaxConns.
	idleSince atomic.Int64
	// addrKey is the connection's entry in Server.perAddr, when
	// addrCounted.
	addrKey     netip.Addr
	addrCounted bool
	br          *bufio.Reader
	bw          *bufio.Writer
	raw         rawRequest
	req         Request
	resp        response
	body        body
	// inBody: socket reads are for a request body and get the deadline of
	// bodyDeadline; bodyWait and bodyBytes are the time spent waiting and
	// the bytes received since the body began.
	inBody    bool
	bodyWait  time.Duration
	bodyBytes int64
	reqStart  time.Time // the request's first byte, for Server.AccessLog
	// tail is written right after the buffered bytes by the next flush;
	// see writeThrough.
	tail        []byte
	tailWritten int
	iov         net.Buffers
	iovArray    [2][]byte

	maxHeader, maxTarget                                  int
	maxBody                                               int64
	headerTimeout, readTimeout, idleTimeout, writeTimeout time.Duration
	minBodyRate                                           float64 // bytes/s; 0: none
	bodyGrace                                             time.Duration
}

func newConn(s *Server, rwc net.Conn) *conn {
	c := &conn{
		srv:           s,
		rwc:           rwc,
		log:           s.log,
		remote:        rwc.RemoteAddr().String(),
		maxHeader:     orDefault(s.MaxHeaderBytes, DefaultMaxHeaderBytes),
		maxTarget:     orDefault(s.MaxTargetBytes, DefaultMaxTargetBytes),
		maxBody:       orDefault(s.MaxBodyBytes, DefaultMaxBodyBytes),
		headerTimeout: orDefault(s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		readTimeout:   orDefault(s.ReadTimeout, DefaultReadTimeout),
		idleTimeout:   orDefault(s.IdleTimeout, DefaultIdleTimeout),
		writeTimeout:  orDefault(s.WriteTimeout, DefaultWriteTimeout),
		minBodyRate:   float64(max(orDefault(s.MinBodyRate, DefaultMinBodyRate), 0)),
		bodyGrace:     orDefault(s.MinBodyRateGrace, DefaultMinBodyRateGrace),
	}
	_, c.isTLS = rwc.(*tls.Conn)
	c.br = bufio.NewReaderSize(connReader{c}, readBufSize)
	c.bw = bufio.NewWriterSize(connWriter{c}, writeBufSize)
	c.body.c = c
	c.req.body = &c.body
	c.req.Body = &c.body
	c.resp.c = c
	// A new connection counts as idle until its first byte: Shutdown may
	// close it, and so may a newer connection at MaxConns.
	c.idleSince.Store(time.Now().UnixNano())
	c.state.Store(stateIdle)
	return c
}

// deadline returns the deadline d from now; d < 0 means none.
func deadline(d time.Duration) time.Time {
	if d < 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// connReader is what the connection's bufio.Reader reads from. Before it
// blocks on the socket it flushes pending responses: pipelined responses
// are batched while the next request is already buffered, and sent as soon
// as the server has to wait for the client.
type connReader struct{ c *conn }

func (cr connReader) Read(p []byte) (int, error) {
	c := cr.c
	if err := c.flush(); err != nil {
		return 0, err
	}
	if !c.inBody {
		return c.rwc.Read(p)
	}
	start := time.Now()
	c.rwc.SetReadDeadline(c.bodyDeadline(start))
	n, err := c.rwc.Read(p)
	c.bodyWait += time.Since(start)
	c.bodyBytes += int64(n)
	return n, err
}

// bodyDeadline is when a read of body bytes starting at now times out: after
// ReadTimeout without a byte, or, once the grace period of waiting has
// passed, when the bytes received so far fall below MinBodyRate averaged
// over the time spent waiting for them (as Kestrel's MinRequestBodyDataRate
// does). Only time blocked on the socket counts, not the handler's own
// work between reads, so a slow disk is never blamed on the client.
func (c *conn) bodyDeadline(now time.Time) time.Time {
	d := c.readTimeout
	if d < 0 {
		d = math.MaxInt64 // no stall limit
	}
	if c.minBodyRate > 0 {
		// The wait the bytes so far pay for, at least the grace period,
		// less what has been waited already. At or below zero the
		// deadline is already past and the read fails at once.
		earned := max(c.bodyGrace, time.Duration(float64(c.bodyBytes)/c.minBodyRate*float64(time.Second)))
		d = min(d, earned-c.bodyWait)
	}
	if d == math.MaxInt64 {
		return time.Time{}
	}
	return now.Add(d)
}

// connWriter gives every write to the socket its own deadline.
type connWriter struct{ c *conn }

func (cw connWriter) Write(p []byte) (int, error) {
	c := cw.c
	c.rwc.SetWriteDeadline(deadline(c.writeTimeout))
	if c.tail == nil {
		return c.rwc.Write(p)
	}
	// writeThrough: p (what was buffered) and the tail go out together,
	// in one writev on a TCP connection.
	c.iov = append(c.iovArray[:0], p, c.tail)
	c.tail = nil
	n, err := c.iov.WriteTo(c.rwc)
	clear(c.iovArray[:]) // do not keep the handler's bytes alive
	c.tailWritten = int(max(n-int64(len(p)), 0))
	if n < int64(len(p)) {
		return int(n), err
	}
	return len(p), err
}

// writeThrough writes the buffered bytes and then p to the socket, in one
// system call where the connection allows (writev), instead of bufio's
// fill, write, write for a p larger than the buffer's free space: a
// response whose body does not fit the buffer leaves in one write, not
// two. It returns how many bytes of p were written.
func (c *conn) writeThrough(p []byte) (int, error) {
	c.tail, c.tailWritten = p, 0
	err := c.bw.Flush()
	if c.tail == nil {
		return c.tailWritten, err
	}
	// Flush did not reach connWriter: an earlier write failed, or (in
	// tests) the buffer writes elsewhere.
	c.tail = nil
	if err != nil {
		return 0, err
	}
	return c.bw.Write(p)
}

func (c *conn) flush() error {
	if c.bw.Buffered() == 0 {
		return nil
	}
	return c.bw.Flush()
}

// serve runs the connection: read a request, answer it, repeat, until the
// connection closes, a rule says to close, or the server shuts down.
func (c *conn) serve() {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("httpraw: connection panic", "panic", v, "remote", c.remote, "stack", string(debug.Stack()))
		}
		c.state.Store(stateClosed)
		c.rwc.Close()
		c.srv.trackConn(c, false)
		<-c.srv.sem
	}()
	if tc, ok := c.rwc.(*tls.Conn); ok {
		tc.SetDeadline(deadline(c.headerTimeout))
		if err := tc.Handshake(); err != nil {
			c.log.Debug("httpraw: TLS handshake failed", "remote", c.remote, "err", err)
			return
		}
		tc.SetWriteDeadline(time.Time{})
	}
	for first := true; ; first = false {
		if !c.awaitRequest(first) || !c.serveRequest() {
			return
		}
	}
}

// awaitRequest waits for the first byte of the next request. While it
// waits, the connection is idle and Shutdown may close it.
func (c *conn) awaitRequest(first bool) bool {
	if c.br.Buffered() == 0 {
		// Stamped before the flush, so that connections idle in the order
		// their clients saw their last responses (MaxConns closes the
		// oldest); the idle timeout runs from the same instant.
		now := time.Now()
		c.idleSince.Store(now.UnixNano())
		// Send the last response before idling: Shutdown may close an
		// idle connection at any moment.
		if c.flush() != nil {
			return false
		}
		d := c.idleTimeout
		if first {
			d = c.headerTimeout
		}
		if d < 0 {
			c.rwc.SetReadDeadline(time.Time{})
		} else {
			c.rwc.SetReadDeadline(now.Add(d))
		}
	}
	c.state.Store(stateIdle)
	if c.srv.shuttingDown() {
		return false
	}
	if _, err := c.br.Peek(1); err != nil {
		return false // closed, idle timeout, or closed by Shutdown
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return false
	}
	// The header timeout runs from the first byte: a client trickling a
	// header (slowloris) holds this goroutine for at most this long.
	if c.srv.AccessLog != nil {
		c.reqStart = time.Now()
	}
	c.rwc.SetReadDeadline(deadline(c.headerTimeout))
	return true
}

// serveRequest reads one request, runs the handler and finishes the
// response. It reports whether the connection may carry another request.
func (c *conn) serveRequest() bool {
	r, err := c.readRequest()
	if err != nil {
		c.rejectHead(err)
		return false
	}
	c.resp.reset(r)
	c.inBody = c.body.mode != bodyNone
	c.bodyWait, c.bodyBytes = 0, 0
	defer func() { c.inBody = false }()

	if !c.runHandler() {
		return false
	}
	w := &c.resp
	if !w.wroteHeader {
		// A handler that gave up on a body it could not read without
		// answering gets the answer the body deserves.
		switch {
		case c.body.tooLarge:
			Error(w, errorBody(413), 413)
		case errors.Is(c.body.err, ErrBodyTimeout):
			// RFC 9110 §15.5.9: the body did not arrive in time.
			Error(w, errorBody(408), 408)
		case c.body.broken && errors.Is(c.body.err, ErrMalformedBody):
			Error(w, errorBody(400), 400)
		}
	}
	w.finish()
	if log := c.srv.AccessLog; log != nil {
		log(r, w.status, w.written, time.Since(c.reqStart))
	}
	if w.err != nil {
		return false
	}
	if w.closeAfter || !c.body.drain() {
		c.closeLinger()
		return false
	}
	return true
}

// readRequest reads and checks the next request head into c.req and sets up
// its body reader.
func (c *conn) readRequest() (*Request, error) {
	if err := readRequestHead(c.br, &c.raw, c.maxTarget, c.maxHeader); err != nil {
		return nil, err
	}
	r := &c.req
	r.reset()
	materialize(&c.raw, r)
	r.RemoteAddr, r.TLS = c.remote, c.isTLS
	if err := c.prepare(r); err != nil {
		return nil, err
	}
	return r, nil
}

// prepare applies the request rules that need the whole head and sets up
// the body reader.
func (c *conn) prepare(r *Request) error {
	if err := parseTarget(r); err != nil {
		return err
	}
	expect, err := checkRequest(r)
	if err != nil {
		return err
	}
	mode, n, err := requestFraming(r)
	if err != nil {
		return err
	}
	r.ContentLength = n
	c.body.reset(mode, n, c.maxBody)
	c.body.expectContinue = expect && mode != bodyNone
	return nil
}

// runHandler calls the handler, turning a panic into a 500 (when nothing
// has been sent yet), a log entry with the stack, and a closed connection.
func (c *conn) runHandler() (ok bool) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		ok = false
		if v == ErrAbortHandler {
			return
		}
		c.log.Error("httpraw: handler panic", "panic", v, "path", c.req.Path, "remote", c.remote,
			"stack", string(debug.Stack()))
		if !c.resp.headerSent {
			c.writeError(500, "")
		}
		c.closeLinger()
	}()
	c.srv.handler().ServeHTTP(&c.resp, &c.req)
	return true
}

// rejectHead answers a request whose head broke a rule, then closes: after a
// framing error nothing more on this connection can be trusted, so no later
// request on it is read (that is what stops request smuggling).
func (c *conn) rejectHead(err error) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		c.log.Debug("httpraw: bad request", "status", se.code, "err", se.msg, "remote", c.remote)
		c.writeError(se.code, se.msg)
		c.closeLinger()
	case errors.Is(err, os.ErrDeadlineExceeded):
		// RFC 9110 §15.5.9: the header did not arrive in time.
		c.writeError(408, "")
		c.flush()
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	default:
		c.log.Debug("httpraw: read request", "err", err, "remote", c.remote)
	}
}

// writeError writes a complete plain-text error response that closes the
// connection.
func (c *conn) writeError(code int, msg string) {
	text := errorBody(code)
	if msg != "" {
		text = strconv.Itoa(code) + " " + StatusText(code) + ": " + msg + "\n"
	}
	bw := c.bw
	bw.WriteString(statusLine(code))
	bw.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ")
	bw.WriteString(strconv.Itoa(len(text)))
	bw.WriteString("\r\nConnection: close\r\nDate: ")
	bw.WriteString(httpDate())
	bw.WriteString("\r\n\r\n")
	bw.WriteString(text)
}

// writeContinue sends the interim 100 response (RFC 9110 §15.2.1).
func (c *conn) writeContinue() error {
	if c.resp.headerSent {
		// RFC 9110 §10.1.1: no 100 after the final status line.
		return nil
	}
	c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return c.flush()
}

// closeLinger flushes, half-closes and briefly reads what the client still
// sends, so the client sees the response before the connection goes away.
func (c *conn) closeLinger() {
	if c.flush() != nil {
		return
	}
	if cw, ok := c.rwc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	end := time.Now().Add(maxLingerTime)
	buf := make([]byte, 32<<10)
	for read := 0; read < maxLinger; {
		next := time.Now().Add(lingerTimeout)
		if next.After(end) {
			next = end
		}
		c.rwc.SetReadDeadline(next)
		n, err := c.rwc.Read(buf)
		read += n
		if err != nil {
			return
		}
	}
}

// sendFile writes n bytes of f as the body, straight to the socket so that
// on Linux the kernel copies them (sendfile). The header must declare the
// length.
func (w *response) sendFile(f *os.File, n int64) (int64, error) {
	c := w.c
	if !w.headerSent {
		w.sendHeader(false)
	}
	if err := c.flush(); err != nil {
		w.err = err
		return 0, err
	}
	var written int64
	for written < n {
		c.rwc.SetWriteDeadline(deadline(c.writeTimeout))
		m, err := io.CopyN(c.rwc, f, min(n-written, sendStep))
		written += m
		if err != nil {
			w.err = err
			w.written += written
			return written, err
		}
	}
	w.written += written
	return written, nil
}

type notFoundHandler struct{}

func (notFoundHandler) ServeHTTP(w ResponseWriter, r *Request) { Error(w, errorBody(404), 404) }

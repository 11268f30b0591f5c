package httpraw

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// TimeFormat is the HTTP-date format (RFC 9110 §5.6.7, IMF-fixdate), always
// in UTC.
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// bodyBufSize is how much body a response buffers before sending its header;
// a body that fits gets an exact Content-Length.
const bodyBufSize = 8 << 10

// response implements ResponseWriter for one request; a connection reuses it.
type response struct {
	c      *conn
	req    *Request
	header Header

	status      int
	wroteHeader bool // the handler (or Write) chose the status
	headerSent  bool // the header is in the connection's buffered writer
	isHead      bool
	chunked     bool
	closeAfter  bool  // the connection closes after this response
	declared    int64 // handler-set Content-Length, or -1
	written     int64 // body bytes accepted from the handler
	buf         []byte
	err         error    // a write to the connection failed
	scratch     [20]byte // for formatting numbers without allocating
}

func (w *response) reset(req *Request) {
	w.req = req
	w.header.reset()
	w.status = 0
	w.wroteHeader, w.headerSent, w.chunked, w.closeAfter = false, false, false, false
	w.isHead = req.Method == "HEAD"
	w.declared, w.written = -1, 0
	w.buf = w.buf[:0]
	w.err = nil
}

// Header returns the response header.
func (w *response) Header() *Header { return &w.header }

// WriteHeader records the status; see ResponseWriter.
func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		w.c.log.Debug("httpraw: superfluous WriteHeader", "status", code, "first", w.status, "path", w.req.Path)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("httpraw: invalid WriteHeader code %d", code))
	}
	if code < 200 {
		w.writeInterim(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, ok := parseContentLength(cl); ok {
			w.declared = n
		} else {
			w.c.log.Warn("httpraw: handler set an invalid Content-Length; ignored", "value", cl, "path", w.req.Path)
			w.header.Del("Content-Length")
		}
	}
}

// writeInterim sends a 1xx response (RFC 9110 §15.2), e.g. 103 Early Hints,
// with the header fields set so far.
func (w *response) writeInterim(code int) {
	if code == 100 || code == 101 {
		// 100 is the server's business (Expect); 101 needs a protocol
		// switch this server does not offer.
		w.c.log.Warn("httpraw: handler status ignored", "status", code)
		return
	}
	if w.req.ProtoMinor == 0 {
		return // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client
	}
	bw := w.c.bw
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + StatusText(code) + "\r\n")
	w.writeFields()
	bw.WriteString("\r\n")
	w.err = w.c.flush()
}

// Write buffers or sends body bytes; see ResponseWriter.
func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if !bodyAllowed(w.status) {
		return 0, ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		n, _ := w.Write(p[:w.declared-w.written])
		return n, ErrContentLength
	}
	if w.isHead {
		// RFC 9110 §9.3.2: HEAD gets the header GET would, no content;
		// count the bytes so Content-Length matches.
		w.written += int64(len(p))
		return len(p), nil
	}
	if !w.headerSent {
		if len(w.buf)+len(p) <= bodyBufSize {
			if w.buf == nil {
				w.buf = make([]byte, 0, bodyBufSize)
			}
			w.buf = append(w.buf, p...)
			w.written += int64(len(p))
			return len(p), nil
		}
		w.sendHeader(false)
	}
	n, err := w.writeBody(p)
	w.written += int64(n)
	return n, err
}

// Flush sends the header and buffered body; see ResponseWriter.
func (w *response) Flush() error {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if !w.headerSent {
		w.sendHeader(false)
	}
	if w.err != nil {
		return w.err
	}
	w.err = w.c.flush()
	return w.err
}

// writeBody writes p as body bytes after the header has been sent.
func (w *response) writeBody(p []byte) (int, error) {
	if len(p) == 0 || w.err != nil {
		return 0, w.err
	}
	bw := w.c.bw
	if !w.chunked && len(p) > bw.Available() && bw.Buffered() > 0 {
		// The header (or an earlier part) is buffered and p does not fit
		// beside it: send both in one write.
		n, err := w.c.writeThrough(p)
		if err != nil {
			w.err = err
		}
		return n, err
	}
	if w.chunked {
		// RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF.
		bw.Write(strconv.AppendInt(w.scratch[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil {
		w.err = err
	}
	return n, err
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	switch {
	case !w.headerSent:
		w.sendHeader(true)
	case w.chunked:
		// RFC 9112 §7.1: last-chunk, no trailers, final CRLF.
		w.c.bw.WriteString("0\r\n\r\n")
	case w.declared >= 0 && w.written < w.declared && !w.isHead:
		// The handler sent less than it declared: the client is left
		// waiting for bytes that will never come; closing tells it.
		w.closeAfter = true
	}
}

// sendHeader writes the status line and header into the connection's
// buffered writer, then any buffered body. final says the handler has
// returned, so the buffered body is the whole body.
func (w *response) sendHeader(final bool) {
	w.headerSent = true
	req := w.req
	if final && !req.body.complete() && !req.body.drain() {
		// RFC 9112 §9.3: the handler left a body unread. Read and discard
		// it (bounded) before answering, so the response can say
		// truthfully whether the connection stays open.
		w.closeAfter = true
	}
	if req.wantClose || w.c.srv.shuttingDown() || req.body.unreadOverDrain() || hasConnClose(&w.header) {
		w.closeAfter = true
	}
	if final && w.declared >= 0 && w.written < w.declared && !w.isHead && bodyAllowed(w.status) {
		// The handler returned having sent less than it declared: the
		// client would wait for bytes that never come; closing tells it.
		w.closeAfter = true
	}
	bw := w.c.bw
	if line := statusLine(w.status); line != "" {
		bw.WriteString(line)
	} else {
		bw.WriteString("HTTP/1.1 " + strconv.Itoa(w.status) + " " + StatusText(w.status) + "\r\n")
	}
	w.writeFields()
	if !w.header.has("Date") {
		// RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
	switch {
	case !bodyAllowed(w.status):
		// RFC 9110 §8.6: no Content-Length in 1xx or 204. A 304 may
		// repeat the one the handler declared.
		if w.status == 304 && w.declared >= 0 {
			bw.WriteString("Content-Length: ")
			bw.Write(strconv.AppendInt(w.scratch[:0], w.declared, 10))
			bw.WriteString("\r\n")
		}
	case w.declared >= 0:
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(w.scratch[:0], w.declared, 10))
		bw.WriteString("\r\n")
	case final:
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(w.scratch[:0], w.written, 10))
		bw.WriteString("\r\n")
	case w.isHead:
		// Length unknown and nothing will be sent: say nothing.
	case req.ProtoMinor >= 1:
		w.chunked = true
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	default:
		// RFC 9112 §6.3 ¶8: HTTP/1.0 has no chunked; the end of the
		// body is the close of the connection.
		w.closeAfter = true
	}
	if w.closeAfter {
		bw.WriteString("Connection: close\r\n")
	} else if req.ProtoMinor == 0 {
		// RFC 9112 §9.3: an HTTP/1.0 client that asked for keep-alive
		// needs to be told it got it.
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
	if len(w.buf) > 0 {
		w.writeBody(w.buf)
		w.buf = w.buf[:0]
	}
}

// Fields the server writes itself, whatever the handler set.
func serverOwned(name string) bool {
	return equalFold(name, "Content-Length") || equalFold(name, "Transfer-Encoding") ||
		equalFold(name, "Connection")
}

// writeFields writes the handler's fields, skipping the ones the server
// frames itself and any that would break the message: a CR or LF in a
// handler's value must never split the response.
func (w *response) writeFields() {
	bw := w.c.bw
	for _, f := range w.header.fields {
		if serverOwned(f.Name) {
			continue
		}
		if !isToken(f.Name) || !validFieldValue(f.Value) {
			w.c.log.Warn("httpraw: invalid response field dropped", "name", f.Name)
			continue
		}
		bw.WriteString(f.Name)
		bw.WriteString(": ")
		bw.WriteString(f.Value)
		bw.WriteString("\r\n")
	}
}

func hasConnClose(h *Header) bool {
	for _, f := range h.fields {
		if equalFold(f.Name, "Connection") && hasToken(f.Value, "close") {
			return true
		}
	}
	return false
}

var statusLineTable = func() (t [600]string) {
	for code := 100; code < 600; code++ {
		if text := StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return t
}()

func statusLine(code int) string {
	if code < len(statusLineTable) {
		return statusLineTable[code]
	}
	return ""
}

type dateEntry struct {
	sec int64
	s   string
}

var dateCache atomic.Pointer[dateEntry]

// httpDate returns the current time as an HTTP-date, formatted at most once
// per second.
func httpDate() string {
	now := time.Now()
	if e := dateCache.Load(); e != nil && e.sec == now.Unix() {
		return e.s
	}
	e := &dateEntry{now.Unix(), now.UTC().Format(TimeFormat)}
	dateCache.Store(e)
	return e.s
}

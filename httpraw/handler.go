package httpraw

import "strconv"

// Handler responds to one request.
//
// ServeHTTP runs on the connection's goroutine; the next request on the same
// connection is read only after it returns. The Request, its Header and Body
// and the ResponseWriter are valid only until ServeHTTP returns.
type Handler interface {
	ServeHTTP(w ResponseWriter, r *Request)
}

// HandlerFunc adapts an ordinary function to Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeHTTP calls f(w, r).
func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) { f(w, r) }

// ResponseWriter builds the response to one request.
//
// The server frames the response itself: when the handler has written the
// whole body before returning and it fits the server's response buffer
// (8 KiB), Content-Length is computed; a handler-set Content-Length is used
// as declared; otherwise the body is sent chunked (HTTP/1.1) or delimited by
// closing the connection (HTTP/1.0). Date and Connection are added.
type ResponseWriter interface {
	// Header returns the response header. Changes after the header has
	// been sent (WriteHeader followed by a Flush or a large Write) have no
	// effect.
	Header() *Header
	// WriteHeader sets the status code. The first call wins; later calls
	// are ignored (and logged at debug level).
	WriteHeader(status int)
	// Write writes body bytes, calling WriteHeader(200) first if needed.
	// It returns ErrBodyNotAllowed for 1xx/204/304 responses and
	// ErrContentLength past a declared Content-Length. For HEAD requests
	// the bytes are counted (for Content-Length) and discarded.
	Write(p []byte) (int, error)
	// Flush sends the header and whatever body is buffered to the client.
	// If no Content-Length was set and the header was not yet sent, the
	// response switches to chunked encoding (or to close-delimited for
	// HTTP/1.0).
	Flush() error
}

// Error replies with status code and a plain-text body msg followed by a
// newline. Headers other than Content-Type already set on w are kept.
func Error(w ResponseWriter, msg string, code int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	_, _ = w.Write([]byte(msg))
}

// errorBody returns the default body for an error status, e.g.
// "404 Not Found\n".
func errorBody(code int) string {
	return strconv.Itoa(code) + " " + StatusText(code) + "\n"
}

// Redirect replies with a redirect to url (an absolute path such as
// "/vlogs/3", or an absolute URL) and status code, typically 303 See Other
// after a POST (RFC 9110 §15.4.4). The response has no content. A url holding
// CR, LF or other control bytes is refused with 500 rather than sent.
func Redirect(w ResponseWriter, url string, code int) {
	if url == "" || !validFieldValue(url) {
		Error(w, errorBody(500), 500)
		return
	}
	w.Header().Set("Location", url)
	w.WriteHeader(code)
}

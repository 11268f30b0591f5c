package httpraw

import (
	"bytes"
	"io"
)

// recorder is a ResponseWriter for handler-level tests.
type recorder struct {
	header Header
	status int
	body   bytes.Buffer
	head   bool
}

func newRecorder(method string) *recorder { return &recorder{head: method == "HEAD"} }

func (w *recorder) Header() *Header { return &w.header }
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	if w.head {
		return len(p), nil
	}
	return w.body.Write(p)
}
func (w *recorder) Flush() error { return nil }

// testRequest builds a request as the server would after parsing.
func testRequest(method, target string) *Request {
	c := newTestConn(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")
	r, err := c.readRequest()
	if err != nil {
		panic(err)
	}
	return r
}

func testRequestRaw(raw string) *Request {
	c := newTestConn(raw)
	r, err := c.readRequest()
	if err != nil {
		panic(err)
	}
	return r
}

var _ io.Writer = (*recorder)(nil)

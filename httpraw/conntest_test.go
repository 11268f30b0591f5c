package httpraw

import (
	"bufio"
	"log/slog"
	"net"
	"strings"
)

// newTestConn returns a conn that reads raw and writes nowhere, for
// parser-level tests without sockets.
func newTestConn(raw string) *conn {
	return newTestConnReader(strings.NewReader(raw))
}

type readerConn struct {
	net.Conn
	r interface{ Read([]byte) (int, error) }
}

func (c readerConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c readerConn) Write(p []byte) (int, error) { return len(p), nil }

func newTestConnReader(r interface{ Read([]byte) (int, error) }) *conn {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	s.init()
	a, b := net.Pipe()
	b.Close()
	c := newConn(s, readerConn{Conn: a, r: r})
	c.br = bufio.NewReaderSize(r, readBufSize)
	return c
}

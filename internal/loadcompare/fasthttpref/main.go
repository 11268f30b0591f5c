// Command fasthttpref is a reference server for vlogd's load comparison
// (package vlogd/internal/loadcompare): it answers every request with one
// fixed response, read at start from the file named by its argument, using
// github.com/valyala/fasthttp. It is a module of its own so that fasthttp
// never enters vlogd's go.mod; the benchmark builds it with go build and
// runs it as one more server process.
//
// The response file holds header field lines ("Name: value\n"), an empty
// line, and the body. Like every server of the comparison, it listens on
// 127.0.0.1:0, announces "loadcompare: listening on ADDR gomaxprocs=N" on
// standard output, and stops when standard input is closed.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fasthttpref:", err)
		os.Exit(1)
	}
}

type field struct{ name, value string }

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: fasthttpref RESPONSE-FILE")
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	os.Remove(os.Args[1]) // written for this process alone
	head, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		return fmt.Errorf("%s: no empty line after the fields", os.Args[1])
	}
	var fields []field
	for line := range bytes.Lines(head) {
		name, value, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(": "))
		if !ok {
			return fmt.Errorf("%s: bad field line %q", os.Args[1], line)
		}
		fields = append(fields, field{string(name), string(value)})
	}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			h := &ctx.Response.Header
			for _, f := range fields {
				h.Set(f.name, f.value)
			}
			ctx.Response.SetBodyRaw(body)
		},
		// httpraw's default limits, so that every server sets the same
		// deadlines per request.
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        16 << 10,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Printf("loadcompare: listening on %s gomaxprocs=%d\n", l.Addr(), runtime.GOMAXPROCS(0))
	stdin := make(chan struct{})
	go func() {
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stdin)
	}()
	select {
	case err := <-served:
		return fmt.Errorf("server stopped early: %w", err)
	case <-stdin:
	}
	return srv.Shutdown()
}

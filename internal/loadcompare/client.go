package loadcompare

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Response is one response read by Probe.
type Response struct {
	Status int
	Fields []Field // in the order received
	Body   []byte
	Size   int // bytes on the wire, head and body
}

// Field is one header field line of a Response.
type Field struct{ Name, Value string }

// Get returns the value of the first field named name (ASCII
// case-insensitive), or "".
func (r *Response) Get(name string) string {
	for _, f := range r.Fields {
		if asciiEqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Probe sends req once to addr on a new connection and returns the response.
// Only Content-Length framing is understood; a chunked response is an error.
func Probe(addr string, req []byte) (*Response, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	var resp Response
	cr := &countingReader{r: c}
	br := bufio.NewReader(cr)
	n, status, err := readHead(br, func(name, value []byte) {
		resp.Fields = append(resp.Fields, Field{string(name), string(value)})
	})
	if err != nil {
		return nil, err
	}
	resp.Status = status
	resp.Body = make([]byte, n)
	if _, err := io.ReadFull(br, resp.Body); err != nil {
		return nil, fmt.Errorf("loadcompare: response body: %w", err)
	}
	resp.Size = cr.n - br.Buffered()
	return &resp, nil
}

type countingReader struct {
	r net.Conn
	n int
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += n
	return n, err
}

var errChunked = errors.New("loadcompare: response is not framed by Content-Length")

// readHead reads a response head from br and returns the Content-Length and
// the status code; field, if not nil, sees every field line. It is the
// whole response parser of the load generator: it does the least a client
// must (find the length of the body) so that its cost is small and the
// same for every server.
func readHead(br *bufio.Reader, field func(name, value []byte)) (length, status int, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, fmt.Errorf("loadcompare: status line: %w", err)
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 14 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[12] != ' ' && line[12] != '\r' {
		return 0, 0, fmt.Errorf("loadcompare: bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, fmt.Errorf("loadcompare: bad status line %q", line)
	}
	length = -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, 0, fmt.Errorf("loadcompare: header: %w", err)
		}
		if len(line) == 2 && line[0] == '\r' {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || len(line) < 2 || line[len(line)-2] != '\r' {
			return 0, 0, fmt.Errorf("loadcompare: bad field line %q", line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:len(line)-2])
		switch {
		case len(name) == len("Content-Length") && asciiEqualFoldBytes(name, "Content-Length"):
			length = 0
			for _, c := range value {
				if c < '0' || c > '9' {
					return 0, 0, fmt.Errorf("loadcompare: bad Content-Length %q", value)
				}
				length = length*10 + int(c-'0')
			}
		case asciiEqualFoldBytes(name, "Transfer-Encoding"):
			return 0, 0, errChunked
		}
		if field != nil {
			field(name, value)
		}
	}
	if status == 304 || status == 204 {
		// RFC 9112 §6.3: these never have content, whatever the fields say.
		return 0, status, nil
	}
	if length < 0 {
		return 0, 0, errChunked
	}
	return length, status, nil
}

func asciiEqualFold(a, b string) bool { return asciiEqualFoldBytes([]byte(a), b) }

func asciiEqualFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

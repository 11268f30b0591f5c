package loadcompare

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestReadHead(t *testing.T) {
	for _, tc := range []struct {
		raw            string
		length, status int
		ok             bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5, 200, true},
		{"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nDate: x\r\n\r\n", 0, 200, true},
		{"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n", 10, 404, true},
		{"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", 1, 200, true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, false},
		{"HTTP/1.1 200 OK\r\n\r\n", 0, 0, false}, // no length
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, 0, false},
		{"HTTP/1.1 200 OK\nContent-Length: 1\n\n", 0, 0, false},
		{"SSH-2.0-OpenSSH\r\n", 0, 0, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 0, 0, false}, // cut short
	} {
		n, status, err := readHead(bufio.NewReader(strings.NewReader(tc.raw)), nil)
		if (err == nil) != tc.ok || tc.ok && (n != tc.length || status != tc.status) {
			t.Errorf("readHead(%q) = %d, %d, %v; want %d, %d, ok %v", tc.raw, n, status, err, tc.length, tc.status, tc.ok)
		}
	}
}

func TestSameRepresentation(t *testing.T) {
	a := &Response{Status: 200, Body: []byte("x"), Fields: []Field{{"ETag", `"1"`}, {"Date", "a"}, {"Content-Length", "1"}}}
	b := &Response{Status: 200, Body: []byte("x"), Fields: []Field{{"Content-Length", "1"}, {"Etag", `"1"`}, {"Date", "b"}}}
	if err := SameRepresentation(a, b); err != nil {
		t.Errorf("SameRepresentation = %v, want nil (order, name case and Date do not count)", err)
	}
	c := &Response{Status: 200, Body: []byte("x"), Fields: []Field{{"ETag", `"2"`}, {"Content-Length", "1"}}}
	if SameRepresentation(a, c) == nil {
		t.Errorf("SameRepresentation of different ETags = nil")
	}
	d := &Response{Status: 200, Body: []byte("y"), Fields: a.Fields}
	if SameRepresentation(a, d) == nil {
		t.Errorf("SameRepresentation of different bodies = nil")
	}
}

func TestProcCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	// Spend some CPU so that the 10 ms clock ticks see it.
	x := 0
	for d := selfCPUTime(); selfCPUTime()-d < 30e6; {
		x++
	}
	got, err := procCPUTime(os.Getpid())
	if err != nil || got <= 0 || got > selfCPUTime()+20e6 {
		t.Errorf("procCPUTime(self) = %v, %v; getrusage says %v", got, err, selfCPUTime())
	}
}

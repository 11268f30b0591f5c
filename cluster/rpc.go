package cluster

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// vlogd's own requests between members travel on the rpc channel of an
// authenticated connection as frames: a 4-byte big-endian length, then that
// many bytes of msgpack (one rpcRequest or rpcResponse). A connection
// carries one request at a time, answered in order, and is reused.

// maxFrame bounds one frame; a larger length is refused before anything is
// allocated for it. A proposal is one store operation (media never travel
// in the log), far below this.
const maxFrame = 32 << 20

const (
	rpcPropose = 1 // Data: an enveloped proposal for the leader to apply
	rpcJoin    = 2 // ID, Addr: add a voter
	rpcRemove  = 3 // ID: remove a server
)

const (
	codeOK        = 0
	codeNotLeader = 1 // not applied; Leader names the leader if known: try there
	codeNoQuorum  = 2 // leadership lost or timed out: outcome unknown
	codeRejected  = 3 // refused, nothing applied
)

type rpcRequest struct {
	Kind uint8  `msgpack:"k"`
	Data []byte `msgpack:"d,omitempty"`
	ID   string `msgpack:"i,omitempty"`
	Addr string `msgpack:"a,omitempty"`
}

type rpcResponse struct {
	Code   uint8  `msgpack:"c"`
	Index  uint64 `msgpack:"x,omitempty"`
	Leader string `msgpack:"l,omitempty"`
	Msg    string `msgpack:"m,omitempty"`
}

func writeFrame(w io.Writer, v any) error {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return fmt.Errorf("cluster: frame of %d bytes exceeds %d", len(b), maxFrame)
	}
	buf := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	_, err = w.Write(append(buf, b...))
	return err
}

// readFrame reads one frame into v. io.EOF means the peer closed cleanly
// between frames; anything else malformed is an error and the connection
// must be dropped.
func readFrame(r io.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > maxFrame {
		return fmt.Errorf("cluster: frame length %d out of range", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if err := msgpack.Unmarshal(b, v); err != nil {
		return fmt.Errorf("cluster: malformed frame: %w", err)
	}
	return nil
}

// serveRPC answers requests on one authenticated rpc connection until the
// peer closes it or sends something malformed.
func (n *Node) serveRPC(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		var req rpcRequest
		if err := readFrame(r, &req); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.logger.Warn("cluster: rpc", "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		resp := n.handleRPC(req)
		if err := writeFrame(c, resp); err != nil {
			return
		}
	}
}

// rpcClient keeps a few idle authenticated rpc connections per peer.
type rpcClient struct {
	s    *streamLayer
	mu   sync.Mutex
	idle map[string][]net.Conn
}

const maxIdlePerPeer = 4

func (rc *rpcClient) call(addr string, req rpcRequest, deadline time.Time) (rpcResponse, error) {
	c, err := rc.get(addr, deadline)
	if err != nil {
		return rpcResponse{}, err
	}
	var resp rpcResponse
	if err := c.SetDeadline(deadline); err != nil {
		c.Close()
		return resp, err
	}
	if err := writeFrame(c, req); err != nil {
		c.Close()
		return resp, fmt.Errorf("cluster: send to %s: %w", addr, err)
	}
	if err := readFrame(c, &resp); err != nil {
		c.Close()
		return resp, fmt.Errorf("cluster: answer from %s: %w", addr, err)
	}
	c.SetDeadline(time.Time{})
	rc.put(addr, c)
	return resp, nil
}

// errNotSent wraps failures that happened before a request left this
// node, so it certainly was not acted on.
type errNotSent struct{ err error }

func (e errNotSent) Error() string { return e.err.Error() }
func (e errNotSent) Unwrap() error { return e.err }

func (rc *rpcClient) get(addr string, deadline time.Time) (net.Conn, error) {
	for {
		rc.mu.Lock()
		l := rc.idle[addr]
		if len(l) == 0 {
			rc.mu.Unlock()
			break
		}
		c := l[len(l)-1]
		rc.idle[addr] = l[:len(l)-1]
		rc.mu.Unlock()
		if alive(c) {
			return c, nil
		}
		c.Close()
	}
	c, err := rc.s.dial(addr, chanRPC, deadline)
	if err != nil {
		return nil, errNotSent{err}
	}
	return c, nil
}

// alive tells whether an idle connection still works. The peer sends
// nothing between answers, so bytes waiting (a TLS close alert) or EOF
// (it restarted) mean it is gone: reusing it would make a proposal's fate
// unknown for nothing. It peeks at the socket without blocking or
// consuming; a deadline-based read cannot, as Go fails an expired
// deadline before it tries the socket.
func alive(c net.Conn) bool {
	if tc, ok := c.(*trackedConn); ok {
		c = tc.Conn
	}
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	live := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		live = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true // never wait for readiness
	})
	return err == nil && live
}

func (rc *rpcClient) put(addr string, c net.Conn) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.idle[addr]) >= maxIdlePerPeer {
		c.Close()
		return
	}
	rc.idle[addr] = append(rc.idle[addr], c)
}

func (rc *rpcClient) close() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, l := range rc.idle {
		for _, c := range l {
			c.Close()
		}
	}
	rc.idle = map[string][]net.Conn{}
}

package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// defaultHandshakeTimeout bounds how long a peer may take to prove itself
// (TLS and the HMAC exchange); a silent or slow peer is dropped after it.
const defaultHandshakeTimeout = 5 * time.Second

// streamLayer is the authenticated transport under raft: a TCP listener
// whose every connection, in and out, passes the handshake of auth.go
// before it is handed on. Raft connections go to Accept (and so to
// raft.NetworkTransport); rpc connections go to onRPC.
type streamLayer struct {
	ln       net.Listener
	key      []byte
	tlsCfg   *tls.Config
	timeout  time.Duration
	logger   *slog.Logger
	onRPC    func(net.Conn)
	raftConn chan net.Conn
	done     chan struct{}
	once     sync.Once

	// isolated cuts this node off from every peer, in and out, for the
	// partition tests: dials fail, accepted connections are closed, and
	// connections open when it is set are closed.
	isolated atomic.Bool
	mu       sync.Mutex
	conns    map[*trackedConn]struct{}
}

func newStreamLayer(addr string, key []byte, timeout time.Duration, logger *slog.Logger) (*streamLayer, error) {
	cert, err := selfSignedCert()
	if err != nil {
		return nil, fmt.Errorf("cluster: certificate: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: listen %s: %w", addr, err)
	}
	if timeout <= 0 {
		timeout = defaultHandshakeTimeout
	}
	s := &streamLayer{
		ln:       ln,
		key:      key,
		tlsCfg:   &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}},
		timeout:  timeout,
		logger:   logger,
		raftConn: make(chan net.Conn),
		done:     make(chan struct{}),
		conns:    map[*trackedConn]struct{}{},
	}
	go s.acceptLoop()
	return s, nil
}

// newDialer is a stream layer that only dials: for tools that talk to a
// cluster without being a member.
func newDialer(key []byte, timeout time.Duration, logger *slog.Logger) *streamLayer {
	if timeout <= 0 {
		timeout = defaultHandshakeTimeout
	}
	return &streamLayer{key: key, timeout: timeout, logger: logger, done: make(chan struct{}), conns: map[*trackedConn]struct{}{}}
}

func (s *streamLayer) acceptLoop() {
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			s.logger.Warn("cluster: accept", "err", err)
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		go s.admit(raw)
	}
}

// admit authenticates one inbound connection and routes it by channel.
func (s *streamLayer) admit(raw net.Conn) {
	if s.isolated.Load() {
		raw.Close()
		return
	}
	c, ch, err := handshakeAcceptor(raw, s.key, s.tlsCfg, time.Now().Add(s.timeout))
	if err != nil {
		s.logger.Warn("cluster: refused connection", "remote", raw.RemoteAddr().String(), "err", err)
		raw.Close()
		return
	}
	tc := s.track(c)
	if tc == nil {
		return
	}
	switch ch {
	case chanRaft:
		select {
		case s.raftConn <- tc:
		case <-s.done:
			tc.Close()
		}
	case chanRPC:
		s.onRPC(tc)
	}
}

// Accept implements net.Listener for raft: it returns authenticated raft
// connections only.
func (s *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.raftConn:
		return c, nil
	case <-s.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes every connection of this layer.
func (s *streamLayer) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		if s.ln != nil {
			err = s.ln.Close()
		}
		s.closeAll()
	})
	return err
}

// Addr is the listening address.
func (s *streamLayer) Addr() net.Addr { return s.ln.Addr() }

// Dial implements raft.StreamLayer: an authenticated raft connection.
func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return s.dial(string(address), chanRaft, time.Now().Add(timeout))
}

// dial opens an authenticated connection to addr for channel ch.
func (s *streamLayer) dial(addr string, ch byte, deadline time.Time) (net.Conn, error) {
	if s.isolated.Load() {
		return nil, fmt.Errorf("cluster: dial %s: node isolated", addr)
	}
	select {
	case <-s.done:
		return nil, ErrShutdown
	default:
	}
	if hs := time.Now().Add(s.timeout); hs.Before(deadline) {
		deadline = hs
	}
	d := net.Dialer{Deadline: deadline}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: dial %s: %w", addr, err)
	}
	c, err := handshakeDialer(raw, s.key, ch, deadline)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("cluster: handshake with %s: %w", addr, err)
	}
	tc := s.track(c)
	if tc == nil {
		return nil, fmt.Errorf("cluster: dial %s: node isolated or shut down", addr)
	}
	return tc, nil
}

// setIsolated cuts (true) or restores (false) every path to and from this
// node. Only tests call it.
func (s *streamLayer) setIsolated(v bool) {
	s.isolated.Store(v)
	if v {
		s.closeAll()
	}
}

func (s *streamLayer) closeAll() {
	s.mu.Lock()
	all := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

// track registers c so Close and setIsolated can cut it; it returns nil
// (and closes c) when the layer is closed or isolated.
func (s *streamLayer) track(c net.Conn) *trackedConn {
	tc := &trackedConn{Conn: c, s: s}
	s.mu.Lock()
	closed := false
	select {
	case <-s.done:
		closed = true
	default:
	}
	if closed || s.isolated.Load() {
		s.mu.Unlock()
		c.Close()
		return nil
	}
	s.conns[tc] = struct{}{}
	s.mu.Unlock()
	return tc
}

type trackedConn struct {
	net.Conn
	s    *streamLayer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// selfSignedCert makes a throwaway certificate for the TLS layer. Peers do
// not verify it; the secret-bound handshake authenticates them.
func selfSignedCert() (tls.Certificate, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vlogd-cluster"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(100 * 365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

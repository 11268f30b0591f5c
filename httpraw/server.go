package httpraw

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults for the Server fields whose zero value means "default".
const (
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultMaxTargetBytes    = 8 << 10
	DefaultMaxBodyBytes      = 1 << 20
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultMaxConns          = 10000
	DefaultMaxConnsPerAddr   = 128
	DefaultMinBodyRate       = 240 // bytes per second, as Kestrel's default
	DefaultMinBodyRateGrace  = 5 * time.Second
)

// Server serves HTTP/1.1 (and 1.0) on the connections of a net.Listener.
//
// The zero value of every limit means its default; set the fields before
// calling Serve and do not change them afterwards.
type Server struct {
	// Handler answers every request; nil answers 404 to everything.
	Handler Handler
	// Logger receives connection and handler errors; nil discards them.
	Logger *slog.Logger
	// MaxHeaderBytes bounds the header section (the field lines after the
	// request line); a larger one is answered 431. 0 means 16 KiB.
	MaxHeaderBytes int
	// MaxTargetBytes bounds the request-target; a longer one is answered
	// 414. 0 means 8 KiB.
	MaxTargetBytes int
	// MaxBodyBytes is the default body limit of each request (see
	// Request.SetBodyLimit and ErrBodyTooLarge). 0 means 1 MiB; negative
	// means no limit.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds the time from the first byte of a request
	// to the end of its header section (and, for a new connection, from
	// accepting it). 0 means 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds each wait for request body bytes, whatever the
	// rate so far: a body that stalls this long is cut off (see
	// ErrBodyTimeout). 0 means 60s.
	ReadTimeout time.Duration
	// MinBodyRate is the slowest a request body may arrive, in bytes per
	// second averaged over the time spent waiting for it, once
	// MinBodyRateGrace of waiting has passed. A slower body fails with
	// ErrBodyTimeout: the request is answered 408 and the connection
	// closed, so a client trickling a body cannot hold a connection and
	// a handler for long. 0 means 240; negative turns the check off.
	MinBodyRate int
	// MinBodyRateGrace is how long a body may take before MinBodyRate
	// applies. 0 means 5s.
	MinBodyRateGrace time.Duration
	// IdleTimeout bounds the wait for the next request on a keep-alive
	// connection. 0 means 120s.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to the connection (a large body is
	// written in steps, each with its own deadline, so a long download
	// that keeps moving is not cut off). 0 means 60s.
	WriteTimeout time.Duration
	// MaxConns caps open connections. At the cap, a newly accepted
	// connection is admitted by closing the connection that has been
	// idle (waiting for its next request) the longest, as nginx reuses
	// its idle keep-alive connections when it runs out; when none is
	// idle, Serve waits for one to close or go idle, and further clients
	// wait in the kernel's backlog. So connections that went quiet can
	// never lock new visitors out. 0 means 10000.
	MaxConns int
	// MaxConnsPerAddr caps the open connections from one client address
	// (one IPv4 address, or one IPv6 /64, which a single host can
	// usually choose from); a connection over it is closed as soon as it
	// is accepted. Peers in TrustedProxies are exempt. 0 means 128;
	// negative means no cap.
	MaxConnsPerAddr int
	// TrustedProxies are peers that carry many clients' connections (a
	// reverse proxy) and so are exempt from MaxConnsPerAddr.
	TrustedProxies []netip.Prefix
	// AccessLog, when set, is called on the connection's goroutine after
	// each response is complete (before its bytes are necessarily
	// flushed), with the request, the status sent, the body bytes the
	// handler wrote (for HEAD, the bytes it would have sent) and the time
	// from the request's first byte. Requests refused while their head
	// was read (400, 431, …) are not included.
	AccessLog func(r *Request, status int, bytes int64, dur time.Duration)
	// TLSConfig, when set, makes Serve wrap the listener with crypto/tls;
	// Request.TLS is then true.
	TLSConfig *tls.Config

	initOnce   sync.Once
	log        *slog.Logger
	sem        chan struct{}
	done       chan struct{} // closed by Shutdown
	connGone   chan struct{} // signalled when a connection ends
	inShutdown atomic.Bool
	open       atomic.Int64

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perAddr   map[netip.Addr]int // open connections by addrKey
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		s.sem = make(chan struct{}, orDefault(s.MaxConns, DefaultMaxConns))
		s.done = make(chan struct{})
		s.connGone = make(chan struct{}, 1)
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[*conn]struct{})
		s.perAddr = make(map[netip.Addr]int)
	})
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each on its own goroutine. It
// blocks until l fails or Shutdown is called, and then returns
// ErrServerClosed (after Shutdown) or the accept error. Serve closes l.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	if s.TLSConfig != nil {
		cfg := s.TLSConfig.Clone()
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"http/1.1"} // ALPN: this server speaks HTTP/1.1 only
		}
		l = tls.NewListener(l, cfg)
	}
	if !s.trackListener(l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(l, false)
	defer l.Close()

	var backoff time.Duration
	for {
		rwc, err := l.Accept()
		if err != nil {
			if s.shuttingDown() {
				return ErrServerClosed
			}
			if !temporaryAcceptError(err) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Error("httpraw: accept failed; retrying", "err", err, "dur", backoff)
			select {
			case <-time.After(backoff):
			case <-s.done:
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		key, counted := s.admitAddr(rwc)
		if !counted && key.IsValid() {
			// MaxConnsPerAddr: closed before it costs a goroutine or
			// buffers, and before it can push anyone's idle connection
			// out at the cap.
			s.log.Debug("httpraw: too many connections from one address; closed", "remote", rwc.RemoteAddr().String())
			rwc.Close()
			continue
		}
		if !s.acquireSlot() {
			rwc.Close()
			s.releaseAddr(key, counted)
			return ErrServerClosed
		}
		c := newConn(s, rwc)
		c.addrKey, c.addrCounted = key, counted
		if !s.trackConn(c, true) {
			rwc.Close()
			s.releaseAddr(key, counted)
			<-s.sem
			return ErrServerClosed
		}
		go c.serve()
	}
}

// evictRetry is how often Serve, at MaxConns with no idle connection to
// close, looks again for one that has gone idle since.
const evictRetry = 50 * time.Millisecond

// acquireSlot takes one of the MaxConns slots for a connection that has
// been accepted, closing the longest-idle connection to make room when all
// are taken. It returns false if the server shuts down while it waits.
func (s *Server) acquireSlot() bool {
	select {
	case s.sem <- struct{}{}:
		return true
	default:
	}
	var retry *time.Timer
	for {
		// The closed connection's goroutine gives its slot back.
		s.closeOldestIdle()
		if retry == nil {
			retry = time.NewTimer(evictRetry)
			defer retry.Stop()
		} else {
			retry.Reset(evictRetry)
		}
		select {
		case s.sem <- struct{}{}:
			return true
		case <-s.done:
			return false
		case <-retry.C:
		}
	}
}

// closeOldestIdle closes the connection that has waited longest for its
// next request, if any is waiting. It scans every connection, which is
// cheap next to what it saves and happens only at the cap.
func (s *Server) closeOldestIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var oldest *conn
		var since int64
		for c := range s.conns {
			if c.state.Load() != stateIdle {
				continue
			}
			if t := c.idleSince.Load(); oldest == nil || t < since {
				oldest, since = c, t
			}
		}
		if oldest == nil {
			return
		}
		// The same compare-and-swap as Shutdown's: a connection whose
		// request has begun to arrive is left alone.
		if oldest.state.CompareAndSwap(stateIdle, stateClosed) {
			oldest.rwc.Close()
			return
		}
	}
}

// addrKey is what MaxConnsPerAddr counts connections by: the IPv4 address,
// or the IPv6 /64. It is invalid (not counted) for peers that are not
// IP addresses or are trusted proxies.
func (s *Server) addrKey(rwc net.Conn) netip.Addr {
	ta, ok := rwc.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return netip.Addr{}
		}
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// admitAddr counts a new connection against its address. It returns the
// key and whether it was counted; a valid key that was not counted means
// the address is at MaxConnsPerAddr.
func (s *Server) admitAddr(rwc net.Conn) (netip.Addr, bool) {
	limit := orDefault(s.MaxConnsPerAddr, DefaultMaxConnsPerAddr)
	if limit < 0 {
		return netip.Addr{}, false
	}
	key := s.addrKey(rwc)
	if !key.IsValid() {
		return key, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perAddr[key] >= limit {
		return key, false
	}
	s.perAddr[key]++
	return key, true
}

// releaseAddr undoes admitAddr for a connection that has closed.
func (s *Server) releaseAddr(key netip.Addr, counted bool) {
	if !counted {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseAddrLocked(key)
}

func (s *Server) releaseAddrLocked(key netip.Addr) {
	if n := s.perAddr[key] - 1; n > 0 {
		s.perAddr[key] = n
	} else {
		delete(s.perAddr, key)
	}
}

func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS,
		syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// Shutdown stops the server gracefully: it closes the listeners, closes idle
// connections, lets requests in flight finish (their connections close after
// the response), and returns nil once every connection is closed. If ctx
// ends first, the remaining connections are closed forcibly and ctx's error
// is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	if !s.inShutdown.Swap(true) {
		close(s.done)
	}
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeIdle()
		if s.open.Load() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				c.rwc.Close()
			}
			s.mu.Unlock()
			return ctx.Err()
		case <-s.connGone:
		case <-tick.C:
		}
	}
}

// OpenConns returns the number of open connections.
func (s *Server) OpenConns() int { return int(s.open.Load()) }

func (s *Server) shuttingDown() bool { return s.inShutdown.Load() }

// closeIdle closes connections waiting for a request. A connection that is
// between requests changes its state with a compare-and-swap, so a request
// that has begun to arrive is never cut off.
func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.rwc.Close()
		}
	}
}

func (s *Server) trackListener(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shuttingDown() {
			return false
		}
		s.listeners[l] = struct{}{}
	} else {
		delete(s.listeners, l)
	}
	return true
}

func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shuttingDown() {
			return false
		}
		s.conns[c] = struct{}{}
		s.open.Add(1)
		return true
	}
	delete(s.conns, c)
	if c.addrCounted {
		s.releaseAddrLocked(c.addrKey)
	}
	s.open.Add(-1)
	select {
	case s.connGone <- struct{}{}:
	default:
	}
	return true
}

func (s *Server) handler() Handler {
	if s.Handler == nil {
		return notFoundHandler{}
	}
	return s.Handler
}

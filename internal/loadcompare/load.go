package loadcompare

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Round is what one round of load measured on one server.
type Round struct {
	Server    string
	Requests  int64         // responses completed in the measured interval
	Elapsed   time.Duration // the measured interval
	ServerCPU time.Duration // the server process's user+system time in the interval
	ClientCPU time.Duration // this process's user+system time in the interval
	P50, P99  time.Duration // latency from writing a request to reading the last body byte
}

// ReqPerSec returns the throughput of the round.
func (r Round) ReqPerSec() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// ServerCPUPerReq returns the server's CPU time per request, in microseconds.
func (r Round) ServerCPUPerReq() float64 {
	return float64(r.ServerCPU.Microseconds()) / float64(r.Requests)
}

// ClientCPUPerReq returns the load generator's CPU time per request, in
// microseconds.
func (r Round) ClientCPUPerReq() float64 {
	return float64(r.ClientCPU.Microseconds()) / float64(r.Requests)
}

// ServerUtil returns the server's CPU time as a fraction of the wall time:
// near 1 (one CPU) means the server was the bottleneck.
func (r Round) ServerUtil() float64 { return r.ServerCPU.Seconds() / r.Elapsed.Seconds() }

// ClientUtil is ServerUtil for the load generator.
func (r Round) ClientUtil() float64 { return r.ClientCPU.Seconds() / r.Elapsed.Seconds() }

// Round phases, in order.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// worker is one keep-alive connection of the load generator.
type worker struct {
	conn net.Conn
	br   *bufio.Reader
	n    int64
	lat  []time.Duration
	err  error
}

// run sends req, reads the response, and repeats until the phase is
// phaseStop. A response must be a 200 with a body of bodyLen bytes. Only
// responses completed while measuring are counted. The loop allocates
// nothing once lat has grown to size.
func (w *worker) run(req []byte, wantStatus, bodyLen int, phase *atomic.Int32) {
	for phase.Load() != phaseStop {
		t0 := time.Now()
		if _, err := w.conn.Write(req); err != nil {
			w.err = err
			return
		}
		n, status, err := readHead(w.br, nil)
		if err != nil {
			w.err = err
			return
		}
		if status != wantStatus || n != bodyLen {
			w.err = fmt.Errorf("loadcompare: got status %d with %d body bytes, want %d with %d", status, n, wantStatus, bodyLen)
			return
		}
		if _, err := w.br.Discard(n); err != nil {
			w.err = err
			return
		}
		if phase.Load() == phaseMeasure {
			w.n++
			w.lat = append(w.lat, time.Since(t0))
		}
	}
}

// Load runs one round against s: conns connections send req over and over
// for warmup, then for dur while being measured. Every response must be a
// 200 with a body of bodyLen bytes.
func (s *Server) Load(req []byte, bodyLen, conns int, warmup, dur time.Duration) (Round, error) {
	return s.LoadStatus(req, 200, bodyLen, conns, warmup, dur)
}

// LoadStatus is Load for responses of another status, such as 304.
func (s *Server) LoadStatus(req []byte, status, bodyLen, conns int, warmup, dur time.Duration) (Round, error) {
	rd := Round{Server: s.Name}
	workers := make([]*worker, conns)
	end := time.Now().Add(warmup + dur + 30*time.Second) // a stuck server fails the round, never hangs it
	for i := range workers {
		c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
		if err != nil {
			for _, w := range workers[:i] {
				w.conn.Close()
			}
			return rd, fmt.Errorf("loadcompare: dial %s: %w", s.Name, err)
		}
		c.SetDeadline(end)
		workers[i] = &worker{conn: c, br: bufio.NewReaderSize(c, 64<<10),
			lat: make([]time.Duration, 0, 1<<14)}
	}
	defer func() {
		for _, w := range workers {
			w.conn.Close()
		}
	}()

	var phase atomic.Int32
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(req, status, bodyLen, &phase) })
	}
	time.Sleep(warmup)
	srv0, err := s.cpuTime()
	if err != nil {
		phase.Store(phaseStop)
		wg.Wait()
		return rd, err
	}
	cli0 := selfCPUTime()
	t0 := time.Now()
	phase.Store(phaseMeasure)

	time.Sleep(dur)

	phase.Store(phaseStop)
	rd.Elapsed = time.Since(t0)
	srv1, err := s.cpuTime()
	rd.ClientCPU = selfCPUTime() - cli0
	wg.Wait()
	if err != nil {
		return rd, err
	}
	rd.ServerCPU = srv1 - srv0

	var lat []time.Duration
	for _, w := range workers {
		if w.err != nil {
			return rd, fmt.Errorf("loadcompare: %s: %w", s.Name, w.err)
		}
		rd.Requests += w.n
		lat = append(lat, w.lat...)
	}
	if rd.Requests == 0 {
		return rd, fmt.Errorf("loadcompare: %s answered no request in %v", s.Name, dur)
	}
	slices.Sort(lat)
	rd.P50 = lat[len(lat)/2]
	rd.P99 = lat[len(lat)*99/100]
	return rd, nil
}

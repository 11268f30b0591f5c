package web

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"vlogd/httpraw"
)

// Metrics gathers what /metrics reports in the Prometheus text format. It
// is fed by the site's own middleware (requests), by the store through the
// Observe methods (log batches, snapshots), and by gauges read at scrape
// time. All methods are safe for concurrent use; the zero value is not:
// use NewMetrics.
type Metrics struct {
	requests  [6]atomic.Uint64 // by status class: index 1 is 1xx … 5 is 5xx
	duration  *histogram
	appends   atomic.Uint64
	fsync     *histogram
	batchSize *histogram
	snapshot  *histogram
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		duration:  newHistogram(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10),
		fsync:     newHistogram(.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1),
		batchSize: newHistogram(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
		snapshot:  newHistogram(.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60),
	}
}

// ObserveCommit records one group commit of the log: how many records it
// made durable and how long its fdatasync took.
func (m *Metrics) ObserveCommit(records int, fsync time.Duration) {
	m.appends.Add(uint64(records))
	m.batchSize.observe(float64(records))
	m.fsync.observe(fsync.Seconds())
}

// ObserveSnapshot records how long writing one snapshot took.
func (m *Metrics) ObserveSnapshot(d time.Duration) { m.snapshot.observe(d.Seconds()) }

// histogram is a Prometheus histogram with fixed upper bounds.
type histogram struct {
	bounds []float64
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds))}
}

func (h *histogram) observe(v float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, b := range h.bounds {
		if v <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += v
	h.count++
}

func (h *histogram) write(w io.Writer, name, help string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, h.count, name, strconv.FormatFloat(h.sum, 'g', -1, 64), name, h.count)
}

// measure counts every response by status class and times it.
func (m *Metrics) measure(next httpraw.Handler) httpraw.Handler {
	return httpraw.HandlerFunc(func(w httpraw.ResponseWriter, r *httpraw.Request) {
		start := time.Now()
		rec := statusRecorders.Get().(*statusRecorder)
		rec.ResponseWriter, rec.status = w, 0
		next.ServeHTTP(rec, r)
		status := rec.status
		rec.ResponseWriter = nil
		statusRecorders.Put(rec)
		class := status / 100
		if status == 0 {
			class = 2 // wrote nothing: the server answers 200
		}
		if class >= 1 && class <= 5 {
			m.requests[class].Add(1)
		}
		m.duration.observe(time.Since(start).Seconds())
	})
}

// statusRecorders are reused: the recorder escapes to the handler, and a
// cached page is otherwise answered without allocating.
var statusRecorders = sync.Pool{New: func() any { return new(statusRecorder) }}

// statusRecorder remembers the status a handler sent. Unwrap lets the
// server reach beneath it for sendfile: it changes no bytes.
type statusRecorder struct {
	httpraw.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusRecorder) Unwrap() httpraw.ResponseWriter { return s.ResponseWriter }

// metrics serves /metrics.
func (s *Site) metrics(w httpraw.ResponseWriter, r *httpraw.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	bw := bufio.NewWriter(w)
	m := s.m
	fmt.Fprint(bw, "# HELP vlogd_http_requests_total HTTP responses sent, by status class.\n# TYPE vlogd_http_requests_total counter\n")
	for class := 1; class <= 5; class++ {
		fmt.Fprintf(bw, "vlogd_http_requests_total{class=\"%dxx\"} %d\n", class, m.requests[class].Load())
	}
	m.duration.write(bw, "vlogd_http_request_duration_seconds", "Time from request to the handler's return.")
	if s.openConns != nil {
		fmt.Fprintf(bw, "# HELP vlogd_http_open_connections Open client connections.\n# TYPE vlogd_http_open_connections gauge\nvlogd_http_open_connections %d\n", s.openConns())
	}
	fmt.Fprintf(bw, "# HELP vlogd_wal_appends_total Records made durable in the write-ahead log.\n# TYPE vlogd_wal_appends_total counter\nvlogd_wal_appends_total %d\n", m.appends.Load())
	m.fsync.write(bw, "vlogd_wal_fsync_duration_seconds", "Duration of each group commit's fdatasync.")
	m.batchSize.write(bw, "vlogd_wal_batch_size", "Records per group commit.")
	m.snapshot.write(bw, "vlogd_snapshot_duration_seconds", "Time to write a snapshot.")
	if s.cache != nil {
		s.cache.writeMetrics(bw)
	}
	fmt.Fprintf(bw, "# HELP vlogd_vlogs Vlogs stored.\n# TYPE vlogd_vlogs gauge\nvlogd_vlogs %d\n", s.store.VlogCount())
	up := 1
	if s.store.Healthy() != nil {
		up = 0
	}
	fmt.Fprintf(bw, "# HELP vlogd_writes_up 1 while the log accepts writes, 0 after it failed.\n# TYPE vlogd_writes_up gauge\nvlogd_writes_up %d\n", up)
	if st := s.storage(); st.err == nil {
		low := 0
		if st.low {
			low = 1
		}
		fmt.Fprintf(bw, "# HELP vlogd_storage_free_bytes Free bytes on the data directory's file system.\n# TYPE vlogd_storage_free_bytes gauge\nvlogd_storage_free_bytes %d\n", st.space.Free)
		fmt.Fprintf(bw, "# HELP vlogd_storage_size_bytes Size of the data directory's file system.\n# TYPE vlogd_storage_size_bytes gauge\nvlogd_storage_size_bytes %d\n", st.space.Total)
		fmt.Fprintf(bw, "# HELP vlogd_storage_low_threshold_bytes Free space below which the server warns.\n# TYPE vlogd_storage_low_threshold_bytes gauge\nvlogd_storage_low_threshold_bytes %d\n", s.lowSpace)
		fmt.Fprintf(bw, "# HELP vlogd_storage_low 1 while free space is below the threshold.\n# TYPE vlogd_storage_low gauge\nvlogd_storage_low %d\n", low)
	}
	bw.Flush()
}

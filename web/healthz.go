package web

import "vlogd/httpraw"

// healthz answers 200 while the site serves and the log accepts writes,
// 503 with the reason otherwise, for load balancers and monitors.
func (s *Site) healthz(w httpraw.ResponseWriter, r *httpraw.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Healthy(); err != nil {
		// The details (file, offset, errno) are in the server's log; the
		// public answer names the cause without paths.
		w.WriteHeader(503)
		w.Write([]byte("unavailable: the write-ahead log failed; writes are refused until restart\n"))
		return
	}
	w.WriteHeader(200)
	w.Write([]byte("ok\n"))
}

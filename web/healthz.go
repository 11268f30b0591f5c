package web

import "vlogd/httpraw"

// healthz answers 200 while the site serves and the log accepts writes,
// 503 with the reason otherwise, for load balancers and monitors.
func (s *Site) healthz(w httpraw.ResponseWriter, r *httpraw.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Healthy(); err != nil {
		w.WriteHeader(503)
		w.Write([]byte("unavailable: " + err.Error() + "\n"))
		return
	}
	w.WriteHeader(200)
	w.Write([]byte("ok\n"))
}

package web

import "vlogd/httpraw"

// healthz answers 200 while the site serves and the log accepts writes,
// 503 with the reason otherwise, for load balancers and monitors. A second
// line gives the data directory's free space and the warning threshold, and
// a third warns when the free space is below it (still 200: writes work).
func (s *Site) healthz(w httpraw.ResponseWriter, r *httpraw.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	st := s.storage()
	if err := s.store.Healthy(); err != nil {
		// The details (file, offset, errno) are in the server's log; the
		// public answer names the cause without paths.
		w.WriteHeader(503)
		w.Write([]byte("unavailable: " + unhealthyReason(err) + "\n" + st.line(s.lowSpace)))
		return
	}
	w.WriteHeader(200)
	w.Write([]byte("ok\n" + st.line(s.lowSpace)))
}

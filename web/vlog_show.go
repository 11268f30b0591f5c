package web

import "vlogd/httpraw"

// vlogShow shows one vlog.
func (s *Site) vlogShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	id, ok := parseID(r.Param("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.store.Vlog(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, 200, "vlog_show", v)
}

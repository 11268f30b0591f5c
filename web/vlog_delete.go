package web

import "vlogd/httpraw"

// vlogDelete deletes a vlog and redirects to the list.
func (s *Site) vlogDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	id, ok := parseID(r.Param("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.store.DeleteVlog(id); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, "/")
}

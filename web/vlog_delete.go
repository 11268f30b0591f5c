package web

import "vlogd/httpraw"

// vlogDelete deletes a vlog on behalf of its author and redirects to the
// list.
func (s *Site) vlogDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	_, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	if err := s.store.DeleteVlog(v.ID, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, "/")
}

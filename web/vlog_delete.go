package web

import "vlogd/httpraw"

// vlogDelete deletes a vlog on behalf of its author and redirects to the
// list.
func (s *Site) vlogDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	_, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, vlogPath(v.ID))
	if u == nil {
		return
	}
	if err := s.store.DeleteVlog(v.ID, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, "/")
}

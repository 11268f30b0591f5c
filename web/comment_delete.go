package web

import "vlogd/httpraw"

// commentDelete removes a comment, for its author or the vlog's author.
func (s *Site) commentDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	if _, _, ok := s.postForm(w, r); !ok {
		return
	}
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	cid, ok := parseID(r.Param("cid"))
	if !ok {
		s.notFound(w, r)
		return
	}
	u := s.requireUser(w, r, vlogPath(v.ID))
	if u == nil {
		return
	}
	if err := s.store.DeleteComment(v.ID, cid, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, vlogPath(v.ID)+"#comments")
}

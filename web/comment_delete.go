package web

import "vlogd/httpraw"

// commentDelete removes a comment, for its author or the vlog's author.
func (s *Site) commentDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	_, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	cid, ok := parseID(r.Param("cid"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.store.DeleteComment(v.ID, cid, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, vlogPath(v.ID)+"#comments")
}

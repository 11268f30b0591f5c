package web

import (
	"vlogd/httpraw"
)

// vlogCreate stores a new vlog, with its video if one was sent, by the
// signed-in user and redirects to it, or re-renders the form with the
// message and the text kept.
func (s *Site) vlogCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	sub, ok := s.readVlogForm(w, r, 0)
	if !ok {
		return
	}
	defer sub.done()
	if errs := sub.errors(); errs != nil {
		s.refuseVlogForm(w, r, 0, &sub, errs)
		return
	}
	v, err := s.store.CreateVlog(sub.user.ID, sub.in)
	if err != nil {
		s.saveFailed(w, r, 0, &sub, err)
		return
	}
	// Invariant 1: CreateVlog returned, so the record (and before it the
	// video) is on disk.
	s.logger.Info("vlog created", "id", v.ID, "user", sub.user.Name, "video", v.Video != nil, "client", s.clientAddr(r))
	s.setFlash(s.viewer(r), "Your vlog is published.", flashTop)
	seeOther(w, vlogPath(v.ID))
}

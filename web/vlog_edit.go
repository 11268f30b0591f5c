package web

import "vlogd/httpraw"

// vlogEdit shows the edit form to the vlog's author.
func (s *Site) vlogEdit(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, r.Path)
	if u == nil {
		return
	}
	if err := s.store.CanChange(v.ID, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, 200, "vlog_form", vlogForm{ID: v.ID, Title: v.Title, Body: v.Body, HasVideo: v.Video != nil})
}

// vlogUpdate saves an edit by the vlog's author, replacing or removing the
// video when asked, and redirects to the vlog: same URL, same comments.
func (s *Site) vlogUpdate(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	sub, ok := s.readVlogForm(w, r, v.ID)
	if !ok {
		return
	}
	defer sub.done()
	if errs := sub.errors(); errs != nil {
		s.refuseVlogForm(w, r, v.ID, &sub, errs)
		return
	}
	if _, err := s.store.EditVlog(v.ID, sub.user.ID, sub.in); err != nil {
		s.saveFailed(w, r, v.ID, &sub, err)
		return
	}
	s.logger.Info("vlog edited", "id", v.ID, "user", sub.user.Name, "client", s.clientAddr(r))
	s.setFlash(s.viewer(r), "Your changes are saved.", flashTop)
	seeOther(w, vlogPath(v.ID))
}

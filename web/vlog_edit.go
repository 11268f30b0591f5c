package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

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
	s.render(w, r, 200, "vlog_form", vlogForm{ID: v.ID, Title: v.Title, Body: v.Body})
}

// vlogUpdate saves an edit by the vlog's author and redirects to the vlog.
func (s *Site) vlogUpdate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, vlogPath(v.ID)+"/edit")
	if u == nil {
		return
	}
	in := memstore.VlogInput{Title: form.Get("title"), Body: form.Get("body")}
	_, err := s.store.EditVlog(v.ID, u.ID, in)
	var ve *memstore.ValidationError
	if errors.As(err, &ve) {
		s.render(w, r, 422, "vlog_form", vlogForm{ID: v.ID, Title: in.Title, Body: in.Body, Errors: map[string]string{ve.Field: ve.Msg}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, vlogPath(v.ID))
}

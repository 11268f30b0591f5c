package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogCreate stores a new vlog by the signed-in user and redirects to it,
// or re-renders the form with the message and the input kept.
func (s *Site) vlogCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, "/vlogs/new")
	if u == nil {
		return
	}
	in := memstore.VlogInput{Title: form.Get("title"), Body: form.Get("body")}
	v, err := s.store.CreateVlog(u.ID, in)
	var ve *memstore.ValidationError
	if errors.As(err, &ve) {
		s.render(w, r, 422, "vlog_form", vlogForm{Title: in.Title, Body: in.Body, Errors: map[string]string{ve.Field: ve.Msg}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Invariant 1: CreateVlog returned, so the record is on disk.
	seeOther(w, vlogPath(v.ID))
}

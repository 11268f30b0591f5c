package web

import (
	"errors"
	"strconv"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogCreate stores a new vlog and redirects to it, or re-renders the form
// with the message and the input kept.
func (s *Site) vlogCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, err := r.ParseForm()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := memstore.VlogInput{Title: form.Get("title"), Body: form.Get("body")}
	v, err := s.store.CreateVlog(in)
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
	seeOther(w, "/vlogs/"+strconv.FormatUint(v.ID, 10))
}

package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// commentCreate adds a comment by the signed-in user and goes back to the
// vlog's comments, or shows the vlog again with the message and the text.
func (s *Site) commentCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	body := form.Get("body")
	_, err := s.store.AddComment(v.ID, u.ID, body)
	var ve *memstore.ValidationError
	if errors.As(err, &ve) {
		p := s.vlogPage(r, v)
		p.CommentBody, p.CommentError = body, ve.Msg
		s.render(w, r, 422, "vlog_show", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, vlogPath(v.ID)+"#comments")
}

package web

import (
	"strconv"

	"vlogd/httpraw"
)

// commentCreate adds a comment by the signed-in user and goes back to the
// vlog's comments, or shows the vlog again with the message and the text.
func (s *Site) commentCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	body := form.Get("body")
	c, err := s.store.AddComment(v.ID, u.ID, body)
	var fe formErrors
	if fe.addInvalid(err, map[string]string{"body": "comment-body"}, map[string]string{"body": "Comment"}) {
		p := s.vlogPage(r, v)
		p.CommentBody, p.CommentErrors = body, fe
		s.render(w, r, 422, "vlog_show", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.logger.Info("comment posted", "vlog", v.ID, "id", c.ID, "user", u.Name, "client", s.clientAddr(r))
	s.setFlash(s.viewer(r), "Your comment is posted.", flashComments)
	seeOther(w, vlogPath(v.ID)+"#comment-"+strconv.FormatUint(c.ID, 10))
}

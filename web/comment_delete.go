package web

import (
	"vlogd/httpraw"
	"vlogd/memstore"
)

// commentDeleteConfirm asks before deleting a comment, showing it.
func (s *Site) commentDeleteConfirm(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, r.Path)
	if u == nil {
		return
	}
	c, err := s.deletableComment(v, u, r.Param("cid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, 200, "confirm", confirmView{
		Heading: "Delete this comment?",
		Message: "This comment by " + c.Author + " on “" + v.Title + "” will be deleted. This cannot be undone.",
		Quote:   excerpt(c.Body),
		Action:  r.Path, Button: "Delete the comment", Cancel: vlogPath(v.ID) + "#comment-" + r.Param("cid"),
	})
}

// deletableComment finds comment cid of v if u may delete it (its author,
// the vlog's, or the site's owner): ErrNotFound when there is no such
// comment, ErrForbidden when u may not.
func (s *Site) deletableComment(v *memstore.Vlog, u *memstore.User, cid string) (*memstore.Comment, error) {
	id, ok := parseID(cid)
	if !ok {
		return nil, memstore.ErrNotFound
	}
	for _, c := range s.store.Comments(v.ID) {
		if c.ID == id {
			if c.AuthorID != u.ID && v.AuthorID != u.ID && !u.Owner {
				return nil, memstore.ErrForbidden
			}
			return c, nil
		}
	}
	return nil, memstore.ErrNotFound
}

// commentDelete removes a comment, for its author, the vlog's author or
// the site's owner.
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
	s.logger.Info("comment deleted", "vlog", v.ID, "id", cid, "user", u.Name, "client", s.clientAddr(r))
	s.setFlash(s.viewer(r), "The comment was deleted.", flashComments)
	seeOther(w, vlogPath(v.ID)+"#comments")
}

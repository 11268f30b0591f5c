package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// confirmView is the data of a page that asks before deleting.
type confirmView struct {
	Heading string
	Message string
	Quote   string // what is about to go, quoted for recognition
	Action  string // where the confirming form posts
	Button  string
	Cancel  string // where "Cancel" goes back to
}

// vlogDeleteConfirm asks the author (or the owner) whether to delete the vlog: a page
// with a form, so it works without scripts and a stray click deletes
// nothing.
func (s *Site) vlogDeleteConfirm(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	u := s.requireUser(w, r, r.Path)
	if u == nil {
		return
	}
	// The owner may delete anyone's vlog (moderation), though not edit it.
	if err := s.store.CanChange(v.ID, u.ID); err != nil && !(errors.Is(err, memstore.ErrForbidden) && u.Owner) {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, 200, "confirm", confirmView{
		Heading: "Delete “" + v.Title + "”?",
		Message: "The vlog, " + plural(s.store.CommentCount(v.ID), "comment", "comments") + " and its likes will be deleted. This cannot be undone.",
		Action:  vlogPath(v.ID) + "/delete", Button: "Delete the vlog", Cancel: vlogPath(v.ID),
	})
}

// vlogDelete deletes a vlog on behalf of its author, or of the owner, and
// goes to the list, which says that it was deleted.
func (s *Site) vlogDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	_, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	if err := s.store.DeleteVlog(v.ID, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.logger.Info("vlog deleted", "id", v.ID, "user", u.Name, "client", s.clientAddr(r))
	s.setFlash(s.viewer(r), "“"+v.Title+"” was deleted.", flashTop)
	seeOther(w, "/")
}

package web

import "vlogd/httpraw"

// vlogLike likes or un-likes a vlog for the signed-in user. The form says
// which (like=1 or like=0), as the page showed it, so a double click sets
// the same state twice instead of toggling back; without the field it
// toggles.
func (s *Site) vlogLike(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, v, u, ok := s.vlogAction(w, r)
	if !ok {
		return
	}
	var on bool
	switch form.Get("like") {
	case "1":
		on = true
	case "0":
		on = false
	default:
		on = !s.store.Liked(v.ID, u.ID)
	}
	if err := s.store.SetLike(v.ID, u.ID, on); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "You like this vlog."
	if !on {
		msg = "You no longer like this vlog."
	}
	s.setFlash(s.viewer(r), msg, flashLike)
	// Back to the Like button, not the top of the page.
	seeOther(w, vlogPath(v.ID)+"#like")
}

package web

import (
	"vlogd/httpraw"
)

// userDisable lets the owner disable an account (disabled=1), which ends
// its sessions at once, or enable it again (disabled=0).
func (s *Site) userDisable(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	target, err := s.store.UserByName(r.Param("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := "/users/" + target.Name
	owner := s.requireOwner(w, r, page)
	if owner == nil {
		return
	}
	var disabled bool
	switch form.Get("disabled") {
	case "1":
		disabled = true
	case "0":
	default:
		s.errorPage(w, r, 400, "That form is malformed.")
		return
	}
	if target.ID == owner.ID {
		s.errorPage(w, r, 403, "The owner's own account cannot be disabled.")
		return
	}
	if err := s.store.SetDisabled(owner.ID, target.ID, disabled); err != nil {
		s.fail(w, r, err)
		return
	}
	s.logger.Info("account state changed", "user", target.Name, "disabled", disabled, "by", owner.Name)
	seeOther(w, page)
}

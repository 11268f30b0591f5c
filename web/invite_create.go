package web

import (
	"strconv"

	"vlogd/httpraw"
)

// inviteCreate makes a single-use invite for the owner and shows it on
// the invites page.
func (s *Site) inviteCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	u := s.requireOwner(w, r, "/invites")
	if u == nil {
		return
	}
	ttl, ok := inviteTTLs[form.Get("days")]
	if !ok {
		s.errorPage(w, r, 400, "Choose how long the invite lasts: 1, 7 or 30 days.")
		return
	}
	inv, err := s.store.CreateInvite(u.ID, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.logger.Info("invite created", "invite", inv.ID, "by", u.Name, "expires", inv.Expires)
	seeOther(w, "/invites#invite-"+strconv.FormatUint(inv.ID, 10))
}

// inviteRevoke withdraws an unused invite.
func (s *Site) inviteRevoke(w httpraw.ResponseWriter, r *httpraw.Request) {
	if _, _, ok := s.postForm(w, r); !ok {
		return
	}
	u := s.requireOwner(w, r, "/invites")
	if u == nil {
		return
	}
	id, ok := parseID(r.Param("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.store.RevokeInvite(u.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, "/invites")
}

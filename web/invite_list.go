package web

import (
	"time"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// inviteItem is one invite on the owner's page.
type inviteItem struct {
	*memstore.Invite
	Link   string // the whole sign-up link, while the invite can be used
	Status string // "unused", "used by NAME", "expired", "withdrawn"
}

// invitePage is the data of the owner's invites page.
type invitePage struct {
	Policy  SignupPolicy
	Invites []inviteItem
	Choices []inviteChoice
}

// inviteChoice is one lifetime the form offers.
type inviteChoice struct {
	Value, Label string
	Default      bool
}

// inviteTTLs are the lifetimes an invite may have, by form value.
var inviteTTLs = map[string]time.Duration{"1": 24 * time.Hour, "7": 7 * 24 * time.Hour, "30": 30 * 24 * time.Hour}

var inviteChoices = []inviteChoice{{"1", "1 day", false}, {"7", "7 days", true}, {"30", "30 days", false}}

// requireOwner returns the signed-in owner; anyone else gets 403 and an
// anonymous visitor is sent to sign in first. nil means it has answered.
func (s *Site) requireOwner(w httpraw.ResponseWriter, r *httpraw.Request, next string) *memstore.User {
	u := s.requireUser(w, r, next)
	if u == nil {
		return nil
	}
	if !u.Owner {
		s.errorPage(w, r, 403, "Only the site's owner may do that.")
		return nil
	}
	return u
}

// inviteList shows the owner the invites made so far, with their links
// while they can be used, and the form to make one.
func (s *Site) inviteList(w httpraw.ResponseWriter, r *httpraw.Request) {
	if s.requireOwner(w, r, "/invites") == nil {
		return
	}
	now := s.now()
	p := invitePage{Policy: s.signup, Choices: inviteChoices}
	for _, inv := range s.store.Invites() {
		item := inviteItem{Invite: inv}
		switch {
		case inv.UsedBy != 0:
			item.Status = "used"
			if u, err := s.store.User(inv.UsedBy); err == nil {
				item.Status = "used by " + u.Name
			}
		case inv.Revoked:
			item.Status = "withdrawn"
		case !now.Before(inv.Expires):
			item.Status = "expired"
		default:
			item.Status = "unused"
			item.Link = s.baseURL + "/signup?invite=" + s.inviteCode(inv.ID)
		}
		p.Invites = append(p.Invites, item)
	}
	s.render(w, r, 200, "invite_list", p)
}

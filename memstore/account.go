package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Invite lets one person make an account while sign-up is by invitation.
// The store keeps no secret: the link's code is derived from the invite's
// ID by the web layer with a key the log never sees.
type Invite struct {
	ID      uint64    `msgpack:"id"`
	By      uint64    `msgpack:"by"` // the owner who made it
	Created time.Time `msgpack:"created"`
	Expires time.Time `msgpack:"expires"`
	UsedBy  uint64    `msgpack:"used_by,omitempty"` // the account made with it; 0 while unused
	Used    time.Time `msgpack:"used,omitempty"`
	Revoked bool      `msgpack:"revoked,omitempty"`
}

// Usable reports whether the invite may still be spent at now.
func (inv *Invite) Usable(now time.Time) bool {
	return !inv.Revoked && inv.UsedBy == 0 && now.Before(inv.Expires)
}

// isOwner reports whether user id is the site's owner.
func (st *state) isOwner(id uint64) bool { return id != 0 && id == st.ownerID }

// CreateInvite makes a single-use invite valid for ttl, on behalf of user
// by, who must be the owner (else ErrForbidden).
func (s *Store) CreateInvite(by uint64, ttl time.Duration) (*Invite, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("memstore: create invite: non-positive lifetime %v", ttl)
	}
	now := s.now().UTC()
	res, err := s.commit(&op{Kind: opCreateInvite, At: now, UserID: by, Expires: now.Add(ttl)})
	if err != nil {
		return nil, err
	}
	return res.invite, nil
}

// RevokeInvite withdraws an unused invite on behalf of the owner by.
// ErrNotFound, ErrForbidden.
func (s *Store) RevokeInvite(by, id uint64) error {
	_, err := s.commit(&op{Kind: opRevokeInvite, At: s.now().UTC(), UserID: by, InviteID: id})
	return err
}

// Invite returns the invite with that ID, or ErrNotFound.
func (s *Store) Invite(id uint64) (*Invite, error) {
	s.mu.RLock()
	inv, ok := s.st.invites[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("invite %d: %w", id, ErrNotFound)
	}
	return inv, nil
}

// Invites returns every invite, newest first.
func (s *Store) Invites() []*Invite {
	s.mu.RLock()
	out := make([]*Invite, 0, len(s.st.invites))
	for _, inv := range s.st.invites {
		out = append(out, inv)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Invite) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// SetDisabled disables (or enables again) account target on behalf of the
// owner by. Disabling ends every session of the account at once. The owner
// cannot disable itself. ErrNotFound, ErrForbidden.
func (s *Store) SetDisabled(by, target uint64, disabled bool) error {
	_, err := s.commit(&op{Kind: opSetDisabled, At: s.now().UTC(), UserID: by, Target: target, Disabled: disabled})
	return err
}

func (st *state) createInvite(o *op) result {
	if !st.isOwner(o.UserID) {
		return result{err: fmt.Errorf("invite by user %d: %w", o.UserID, ErrForbidden)}
	}
	inv := &Invite{ID: st.nextInviteID, By: o.UserID, Created: o.At, Expires: o.Expires}
	st.nextInviteID++
	st.invites[inv.ID] = inv
	return result{invite: inv}
}

func (st *state) revokeInvite(o *op) result {
	old, ok := st.invites[o.InviteID]
	switch {
	case !st.isOwner(o.UserID):
		return result{err: fmt.Errorf("revoke by user %d: %w", o.UserID, ErrForbidden)}
	case !ok:
		return result{err: fmt.Errorf("invite %d: %w", o.InviteID, ErrNotFound)}
	}
	inv := *old
	inv.Revoked = true
	st.invites[inv.ID] = &inv
	return result{invite: &inv}
}

func (st *state) setDisabled(o *op) result {
	old, ok := st.users[o.Target]
	switch {
	case !st.isOwner(o.UserID) || o.Target == o.UserID:
		return result{err: fmt.Errorf("disable user %d by user %d: %w", o.Target, o.UserID, ErrForbidden)}
	case !ok:
		return result{err: fmt.Errorf("user %d: %w", o.Target, ErrNotFound)}
	}
	u := *old
	u.Disabled = o.Disabled
	st.addUser(&u)
	if u.Disabled {
		for hash, sess := range st.sessions {
			if sess.UserID == u.ID {
				delete(st.sessions, hash)
			}
		}
	}
	return result{user: &u}
}

// moderateDeleteVlog is the owner deleting someone else's vlog. It is a
// kind of its own so that the author-only rule of opDeleteVlog, and the
// replay of logs written under it, never change.
func (st *state) moderateDeleteVlog(o *op) result {
	if !st.isOwner(o.UserID) {
		return result{err: fmt.Errorf("moderate vlog %d by user %d: %w", o.ID, o.UserID, ErrForbidden)}
	}
	if _, ok := st.vlogs[o.ID]; !ok {
		return result{err: fmt.Errorf("vlog %d: %w", o.ID, ErrNotFound)}
	}
	st.removeVlogAndReplies(o.ID)
	return result{}
}

func (st *state) moderateDeleteComment(o *op) result {
	if !st.isOwner(o.UserID) {
		return result{err: fmt.Errorf("moderate comment %d by user %d: %w", o.CommentID, o.UserID, ErrForbidden)}
	}
	c, ok := st.comments[o.CommentID]
	if !ok || c.VlogID != o.ID {
		return result{err: fmt.Errorf("comment %d on vlog %d: %w", o.CommentID, o.ID, ErrNotFound)}
	}
	st.removeComment(c)
	return result{}
}

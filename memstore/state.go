package memstore

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// state is everything the log describes. It is guarded by Store.mu; apply is
// its only mutator, so live writes and replay change it the same way.
type state struct {
	// Next IDs are persisted so IDs are never reused (invariant 2).
	nextVlogID    uint64
	nextUserID    uint64
	nextCommentID uint64
	nextInviteID  uint64

	vlogs map[uint64]*Vlog // live vlogs by ID
	order []*Vlog          // live vlogs, ascending ID: the newest-first listing read backwards
	// orderShared says a snapshot view holds order's backing array: the
	// next in-place change copies it first (ownOrder).
	orderShared bool
	byAuthor    map[uint64][]*Vlog // each user's vlogs, ascending ID
	index       *searchIndex

	users       map[uint64]*User
	usersByName map[string]*User // by nameKey
	sessions    map[string]*Session
	ownerID     uint64 // 0 until the first account
	invites     map[uint64]*Invite

	comments       map[uint64]*Comment
	commentsByVlog map[uint64][]*Comment      // oldest first
	likes          map[uint64]map[uint64]bool // vlog → users who like it
}

func newState() *state {
	return &state{
		nextVlogID:     1,
		nextUserID:     1,
		nextCommentID:  1,
		nextInviteID:   1,
		invites:        make(map[uint64]*Invite),
		vlogs:          make(map[uint64]*Vlog),
		byAuthor:       make(map[uint64][]*Vlog),
		index:          newSearchIndex(),
		users:          make(map[uint64]*User),
		usersByName:    make(map[string]*User),
		sessions:       make(map[string]*Session),
		comments:       make(map[uint64]*Comment),
		commentsByVlog: make(map[uint64][]*Comment),
		likes:          make(map[uint64]map[uint64]bool),
	}
}

// result is what applying an op produced, handed back to the writer that
// submitted it.
type result struct {
	vlog    *Vlog
	user    *User
	session *Session
	comment *Comment
	invite  *Invite
	err     error
}

// apply performs o. It is deterministic in o and the current state, which
// is what makes replay exact (invariant 3). It is also where the final say
// on validity lies: an op that is no longer valid when its turn comes (a
// delete of a vlog another request deleted first, a sign-up for a name
// taken a moment before) changes nothing and reports why.
func (st *state) apply(o *op) result {
	switch o.Kind {
	case opCreateVlog:
		return st.createVlog(o)
	case opEditVlog:
		return st.editVlog(o)
	case opDeleteVlog:
		return st.deleteVlog(o)
	case opCreateUser:
		return st.createUser(o)
	case opCreateSession:
		return st.createSession(o)
	case opSetPoster:
		return st.setPoster(o)
	case opAddComment:
		return st.addComment(o)
	case opDeleteComment:
		return st.deleteComment(o)
	case opSetLike:
		return st.setLike(o)
	case opCreateInvite:
		return st.createInvite(o)
	case opRevokeInvite:
		return st.revokeInvite(o)
	case opSetDisabled:
		return st.setDisabled(o)
	case opModDeleteVlog:
		return st.moderateDeleteVlog(o)
	case opModDeleteComment:
		return st.moderateDeleteComment(o)
	case opJobStart:
		return st.jobStart(o)
	case opJobProgress:
		return st.jobProgress(o)
	case opJobDone:
		return st.jobDone(o)
	case opJobFail:
		return st.jobFail(o)
	case opDeleteSession:
		if _, ok := st.sessions[o.Token]; !ok {
			return result{err: ErrNotFound}
		}
		delete(st.sessions, o.Token)
		return result{}
	}
	return result{err: fmt.Errorf("memstore: unknown op kind %v", o.Kind)}
}

func (st *state) createVlog(o *op) result {
	if st.nextVlogID > math.MaxUint32 {
		// The search index holds IDs as uint32 (search.go).
		return result{err: errors.New("memstore: vlog IDs exhausted")}
	}
	author, ok := st.users[o.UserID]
	if !ok {
		return result{err: fmt.Errorf("author %d: %w", o.UserID, ErrNotFound)}
	}
	v := &Vlog{
		ID: st.nextVlogID, AuthorID: author.ID, Author: author.Name,
		Title: o.Title, Body: o.Body, Created: o.At, Updated: o.At, Video: o.Video,
	}
	st.nextVlogID++
	st.insertVlog(v)
	return result{vlog: v}
}

// authorized returns the vlog o targets if o's user is its author.
func (st *state) authorized(o *op) (*Vlog, error) {
	v, ok := st.vlogs[o.ID]
	switch {
	case !ok:
		return nil, fmt.Errorf("vlog %d: %w", o.ID, ErrNotFound)
	case v.AuthorID != o.UserID:
		return nil, fmt.Errorf("vlog %d by user %d: %w", o.ID, o.UserID, ErrForbidden)
	}
	return v, nil
}

func (st *state) editVlog(o *op) result {
	old, err := st.authorized(o)
	if err != nil {
		return result{err: err}
	}
	// Values are immutable: an edit publishes a new *Vlog.
	v := *old
	v.Title, v.Body, v.Updated = o.Title, o.Body, o.At
	switch {
	case o.Video != nil:
		v.Video = o.Video
	case o.RemoveVideo:
		v.Video = nil
	}
	st.replaceVlog(&v)
	return result{vlog: &v}
}

func (st *state) deleteVlog(o *op) result {
	if _, err := st.authorized(o); err != nil {
		return result{err: err}
	}
	st.removeVlogAndReplies(o.ID)
	return result{}
}

// removeVlogAndReplies deletes a vlog that exists, with its comments and
// likes.
func (st *state) removeVlogAndReplies(id uint64) {
	v := st.vlogs[id]
	delete(st.vlogs, id)
	st.ownOrder()
	st.order = removeVlog(st.order, id)
	st.byAuthor[v.AuthorID] = removeVlog(st.byAuthor[v.AuthorID], id)
	st.index.remove(v, st.vlogs)
	// Comments and likes go with their vlog.
	st.dropVlogComments(id)
	delete(st.likes, id)
}

// setPoster gives a vlog's video its poster frame, unless the video was
// replaced or removed while the poster was being made.
func (st *state) setPoster(o *op) result {
	old, ok := st.vlogs[o.ID]
	if !ok || old.Video == nil || old.Video.Hash != o.Hash {
		return result{err: fmt.Errorf("vlog %d video %.12s: %w", o.ID, o.Hash, ErrNotFound)}
	}
	v, video := *old, *old.Video
	video.Poster = o.Poster
	v.Video = &video
	st.replaceVlog(&v)
	return result{vlog: &v}
}

func (st *state) createUser(o *op) result {
	if _, taken := st.usersByName[nameKey(o.Name)]; taken {
		return result{err: errNameTaken}
	}
	if err := st.signupAllowed(o); err != nil {
		return result{err: err}
	}
	u := &User{ID: st.nextUserID, Name: o.Name, PasswordHash: o.PassHash, Created: o.At}
	// The first account of an empty site is its owner, decided here so
	// that replay decides the same.
	u.Owner = st.ownerID == 0 && (len(st.users) == 0 || o.ClaimOwner)
	st.nextUserID++
	if o.InviteID != 0 {
		inv := *st.invites[o.InviteID]
		inv.UsedBy, inv.Used = u.ID, o.At
		st.invites[inv.ID] = &inv
	}
	st.addUser(u)
	return result{user: u}
}

// signupAllowed checks the conditions a sign-up was made under.
func (st *state) signupAllowed(o *op) error {
	if o.FirstOnly && len(st.users) > 0 {
		return ErrNotFirst
	}
	if o.InviteID != 0 {
		inv, ok := st.invites[o.InviteID]
		if !ok || inv.Revoked || inv.UsedBy != 0 || !o.At.Before(inv.Expires) {
			return fmt.Errorf("invite %d: %w", o.InviteID, ErrInvalidInvite)
		}
	}
	return nil
}

// addUser indexes u, which may replace an older value of the same account.
func (st *state) addUser(u *User) {
	st.users[u.ID] = u
	st.usersByName[nameKey(u.Name)] = u
	if u.Owner {
		st.ownerID = u.ID
	}
}

func (st *state) createSession(o *op) result {
	u, ok := st.users[o.UserID]
	if !ok {
		return result{err: fmt.Errorf("user %d: %w", o.UserID, ErrNotFound)}
	}
	if u.Disabled {
		return result{err: fmt.Errorf("user %d: %w", o.UserID, ErrDisabled)}
	}
	sess := &Session{TokenHash: o.Token, UserID: o.UserID, Created: o.At, Expires: o.Expires}
	st.sessions[sess.TokenHash] = sess
	return result{session: sess}
}

// insertVlog adds a vlog to every index. IDs only grow, so a new vlog
// always belongs at the end of the ordered lists.
func (st *state) insertVlog(v *Vlog) {
	st.vlogs[v.ID] = v
	st.order = append(st.order, v)
	st.byAuthor[v.AuthorID] = append(st.byAuthor[v.AuthorID], v)
	st.index.add(v)
}

// replaceVlog swaps in a new value for an existing vlog everywhere it is
// indexed.
func (st *state) replaceVlog(v *Vlog) {
	old := st.vlogs[v.ID]
	st.vlogs[v.ID] = v
	if i := indexOf(st.order, v.ID); i >= 0 {
		st.ownOrder()
		st.order[i] = v
	}
	if list := st.byAuthor[v.AuthorID]; list != nil {
		if i := indexOf(list, v.ID); i >= 0 {
			list[i] = v
		}
	}
	if old.Title != v.Title || old.Body != v.Body {
		st.index.update(old, v)
	}
}

// removeVlog deletes id from list, which is sorted by ascending ID, in
// place. Nobody else holds the backing array: pages and snapshot views copy.
func removeVlog(list []*Vlog, id uint64) []*Vlog {
	if i := indexOf(list, id); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// like is one user liking one vlog, as stored in a snapshot.
type like struct {
	Vlog uint64 `msgpack:"vlog"`
	User uint64 `msgpack:"user"`
}

// view is what a snapshot writes: the state's structure as of one seq. The
// values it points to are immutable already, so it holds slices of
// pointers; the list of vlogs, the only one as long as the store is large,
// is shared with the state rather than copied (see orderShared).
type view struct {
	next     [4]uint64 // next vlog, user, comment and invite IDs
	users    []*User
	sessions []*Session
	vlogs    []*Vlog
	comments []*Comment
	likes    []like
	invites  []*Invite
}

// view captures the state under the caller's write lock. The vlogs are the
// state's own list, capped at its length: appends after this go beyond the
// view, and the first in-place change after it copies the list first
// (orderShared), so capturing a million vlogs costs no copy under the lock.
// Sessions that have expired by now are left out: nobody can use them
// again.
func (st *state) view(now time.Time) *view {
	v := &view{
		next:  [4]uint64{st.nextVlogID, st.nextUserID, st.nextCommentID, st.nextInviteID},
		vlogs: st.order[:len(st.order):len(st.order)],
	}
	st.orderShared = true
	v.users = make([]*User, 0, len(st.users))
	for _, u := range st.users {
		v.users = append(v.users, u)
	}
	slices.SortFunc(v.users, func(a, b *User) int { return cmp.Compare(a.ID, b.ID) })
	for _, sess := range st.sessions {
		if now.Before(sess.Expires) {
			v.sessions = append(v.sessions, sess)
		}
	}
	v.comments = make([]*Comment, 0, len(st.comments))
	for _, c := range st.comments {
		v.comments = append(v.comments, c)
	}
	slices.SortFunc(v.comments, func(a, b *Comment) int { return cmp.Compare(a.ID, b.ID) })
	for vlogID, users := range st.likes {
		for userID := range users {
			v.likes = append(v.likes, like{Vlog: vlogID, User: userID})
		}
	}
	v.invites = make([]*Invite, 0, len(st.invites))
	for _, inv := range st.invites {
		v.invites = append(v.invites, inv)
	}
	slices.SortFunc(v.invites, func(a, b *Invite) int { return cmp.Compare(a.ID, b.ID) })
	return v
}

// meta is the view's meta row.
func (v *view) meta() meta {
	return meta{
		Version:    snapshotFormat,
		NextVlogID: v.next[0], NextUserID: v.next[1], NextCommentID: v.next[2],
		Users: uint64(len(v.users)), Sessions: uint64(len(v.sessions)), Vlogs: uint64(len(v.vlogs)),
		Comments: uint64(len(v.comments)), Likes: uint64(len(v.likes)),
		NextInviteID: v.next[3], Invites: uint64(len(v.invites)),
	}
}

// ownOrder makes st.order the state's own before an in-place change, if a
// snapshot view shares it.
func (st *state) ownOrder() {
	if st.orderShared {
		st.order = slices.Clone(st.order)
		st.orderShared = false
	}
}

// Snapshot writes the current state to a new snapshot file and lets the
// log drop the segments it covers. The state is captured under the lock
// without copying the vlogs (see view); encoding and writing happen outside
// it, so readers and writers carry on meanwhile.
func (s *Store) Snapshot() error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.mu.Lock()
	v, seq := s.st.view(s.now()), s.seq
	s.mu.Unlock()

	start := time.Now()
	if err := s.log.WriteSnapshot(seq, v.encode); err != nil {
		return fmt.Errorf("memstore: snapshot at seq %d: %w", seq, err)
	}
	if s.observeSnapshot != nil {
		s.observeSnapshot(time.Since(start))
	}
	s.logger.Info("snapshot written", "seq", seq, "vlogs", len(v.vlogs), "users", len(v.users), "dur", time.Since(start))
	return nil
}

// maybeSnapshot starts a background snapshot when enough log has built up
// since the last one. At most one runs at a time.
func (s *Store) maybeSnapshot() {
	if s.log.SizeSinceSnapshot() < s.snapBytes || !s.snapping.CompareAndSwap(false, true) {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.snapping.Store(false)
		if err := s.Snapshot(); err != nil {
			s.logger.Error("background snapshot failed", "err", err)
			return
		}
		if n, err := s.collectBlobs(); err != nil {
			s.logger.Error("media garbage collection failed", "err", err)
		} else if n > 0 {
			s.logger.Info("unreferenced media removed", "blobs", n)
		}
	}()
}

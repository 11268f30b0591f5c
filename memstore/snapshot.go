package memstore

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// snapshotVersion is the version of the payload below. Bump it when the
// layout changes, and keep decoding every older one (testdata/ has a
// fixture of each).
const snapshotVersion = 1

// snapshotHeader starts a snapshot payload. The sections follow it in
// this order, one msgpack value per item: users (ascending ID), sessions,
// vlogs (ascending ID), comments (ascending ID), likes, invites (ascending
// ID). Item by item, neither writing nor reading needs the whole state as
// one value. Invites came later within version 1: a header without them
// has none, and its next invite ID is 1.
type snapshotHeader struct {
	Version       int    `msgpack:"version"`
	NextVlogID    uint64 `msgpack:"next_vlog_id"`
	NextUserID    uint64 `msgpack:"next_user_id"`
	NextCommentID uint64 `msgpack:"next_comment_id"`
	Users         int    `msgpack:"users"`
	Sessions      int    `msgpack:"sessions"`
	Vlogs         int    `msgpack:"vlogs"`
	Comments      int    `msgpack:"comments"`
	Likes         int    `msgpack:"likes"`
	NextInviteID  uint64 `msgpack:"next_invite_id,omitempty"`
	Invites       int    `msgpack:"invites,omitempty"`
}

// like is one user liking one vlog, as stored in a snapshot.
type like struct {
	Vlog uint64 `msgpack:"vlog"`
	User uint64 `msgpack:"user"`
}

// view is an immutable copy of the state's structure. The values it points
// to are immutable already, so copying the containers is enough.
type view struct {
	hdr      snapshotHeader
	users    []*User
	sessions []*Session
	vlogs    []*Vlog
	comments []*Comment
	likes    []*like
	invites  []*Invite
}

// view captures the state under the caller's read lock. Sessions that have
// expired by now are left out: nobody can use them again.
func (st *state) view(now time.Time) view {
	v := view{vlogs: slices.Clone(st.order)}
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
			v.likes = append(v.likes, &like{Vlog: vlogID, User: userID})
		}
	}
	v.invites = make([]*Invite, 0, len(st.invites))
	for _, inv := range st.invites {
		v.invites = append(v.invites, inv)
	}
	slices.SortFunc(v.invites, func(a, b *Invite) int { return cmp.Compare(a.ID, b.ID) })
	v.hdr = snapshotHeader{
		Version:       snapshotVersion,
		NextVlogID:    st.nextVlogID,
		NextUserID:    st.nextUserID,
		NextCommentID: st.nextCommentID,
		Users:         len(v.users),
		Sessions:      len(v.sessions),
		Vlogs:         len(v.vlogs),
		Comments:      len(v.comments),
		Likes:         len(v.likes),
		NextInviteID:  st.nextInviteID,
		Invites:       len(v.invites),
	}
	return v
}

func (v view) encode(w io.Writer) error {
	enc := msgpack.NewEncoder(w)
	if err := enc.Encode(&v.hdr); err != nil {
		return fmt.Errorf("memstore: encode snapshot header: %w", err)
	}
	if err := encodeAll(enc, "user", v.users); err != nil {
		return err
	}
	if err := encodeAll(enc, "session", v.sessions); err != nil {
		return err
	}
	if err := encodeAll(enc, "vlog", v.vlogs); err != nil {
		return err
	}
	if err := encodeAll(enc, "comment", v.comments); err != nil {
		return err
	}
	if err := encodeAll(enc, "like", v.likes); err != nil {
		return err
	}
	return encodeAll(enc, "invite", v.invites)
}

func encodeAll[T any](enc *msgpack.Encoder, what string, items []*T) error {
	for i, item := range items {
		if err := enc.Encode(item); err != nil {
			return fmt.Errorf("memstore: encode %s %d: %w", what, i, err)
		}
	}
	return nil
}

// decodeAll reads n items, calling check on each in order. n comes from the
// file, so it is not trusted for allocation.
func decodeAll[T any](dec *msgpack.Decoder, what string, n int, check func(*T) error) error {
	if n < 0 {
		return fmt.Errorf("negative %s count %d", what, n)
	}
	for i := range n {
		item := new(T)
		if err := dec.Decode(item); err != nil {
			return fmt.Errorf("decode %s %d of %d: %w", what, i+1, n, err)
		}
		if err := check(item); err != nil {
			return fmt.Errorf("%s %d of %d: %w", what, i+1, n, err)
		}
	}
	return nil
}

func decodeSnapshot(r io.Reader) (*state, error) {
	dec := msgpack.NewDecoder(r)
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	if hdr.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot format version %d not supported (want %d)", hdr.Version, snapshotVersion)
	}
	st := newState()
	st.nextVlogID, st.nextUserID, st.nextCommentID = hdr.NextVlogID, hdr.NextUserID, hdr.NextCommentID
	st.nextInviteID = max(hdr.NextInviteID, 1)

	var lastUser uint64
	err := decodeAll(dec, "user", hdr.Users, func(u *User) error {
		if u.ID <= lastUser || u.ID >= st.nextUserID {
			return fmt.Errorf("id %d out of order (previous %d, next id %d)", u.ID, lastUser, st.nextUserID)
		}
		if _, dup := st.usersByName[nameKey(u.Name)]; dup {
			return fmt.Errorf("name %q twice", u.Name)
		}
		if u.Owner && st.ownerID != 0 {
			return fmt.Errorf("second owner %d (first %d)", u.ID, st.ownerID)
		}
		lastUser = u.ID
		st.addUser(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = decodeAll(dec, "session", hdr.Sessions, func(sess *Session) error {
		if _, ok := st.users[sess.UserID]; !ok {
			return fmt.Errorf("unknown user %d", sess.UserID)
		}
		st.sessions[sess.TokenHash] = sess
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.order = make([]*Vlog, 0, min(hdr.Vlogs, 1<<16))
	var lastVlog uint64
	err = decodeAll(dec, "vlog", hdr.Vlogs, func(v *Vlog) error {
		if v.ID <= lastVlog || v.ID >= st.nextVlogID {
			return fmt.Errorf("id %d out of order (previous %d, next id %d)", v.ID, lastVlog, st.nextVlogID)
		}
		lastVlog = v.ID
		st.insertVlog(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var lastComment uint64
	err = decodeAll(dec, "comment", hdr.Comments, func(c *Comment) error {
		if c.ID <= lastComment || c.ID >= st.nextCommentID {
			return fmt.Errorf("id %d out of order (previous %d, next id %d)", c.ID, lastComment, st.nextCommentID)
		}
		if st.vlogs[c.VlogID] == nil {
			return fmt.Errorf("comment %d on unknown vlog %d", c.ID, c.VlogID)
		}
		lastComment = c.ID
		st.insertComment(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = decodeAll(dec, "like", hdr.Likes, func(l *like) error {
		if st.vlogs[l.Vlog] == nil || st.users[l.User] == nil {
			return fmt.Errorf("like of vlog %d by user %d: unknown vlog or user", l.Vlog, l.User)
		}
		st.putLike(l.Vlog, l.User, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var lastInvite uint64
	err = decodeAll(dec, "invite", hdr.Invites, func(inv *Invite) error {
		if inv.ID <= lastInvite || inv.ID >= st.nextInviteID {
			return fmt.Errorf("id %d out of order (previous %d, next id %d)", inv.ID, lastInvite, st.nextInviteID)
		}
		lastInvite = inv.ID
		st.invites[inv.ID] = inv
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Snapshot writes the current state to a new snapshot file and lets the
// log drop the segments it covers. The state is captured under the read
// lock (a slice copy); the writing happens outside it, so readers and
// writers carry on meanwhile.
func (s *Store) Snapshot() error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.mu.RLock()
	v, seq := s.st.view(s.now()), s.seq
	s.mu.RUnlock()

	start := time.Now()
	if err := s.log.WriteSnapshot(seq, v.encode); err != nil {
		return fmt.Errorf("memstore: snapshot at seq %d: %w", seq, err)
	}
	if s.observeSnapshot != nil {
		s.observeSnapshot(time.Since(start))
	}
	s.logger.Info("snapshot written", "seq", seq, "vlogs", v.hdr.Vlogs, "users", v.hdr.Users, "dur", time.Since(start))
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

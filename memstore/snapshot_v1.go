package memstore

import (
	"fmt"
	"io"

	"github.com/vmihailenco/msgpack/v5"
)

// snapshotVersion1 is the version of the format 1 payload, which a
// version 1 snapshot file holds; it is still read (testdata/data/v1).
const snapshotVersion1 = 1

// snapshotHeader starts a format 1 snapshot payload. The sections follow it in
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

// decodeSnapshotV1 decodes a format 1 payload: one msgpack stream.
func decodeSnapshotV1(r io.Reader) (*state, error) {
	dec := msgpack.NewDecoder(r)
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	if hdr.Version != snapshotVersion1 {
		return nil, fmt.Errorf("snapshot format version %d in a version 1 file", hdr.Version)
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

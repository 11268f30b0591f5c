package memstore

import (
	"fmt"
	"time"
)

// This file holds the sections of snapshot format 2, one per kind of state
// (doc.go describes the bytes). To add a kind of state: give it a section
// number (from the range of the op kinds), write its rows in
// view.encode through encodeSection, and add a case to decodeChunk whose
// merge adds the rows to the state; view captures what it needs. To add a
// field to a row: one line in the row's append function and one case in
// its decode function; rows written before decode it as its zero value.

// sectionID numbers a kind of state in a snapshot. The numbers are on-disk
// format: never renumber or reuse one.
type sectionID uint64

const (
	sectionMeta     sectionID = 1 // one row: format version, next IDs, counts; always the first chunk
	sectionUsers    sectionID = 2 // ascending ID
	sectionSessions sectionID = 3
	sectionVlogs    sectionID = 4 // ascending ID
	sectionComments sectionID = 5 // ascending ID
	sectionLikes    sectionID = 6
	sectionInvites  sectionID = 11 // ascending ID
)

// snapshotFormat is the version in the meta row.
const snapshotFormat = 2

// meta is the first chunk's single row.
type meta struct {
	Version                                 uint64
	NextVlogID, NextUserID, NextCommentID   uint64
	Users, Sessions, Vlogs, Comments, Likes uint64
	NextInviteID, Invites                   uint64
}

func appendMeta(w *rowWriter, m *meta) {
	w.uint(1, m.Version)
	w.uint(2, m.NextVlogID)
	w.uint(3, m.NextUserID)
	w.uint(4, m.NextCommentID)
	w.uint(5, m.Users)
	w.uint(6, m.Sessions)
	w.uint(7, m.Vlogs)
	w.uint(8, m.Comments)
	w.uint(9, m.Likes)
	w.uint(10, m.NextInviteID)
	w.uint(11, m.Invites)
}

func decodeMeta(r *fieldReader, m *meta) error {
	fields := []*uint64{1: &m.Version, 2: &m.NextVlogID, 3: &m.NextUserID, 4: &m.NextCommentID,
		5: &m.Users, 6: &m.Sessions, 7: &m.Vlogs, 8: &m.Comments, 9: &m.Likes,
		10: &m.NextInviteID, 11: &m.Invites}
	return r.eachField(func(f field) (err error) {
		if f.num <= 0 || f.num >= len(fields) {
			r.skip(f)
			return nil
		}
		*fields[f.num], err = r.uint(f)
		return err
	})
}

func appendUser(w *rowWriter, u *User) {
	w.uint(1, u.ID)
	w.str(2, u.Name)
	w.str(3, u.PasswordHash)
	w.time(4, u.Created)
	w.bool(5, u.Owner)
	w.bool(6, u.Disabled)
}

func decodeUser(r *fieldReader, u *User) error {
	return r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			u.ID, err = r.uint(f)
		case 2:
			u.Name, err = r.str(f)
		case 3:
			u.PasswordHash, err = r.str(f)
		case 4:
			u.Created, err = r.time(f)
		case 5:
			u.Owner, err = r.bool(f)
		case 6:
			u.Disabled, err = r.bool(f)
		default:
			r.skip(f)
		}
		return err
	})
}

func appendSession(w *rowWriter, s *Session) {
	w.str(1, s.TokenHash)
	w.uint(2, s.UserID)
	w.time(3, s.Created)
	w.time(4, s.Expires)
}

func decodeSession(r *fieldReader, s *Session) error {
	return r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			s.TokenHash, err = r.str(f)
		case 2:
			s.UserID, err = r.uint(f)
		case 3:
			s.Created, err = r.time(f)
		case 4:
			s.Expires, err = r.time(f)
		default:
			r.skip(f)
		}
		return err
	})
}

// appendVlog writes a vlog. Its author's name is not written: it is the
// user's, looked up on load (names never change). Updated is written only
// when it differs from Created.
func appendVlog(w *rowWriter, v *Vlog) {
	w.uint(1, v.ID)
	w.uint(2, v.AuthorID)
	w.str(3, v.Title)
	w.str(4, v.Body)
	w.time(5, v.Created)
	if !v.Updated.Equal(v.Created) {
		w.time(6, v.Updated)
	}
	if v.Video != nil {
		w.msgpack(7, v.Video)
	}
}

func decodeVlog(r *fieldReader, v *Vlog) error {
	updated := false
	err := r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			v.ID, err = r.uint(f)
		case 2:
			v.AuthorID, err = r.uint(f)
		case 3:
			v.Title, err = r.str(f)
		case 4:
			v.Body, err = r.str(f)
		case 5:
			v.Created, err = r.time(f)
		case 6:
			v.Updated, updated, err = timeField(r, f)
		case 7:
			v.Video = new(Video)
			err = r.msgpack(f, v.Video)
		default:
			r.skip(f)
		}
		return err
	})
	if !updated {
		v.Updated = v.Created
	}
	return err
}

func timeField(r *fieldReader, f field) (time.Time, bool, error) {
	t, err := r.time(f)
	return t, true, err
}

func appendComment(w *rowWriter, c *Comment) {
	w.uint(1, c.ID)
	w.uint(2, c.VlogID)
	w.uint(3, c.AuthorID)
	w.str(4, c.Body)
	w.time(5, c.Created)
}

func decodeComment(r *fieldReader, c *Comment) error {
	return r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			c.ID, err = r.uint(f)
		case 2:
			c.VlogID, err = r.uint(f)
		case 3:
			c.AuthorID, err = r.uint(f)
		case 4:
			c.Body, err = r.str(f)
		case 5:
			c.Created, err = r.time(f)
		default:
			r.skip(f)
		}
		return err
	})
}

func appendLike(w *rowWriter, l like) {
	w.uint(1, l.Vlog)
	w.uint(2, l.User)
}

func decodeLike(r *fieldReader, l *like) error {
	return r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			l.Vlog, err = r.uint(f)
		case 2:
			l.User, err = r.uint(f)
		default:
			r.skip(f)
		}
		return err
	})
}

// checkAscending is the check every section sorted by ID makes.
func checkAscending(what string, id, last, next uint64) error {
	if id <= last || id >= next {
		return fmt.Errorf("%s id %d out of order (previous %d, next id %d)", what, id, last, next)
	}
	return nil
}

func appendInvite(w *rowWriter, inv *Invite) {
	w.uint(1, inv.ID)
	w.uint(2, inv.By)
	w.time(3, inv.Created)
	w.time(4, inv.Expires)
	w.uint(5, inv.UsedBy)
	w.time(6, inv.Used)
	w.bool(7, inv.Revoked)
}

func decodeInvite(r *fieldReader, inv *Invite) error {
	return r.eachField(func(f field) (err error) {
		switch f.num {
		case 1:
			inv.ID, err = r.uint(f)
		case 2:
			inv.By, err = r.uint(f)
		case 3:
			inv.Created, err = r.time(f)
		case 4:
			inv.Expires, err = r.time(f)
		case 5:
			inv.UsedBy, err = r.uint(f)
		case 6:
			inv.Used, err = r.time(f)
		case 7:
			inv.Revoked, err = r.bool(f)
		default:
			r.skip(f)
		}
		return err
	})
}

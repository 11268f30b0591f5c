package memstore

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on a vlog's text, enforced by every write path.
const (
	MaxTitleRunes = 200     // characters, after trimming
	MaxBodyBytes  = 100_000 // bytes of UTF-8, after line endings are normalised
)

// Vlog is one post. Values are immutable once published by the store: an
// edit makes a new *Vlog, so callers may hold one without locks.
type Vlog struct {
	ID       uint64    `msgpack:"id"`
	AuthorID uint64    `msgpack:"author_id"`
	Author   string    `msgpack:"author"` // the author's name; names never change
	Title    string    `msgpack:"title"`
	Body     string    `msgpack:"body"`
	Created  time.Time `msgpack:"created"`
	Updated  time.Time `msgpack:"updated"` // equal to Created until the vlog is edited
	Video    *Video    `msgpack:"video,omitempty"`
}

// Edited reports whether the vlog was changed after it was created.
func (v *Vlog) Edited() bool { return !v.Updated.Equal(v.Created) }

// VlogInput is what a person submits to create or edit a vlog.
type VlogInput struct {
	Title string
	Body  string
	// Video, from PutVideo, is attached to the vlog (replacing any video
	// on edit). RemoveVideo, on edit, drops the video; it is ignored when
	// Video is set.
	Video       *Video
	RemoveVideo bool
}

// normalize trims the title, normalises the body's line endings to "\n", and
// checks both against the limits. Each field's first broken rule is
// reported: a *ValidationError when one field is wrong, ValidationErrors
// when both are.
func (in VlogInput) normalize() (VlogInput, error) {
	title := strings.TrimSpace(in.Title)
	body := strings.ReplaceAll(in.Body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var errs ValidationErrors
	switch {
	case !utf8.ValidString(title):
		errs = append(errs, &ValidationError{Field: "title", Msg: "must be valid UTF-8 text"})
	case title == "":
		errs = append(errs, &ValidationError{Field: "title", Msg: "is required"})
	case utf8.RuneCountInString(title) > MaxTitleRunes:
		errs = append(errs, &ValidationError{Field: "title", Msg: "must be at most 200 characters"})
	case strings.IndexFunc(title, unicode.IsControl) >= 0:
		errs = append(errs, &ValidationError{Field: "title", Msg: "must be a single line of text"})
	}
	switch {
	case !utf8.ValidString(body):
		errs = append(errs, &ValidationError{Field: "body", Msg: "must be valid UTF-8 text"})
	case len(body) > MaxBodyBytes:
		errs = append(errs, &ValidationError{Field: "body", Msg: "must be at most 100 KB"})
	}
	if err := joinInvalid(errs); err != nil {
		return in, err
	}
	return VlogInput{Title: title, Body: body, Video: in.Video, RemoveVideo: in.RemoveVideo && in.Video == nil}, nil
}

// CreateVlog validates in, makes it durable as a vlog by the user authorID
// and returns it. Invalid input returns a *ValidationError and stores
// nothing; an unknown author is ErrNotFound.
func (s *Store) CreateVlog(authorID uint64, in VlogInput) (*Vlog, error) {
	in, err := in.normalize()
	if err != nil {
		return nil, err
	}
	res, err := s.commit(&op{Kind: opCreateVlog, At: s.now().UTC(), UserID: authorID, Title: in.Title, Body: in.Body, Video: in.Video})
	if err != nil {
		return nil, err
	}
	s.schedulePoster(res.vlog)
	s.scheduleJob(res.vlog)
	return res.vlog, nil
}

// EditVlog replaces the title and body of vlog id on behalf of user by.
// ErrNotFound when there is no such vlog, ErrForbidden when by is not its
// author, a *ValidationError for bad input.
func (s *Store) EditVlog(id, by uint64, in VlogInput) (*Vlog, error) {
	if err := s.CanChange(id, by); err != nil {
		return nil, err
	}
	in, err := in.normalize()
	if err != nil {
		return nil, err
	}
	res, err := s.commit(&op{Kind: opEditVlog, At: s.now().UTC(), ID: id, UserID: by,
		Title: in.Title, Body: in.Body, Video: in.Video, RemoveVideo: in.RemoveVideo})
	if err != nil {
		return nil, err
	}
	if in.Video != nil {
		s.schedulePoster(res.vlog)
		s.scheduleJob(res.vlog)
	}
	return res.vlog, nil
}

// DeleteVlog removes vlog id on behalf of user by, durably. ErrNotFound
// when there is none, ErrForbidden when by is neither its author nor the
// site's owner.
func (s *Store) DeleteVlog(id, by uint64) error {
	kind := opDeleteVlog
	err := s.CanChange(id, by)
	if errors.Is(err, ErrForbidden) && s.IsOwner(by) {
		kind, err = opModDeleteVlog, nil // the owner removes someone else's vlog
	}
	if err != nil {
		return err
	}
	_, err = s.commit(&op{Kind: kind, At: s.now().UTC(), ID: id, UserID: by})
	return err
}

// IsOwner reports whether user id is the site's owner.
func (s *Store) IsOwner(id uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.isOwner(id)
}

// CanChange reports whether user by may edit or delete vlog id: nil if so,
// else ErrNotFound or ErrForbidden.
func (s *Store) CanChange(id, by uint64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, err := s.st.authorized(&op{ID: id, UserID: by})
	return err
}

// Vlog returns the vlog with the given ID, or ErrNotFound.
func (s *Store) Vlog(id uint64) (*Vlog, error) {
	s.mu.RLock()
	v, ok := s.st.vlogs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("vlog %d: %w", id, ErrNotFound)
	}
	return v, nil
}

// Vlogs returns one page of all vlogs, newest first. limit <= 0 means
// DefaultPageSize.
func (s *Store) Vlogs(c Cursor, limit int) Page {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return pageOf(s.st.order, c, limit)
}

// VlogCount returns the number of live vlogs.
func (s *Store) VlogCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.vlogs)
}

// Validate checks in against the rules without storing anything, returning
// a *ValidationError for the one field that is wrong or ValidationErrors
// when several are.
func (in VlogInput) Validate() error {
	_, err := in.normalize()
	return err
}

// VlogsBy returns one page of the vlogs by user userID, newest first.
func (s *Store) VlogsBy(userID uint64, c Cursor, limit int) Page {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return pageOf(s.st.byAuthor[userID], c, limit)
}

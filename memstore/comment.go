package memstore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCommentRunes is the longest comment, in characters.
const MaxCommentRunes = 5000

// Comment is one reader's remark on a vlog. Immutable once published.
type Comment struct {
	ID       uint64    `msgpack:"id"`
	VlogID   uint64    `msgpack:"vlog"`
	AuthorID uint64    `msgpack:"author_id"`
	Author   string    `msgpack:"author"`
	Body     string    `msgpack:"body"`
	Created  time.Time `msgpack:"created"`
}

// normalizeComment trims a comment and checks its length: 1–5,000
// characters.
func normalizeComment(body string) (string, error) {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(body); {
	case !utf8.ValidString(body):
		return "", &ValidationError{Field: "body", Msg: "must be valid UTF-8 text"}
	case n == 0:
		return "", &ValidationError{Field: "body", Msg: "is required"}
	case n > MaxCommentRunes:
		return "", &ValidationError{Field: "body", Msg: "must be at most 5,000 characters"}
	}
	return body, nil
}

// AddComment records a comment by user by on vlog vlogID. ErrNotFound when
// the vlog does not exist; a *ValidationError on "body" for an empty or
// over-long comment.
func (s *Store) AddComment(vlogID, by uint64, body string) (*Comment, error) {
	body, err := normalizeComment(body)
	if err != nil {
		return nil, err
	}
	if _, err := s.Vlog(vlogID); err != nil {
		return nil, err
	}
	res, err := s.commit(&op{Kind: opAddComment, At: s.now().UTC(), ID: vlogID, UserID: by, Body: body})
	if err != nil {
		return nil, err
	}
	return res.comment, nil
}

// DeleteComment removes comment id on vlog vlogID on behalf of user by,
// who must be the comment's author, the vlog's, or the site's owner.
// ErrNotFound, ErrForbidden.
func (s *Store) DeleteComment(vlogID, id, by uint64) error {
	kind := opDeleteComment
	s.mu.RLock()
	_, err := s.st.commentDeletable(&op{ID: vlogID, CommentID: id, UserID: by})
	if errors.Is(err, ErrForbidden) && s.st.isOwner(by) {
		kind, err = opModDeleteComment, nil
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	_, err = s.commit(&op{Kind: kind, At: s.now().UTC(), ID: vlogID, CommentID: id, UserID: by})
	return err
}

// CanDeleteComment reports whether user by may delete comment c: its
// author, the vlog's author and the owner may.
func (s *Store) CanDeleteComment(c *Comment, by uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, err := s.st.commentDeletable(&op{ID: c.VlogID, CommentID: c.ID, UserID: by})
	return err == nil || s.st.isOwner(by)
}

// Comments returns a vlog's comments, oldest first.
func (s *Store) Comments(vlogID uint64) []*Comment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Comment(nil), s.st.commentsByVlog[vlogID]...)
}

// CommentCount returns how many comments a vlog has.
func (s *Store) CommentCount(vlogID uint64) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.commentsByVlog[vlogID])
}

func (st *state) addComment(o *op) result {
	if _, ok := st.vlogs[o.ID]; !ok {
		return result{err: fmt.Errorf("vlog %d: %w", o.ID, ErrNotFound)}
	}
	author, ok := st.users[o.UserID]
	if !ok {
		return result{err: fmt.Errorf("user %d: %w", o.UserID, ErrNotFound)}
	}
	c := &Comment{ID: st.nextCommentID, VlogID: o.ID, AuthorID: author.ID, Author: author.Name, Body: o.Body, Created: o.At}
	st.nextCommentID++
	st.insertComment(c)
	return result{comment: c}
}

func (st *state) insertComment(c *Comment) {
	st.comments[c.ID] = c
	st.commentsByVlog[c.VlogID] = append(st.commentsByVlog[c.VlogID], c)
}

// commentDeletable returns the comment o names if o's user may delete it.
func (st *state) commentDeletable(o *op) (*Comment, error) {
	c, ok := st.comments[o.CommentID]
	if !ok || c.VlogID != o.ID {
		return nil, fmt.Errorf("comment %d on vlog %d: %w", o.CommentID, o.ID, ErrNotFound)
	}
	v := st.vlogs[c.VlogID]
	if c.AuthorID != o.UserID && (v == nil || v.AuthorID != o.UserID) {
		return nil, fmt.Errorf("comment %d by user %d: %w", c.ID, o.UserID, ErrForbidden)
	}
	return c, nil
}

func (st *state) deleteComment(o *op) result {
	c, err := st.commentDeletable(o)
	if err != nil {
		return result{err: err}
	}
	st.removeComment(c)
	return result{}
}

func (st *state) removeComment(c *Comment) {
	delete(st.comments, c.ID)
	// Readers and snapshots get copies, so shifting in place is safe.
	st.commentsByVlog[c.VlogID] = slices.DeleteFunc(st.commentsByVlog[c.VlogID], func(x *Comment) bool { return x.ID == c.ID })
}

// dropVlogComments removes every comment of a deleted vlog.
func (st *state) dropVlogComments(vlogID uint64) {
	for _, c := range st.commentsByVlog[vlogID] {
		delete(st.comments, c.ID)
	}
	delete(st.commentsByVlog, vlogID)
}

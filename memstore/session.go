package memstore

import (
	"fmt"
	"time"
)

// Session is a signed-in browser. The store keeps only a hash of the
// session's token, so a copy of the log or a snapshot does not let anyone
// sign in.
type Session struct {
	TokenHash string    `msgpack:"token"`
	UserID    uint64    `msgpack:"uid"`
	Created   time.Time `msgpack:"created"`
	Expires   time.Time `msgpack:"expires"`
}

// CreateSession records a session for the user, valid for ttl.
func (s *Store) CreateSession(tokenHash string, userID uint64, ttl time.Duration) (*Session, error) {
	if tokenHash == "" || ttl <= 0 {
		return nil, fmt.Errorf("memstore: create session: empty token or non-positive lifetime")
	}
	now := s.now().UTC()
	res, err := s.commit(&op{Kind: opCreateSession, At: now, Token: tokenHash, UserID: userID, Expires: now.Add(ttl)})
	if err != nil {
		return nil, err
	}
	return res.session, nil
}

// Session returns the live session with that token hash and its user.
// Expired or unknown sessions, and those of a disabled account, are
// ErrNotFound.
func (s *Store) Session(tokenHash string) (*Session, *User, error) {
	now := s.now()
	s.mu.RLock()
	sess, ok := s.st.sessions[tokenHash]
	var u *User
	if ok {
		u = s.st.users[sess.UserID]
	}
	s.mu.RUnlock()
	if !ok || u == nil || u.Disabled || !now.Before(sess.Expires) {
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return sess, u, nil
}

// DeleteSession ends a session (sign-out). ErrNotFound when there is none.
func (s *Store) DeleteSession(tokenHash string) error {
	s.mu.RLock()
	_, ok := s.st.sessions[tokenHash]
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	_, err := s.commit(&op{Kind: opDeleteSession, At: s.now().UTC(), Token: tokenHash})
	return err
}

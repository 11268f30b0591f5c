package memstore

import (
	"fmt"
	"strings"
	"time"
)

// User is an account. Names are unique without regard to case and never
// change, so a vlog may show its author's name without a lookup.
type User struct {
	ID           uint64    `msgpack:"id"`
	Name         string    `msgpack:"name"`
	PasswordHash string    `msgpack:"pw"` // an encoded password hash; the store never sees a password
	Created      time.Time `msgpack:"created"`
}

// Username rules.
const (
	MinNameLen = 3
	MaxNameLen = 32
)

// ValidateUsername checks a name against the rules: 3–32 ASCII letters,
// digits, '_' or '-'. It returns a *ValidationError on the "username" field.
func ValidateUsername(name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return &ValidationError{Field: "username", Msg: "must be 3 to 32 characters long"}
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return &ValidationError{Field: "username", Msg: "may only contain letters, digits, _ and -"}
		}
	}
	return nil
}

// nameKey is the form of a name that uniqueness is decided on.
func nameKey(name string) string { return strings.ToLower(name) }

// errNameTaken is what a sign-up gets when the name is in use.
var errNameTaken = &ValidationError{Field: "username", Msg: "is already taken"}

// CreateUser stores a new account. passwordHash is stored as given. A bad
// or taken name returns a *ValidationError on "username".
func (s *Store) CreateUser(name, passwordHash string) (*User, error) {
	if err := ValidateUsername(name); err != nil {
		return nil, err
	}
	if _, err := s.UserByName(name); err == nil {
		return nil, errNameTaken
	}
	// Two sign-ups for one name can both get here; apply, in log order,
	// refuses the second.
	res, err := s.commit(&op{Kind: opCreateUser, At: s.now().UTC(), Name: name, PassHash: passwordHash})
	if err != nil {
		return nil, err
	}
	return res.user, nil
}

// UserByName returns the user with that name in any case, or ErrNotFound.
func (s *Store) UserByName(name string) (*User, error) {
	s.mu.RLock()
	u, ok := s.st.usersByName[nameKey(name)]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return u, nil
}

// User returns the user with the given ID, or ErrNotFound.
func (s *Store) User(id uint64) (*User, error) {
	s.mu.RLock()
	u, ok := s.st.users[id]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return u, nil
}

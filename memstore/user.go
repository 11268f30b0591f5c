package memstore

import (
	"cmp"
	"fmt"
	"slices"
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
	// Owner marks the one account that runs the site: it makes invites,
	// deletes any vlog or comment and disables accounts.
	Owner bool `msgpack:"owner,omitempty"`
	// Disabled accounts cannot sign in; their sessions ended when they
	// were disabled. What they wrote stays.
	Disabled bool `msgpack:"disabled,omitempty"`
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

// CreateUser stores a new account with no conditions attached (an open
// sign-up). passwordHash is stored as given. A bad or taken name returns a
// *ValidationError on "username". The first account of a site without
// accounts becomes its owner.
func (s *Store) CreateUser(name, passwordHash string) (*User, error) {
	return s.AddUser(NewUser{Name: name, PasswordHash: passwordHash})
}

// NewUser is a sign-up and the conditions it is made under. The
// conditions are checked again when the record applies, in log order, so
// two sign-ups racing for one invite or for an empty site cannot both win.
type NewUser struct {
	Name         string
	PasswordHash string
	// InviteID, when not 0, is the invite the sign-up spends: it must
	// exist, be unused and unexpired. The caller has checked the code.
	InviteID uint64
	// FirstOnly allows the sign-up only while the site has no account.
	FirstOnly bool
	// ClaimOwner makes the account the owner if the site has none (the
	// first account always becomes the owner).
	ClaimOwner bool
}

// AddUser stores a new account under nu's conditions. Errors: a
// *ValidationError on "username" for a bad or taken name,
// ErrInvalidInvite, ErrNotFirst.
func (s *Store) AddUser(nu NewUser) (*User, error) {
	if err := ValidateUsername(nu.Name); err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, taken := s.st.usersByName[nameKey(nu.Name)]
	err := s.st.signupAllowed(&op{InviteID: nu.InviteID, FirstOnly: nu.FirstOnly, At: s.now().UTC()})
	s.mu.RUnlock()
	if taken {
		return nil, errNameTaken
	}
	if err != nil {
		return nil, err
	}
	// Two sign-ups for one name can both get here; apply, in log order,
	// refuses the second.
	res, err := s.commit(&op{Kind: opCreateUser, At: s.now().UTC(), Name: nu.Name, PassHash: nu.PasswordHash,
		InviteID: nu.InviteID, FirstOnly: nu.FirstOnly, ClaimOwner: nu.ClaimOwner})
	if err != nil {
		return nil, err
	}
	return res.user, nil
}

// UserCount returns how many accounts the site has, disabled ones
// included.
func (s *Store) UserCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.st.users)
}

// Users returns every account, oldest first.
func (s *Store) Users() []*User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*User, 0, len(s.st.users))
	for _, u := range s.st.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Owner returns the site's owner, or ErrNotFound when it has none yet.
func (s *Store) Owner() (*User, error) {
	s.mu.RLock()
	u, ok := s.st.users[s.st.ownerID]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("owner: %w", ErrNotFound)
	}
	return u, nil
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

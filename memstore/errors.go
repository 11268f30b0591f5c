package memstore

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when the vlog (or other item) asked for does not
// exist, either because it never did or because it was deleted.
var ErrNotFound = errors.New("memstore: not found")

// ErrForbidden is returned when the acting user may not make the change:
// only a vlog's author edits it, only its author or the owner deletes it,
// and only the owner makes invites and disables accounts.
var ErrForbidden = errors.New("memstore: forbidden")

// ErrUnavailable is returned by every write once the log has failed to write
// or fsync (DESIGN.md invariant 5). Reads keep working; writes stay refused
// until the process restarts and recovers from the log.
var ErrUnavailable = errors.New("memstore: writes unavailable")

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("memstore: closed")

// ValidationError reports input that breaks a rule of the data model. Field
// names the offending input field as the forms call it ("title", "body").
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("memstore: invalid %s: %s", e.Field, e.Msg)
}

// ErrInvalidInvite is returned by a sign-up whose invite does not exist,
// was revoked, was used already or has expired.
var ErrInvalidInvite = errors.New("memstore: invite invalid, used or expired")

// ErrNotFirst is returned by a sign-up that was allowed only on a site
// without accounts (the owner's) when another account got there first.
var ErrNotFirst = errors.New("memstore: the site already has accounts")

// ErrDisabled is returned when a disabled account tries to sign in.
var ErrDisabled = errors.New("memstore: account disabled")

package memstore

import (
	"errors"
	"fmt"
	"strings"
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

// ErrNoSpace is returned by a write refused because the data directory's
// file system is full: the log could not append its record (wal.ErrNoSpace)
// or an upload could not be stored (ENOSPC, EDQUOT). Nothing of it was
// saved, the store stays healthy, and the same write succeeds once space is
// freed (no restart needed).
var ErrNoSpace = errors.New("memstore: storage full")

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

// ValidationErrors is every rule an input broke, at most one per field, in
// the order the form shows its fields. Writes return it, instead of a lone
// *ValidationError, when more than one field is wrong, so that a form can
// report every problem at once. errors.As still finds the first
// *ValidationError in it.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Field + ": " + e.Msg
	}
	return "memstore: invalid input: " + strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is and errors.As see each field's error.
func (es ValidationErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// Invalid returns every field error that err carries: the list of a
// ValidationErrors, the one *ValidationError, or nil when err is not about
// invalid input.
func Invalid(err error) ValidationErrors {
	var es ValidationErrors
	if errors.As(err, &es) {
		return es
	}
	var e *ValidationError
	if errors.As(err, &e) {
		return ValidationErrors{e}
	}
	return nil
}

// joinInvalid makes one error of the field errors collected by a check:
// nil for none, the *ValidationError itself for one (as before lists
// existed), and a ValidationErrors for more.
func joinInvalid(es ValidationErrors) error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return es
}

package memstore

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when the vlog (or other item) asked for does not
// exist, either because it never did or because it was deleted.
var ErrNotFound = errors.New("memstore: not found")

// ErrForbidden is returned when the acting user may not make the change:
// only a vlog's author edits or deletes it.
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

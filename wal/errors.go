package wal

import (
	"errors"
	"fmt"
)

// ErrLocked is returned by Open when another process (or another Log in this
// process) holds the lock on the data directory. Open's message names the
// directory.
var ErrLocked = errors.New("data directory is locked by another process")

// ErrBroken is returned by Append (and reported by Err) once a write or
// fdatasync of the log has failed. It is sticky until the process restarts:
// after a failed fsync the kernel may have dropped the dirty pages, so nothing
// written afterwards could be trusted (Invariant 5). The error returned also
// wraps the original cause and names the file and offset.
var ErrBroken = errors.New("log refuses appends after a failed write or fsync")

// RestoreMarker is the file a restore keeps in a data directory until the
// directory is complete and durable. A power loss or kill in the middle of
// a restore leaves it behind, and a directory holding it is refused.
const RestoreMarker = "RESTORING"

// ErrRestoreUnfinished is returned by Open and Verify for a data directory
// holding RestoreMarker: a restore into it was interrupted, so it may lack
// any part of the state (a half-restored directory could otherwise pass for
// an older or empty site). Remove the directory and restore again.
var ErrRestoreUnfinished = errors.New("a restore into this directory did not finish; remove it and restore again")

// ErrNoSpace is returned by Append when its batch could not be written for
// lack of space (ENOSPC, EDQUOT or a short write). Unlike ErrBroken it is
// not sticky: the segment was cut back to its last good offset and its tail
// proven intact, so the next Append tries again and succeeds once space
// returns (doc.go, "A full disk"). Nothing of the refused batch is on disk.
var ErrNoSpace = errors.New("no space left for the log")

// ErrClosed is returned by Append, Replay, Snapshot and WriteSnapshot after
// Close.
var ErrClosed = errors.New("log is closed")

// ErrNoSnapshot is returned by Snapshot when the data directory holds no
// snapshot whose checksum verifies.
var ErrNoSnapshot = errors.New("no snapshot")

// ErrTooLarge is returned by Append when a payload exceeds MaxRecordSize.
// Nothing is written and the log stays healthy.
var ErrTooLarge = errors.New("record too large")

// ErrNewerFormat is wrapped by errors from Open, Snapshot, Replay and Verify
// when a segment or snapshot carries a format version newer than this build
// understands. Such a file is not damaged; an older vlogd must not touch it.
var ErrNewerFormat = errors.New("written by a newer vlogd")

// CorruptError reports damage that recovery must not repair on its own: a
// checksum failure before a valid commit, a sequence gap, damage in an older
// segment, a bad header. Invariant 4: start-up stops and names the place.
type CorruptError struct {
	Path   string // the damaged file
	Offset int64  // byte offset of the damaged frame or header in Path
	Seq    uint64 // sequence number expected at Offset (0 when unknown)
	Reason string // what is wrong, in words
}

// Error names the file, offset, seq and reason.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: corrupt at offset %d (seq %d): %s", e.Path, e.Offset, e.Seq, e.Reason)
}

// versionError builds the error for a file written by a newer format version.
func versionError(path string, version uint32) error {
	return fmt.Errorf("%s: format version %d newer than supported (%d): %w",
		path, version, formatVersion, ErrNewerFormat)
}

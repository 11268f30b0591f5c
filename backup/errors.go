package backup

import "errors"

// ErrLocked is returned by Open when another backup holds DEST's lock: two
// backups appending to one DEST would corrupt it.
var ErrLocked = errors.New("backup destination is locked by another backup")

// ErrDiverged is returned by Sync and Run when the data directory no longer
// continues what DEST holds: a segment is shorter than the copied position
// or its bytes differ (the data directory was restored, repaired or
// replaced). Nothing more is copied; start a new DEST.
var ErrDiverged = errors.New("data directory no longer continues the backup")

// ErrNotEmpty is returned by Restore when the target directory exists and
// is not empty: a restore never overwrites anything.
var ErrNotEmpty = errors.New("restore target is not empty")

// ErrNoRestorePoint is returned by Restore when DEST holds nothing that
// reaches the requested point: no snapshot at or before it and no log from
// seq 1, or a log that ends before it.
var ErrNoRestorePoint = errors.New("backup does not reach the requested point")

// ErrDamagedBlobs is returned by Restore, after everything else was
// restored, when some blobs in DEST failed their SHA-256 check. They are
// named in RestoreReport.DamagedBlobs and were not copied.
var ErrDamagedBlobs = errors.New("damaged blobs in the backup")

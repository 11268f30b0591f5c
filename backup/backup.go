package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"vlogd/wal"
)

// DefaultKeep is the retention window when Options.Keep is zero: point-in-
// time restore reaches back seven days.
const DefaultKeep = 7 * 24 * time.Hour

// DefaultRescan is how often Run rescans the data directory when
// Options.Rescan is zero, in case inotify dropped or coalesced an event.
const DefaultRescan = time.Second

// Options configure a Backup. The zero value is the production setting.
type Options struct {
	// Logger receives what was copied (debug), damage found in the data
	// directory or DEST, and retried failures. nil discards.
	Logger *slog.Logger
	// Keep is how far back point-in-time restore must reach; older
	// snapshots and segments are removed from DEST. 0 means DefaultKeep.
	Keep time.Duration
	// Rescan is the backstop interval between passes when no event
	// arrives; 0 means DefaultRescan.
	Rescan time.Duration
	// OnCopied, when non-nil, is called after log bytes up to seq are
	// durable in DEST and recorded in DEST/position: the point a restore
	// would reach. Tests measure the backup's lag with it.
	OnCopied func(seq uint64)
	// Now is the clock retention measures the window by; nil means
	// time.Now.
	Now func() time.Time
	// ReferencedBlobs, when non-nil, returns the blobs that the snapshots
	// and log kept in a directory laid out like a data directory (DEST)
	// reference; retention then removes the other blobs once they are
	// older than BlobGrace. nil keeps every blob (this package cannot read
	// the records; vlogd passes memstore.ReferencedBlobs).
	ReferencedBlobs func(dir string) (map[string]bool, error)
	// BlobGrace is how old an unreferenced blob in DEST must be before it
	// is removed; 0 means DefaultBlobGrace.
	BlobGrace time.Duration
}

// Backup copies one data directory to one DEST. Open it, then Run it (or
// call Sync for single passes), then Close it.
type Backup struct {
	src, dest string
	opts      Options
	logger    *slog.Logger
	lock      *os.File

	// logMu serialises log passes with each other and with retention's
	// removal of DEST segments; it guards pos, havePos and the blob sets.
	logMu    sync.Mutex
	pos      position
	havePos  bool
	blobs    map[string]bool // blob names present in DEST
	badBlobs map[string]bool // damaged in the data directory, reported once
	holes    map[uint64]bool // log holes reported, by the seq they start at

	// snapMu serialises snapshot passes (copying and retention).
	snapMu   sync.Mutex
	badSnaps map[string]bool // damaged in the data directory, reported once
	pruned   map[string]bool // removed by retention: not to be copied again
	// nextBlobPrune is when blob retention next reads every reference
	// (sooner if retention removed a snapshot or segment).
	nextBlobPrune time.Time
}

// Open prepares dest (created if missing) to receive copies of the data
// directory dataDir: it takes DEST/LOCK, removes temporary files a crash
// left, reads DEST/position and trims whatever a crash left appended past
// it. It never writes to dataDir and does not need it to exist yet.
//
// Errors: ErrLocked when another backup uses dest; a damaged position file
// or a DEST segment shorter than its position (damage in DEST, reported
// rather than guessed around); dest equal to or nested with dataDir; I/O
// errors. All are wrapped with "backup:" and the path.
func Open(dataDir, dest string, opts Options) (*Backup, error) {
	b, err := open(dataDir, dest, opts)
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", dest, err)
	}
	return b, nil
}

func open(dataDir, dest string, opts Options) (*Backup, error) {
	src, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return nil, err
	}
	if nested(src, dest) || nested(dest, src) {
		return nil, fmt.Errorf("the backup must live outside the data directory %s", src)
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.BlobGrace <= 0 {
		opts.BlobGrace = DefaultBlobGrace
	}
	if opts.Rescan <= 0 {
		opts.Rescan = DefaultRescan
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Backup{src: src, dest: dest, opts: opts, logger: opts.Logger,
		blobs: map[string]bool{}, badBlobs: map[string]bool{}, holes: map[uint64]bool{}, badSnaps: map[string]bool{}, pruned: map[string]bool{}}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{dest, b.destWal(), b.destSnap(), b.destBlobs()} {
		if err := mkdirDurable(d); err != nil {
			return nil, err
		}
	}
	// DEST's own lock, never the data directory's: the server's lock is
	// not ours to take.
	if b.lock, err = wal.LockDir(dest); errors.Is(err, wal.ErrLocked) {
		err = ErrLocked
	}
	if err != nil {
		return nil, err
	}
	if err := b.recoverDest(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// nested reports whether dir is inside parent, or is parent.
func nested(parent, dir string) bool {
	rel, err := filepath.Rel(parent, dir)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

func (b *Backup) srcWal() string    { return filepath.Join(b.src, "wal") }
func (b *Backup) srcSnap() string   { return filepath.Join(b.src, "snap") }
func (b *Backup) srcBlobs() string  { return filepath.Join(b.src, "blobs") }
func (b *Backup) destWal() string   { return filepath.Join(b.dest, "wal") }
func (b *Backup) destSnap() string  { return filepath.Join(b.dest, "snap") }
func (b *Backup) destBlobs() string { return filepath.Join(b.dest, "blobs") }

// recoverDest makes DEST consistent after a crash: temporary files go, the
// last segment is trimmed to the recorded position, and segments created
// after it (which only ever hold a header until the position names them)
// are removed.
func (b *Backup) recoverDest() error {
	if err := removeTemps(b.dest, b.destWal(), b.destSnap()); err != nil {
		return err
	}
	shards, err := os.ReadDir(b.destBlobs())
	if err != nil {
		return err
	}
	for _, s := range shards {
		if !s.IsDir() || !isShard(s.Name()) {
			continue
		}
		dir := filepath.Join(b.destBlobs(), s.Name())
		if err := removeTemps(dir); err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if isBlobName(e.Name()) && e.Type().IsRegular() {
				b.blobs[e.Name()] = true
			}
		}
	}
	if b.pos, b.havePos, err = readPosition(b.dest); err != nil {
		return err
	}
	segs, err := wal.Segments(b.destWal())
	if err != nil {
		return err
	}
	for _, s := range segs {
		name := filepath.Base(s.Path)
		fi, err := os.Stat(s.Path)
		if err != nil {
			return err
		}
		switch {
		case b.havePos && name == b.pos.Segment:
			if fi.Size() < b.pos.Offset {
				return fmt.Errorf("%s has %d bytes, fewer than the %d its position records: DEST is damaged", s.Path, fi.Size(), b.pos.Offset)
			}
			if fi.Size() > b.pos.Offset {
				// An append the crash interrupted: its bytes were never
				// vouched for by the position file.
				b.logger.Warn("backup: trimming an interrupted append", "path", s.Path, "offset", b.pos.Offset,
					"bytes", fi.Size()-b.pos.Offset, "seq", b.pos.Seq)
				if err := wal.TruncateSynced(s.Path, b.pos.Offset); err != nil {
					return err
				}
			}
		case !b.havePos || s.First > b.pos.first():
			if fi.Size() > wal.SegmentHeaderSize {
				return fmt.Errorf("%s holds %d bytes that DEST/position does not account for: DEST is damaged", s.Path, fi.Size())
			}
			// Created just before a crash, before the position named it.
			if err := os.Remove(s.Path); err != nil {
				return err
			}
			if err := syncDir(b.destWal()); err != nil {
				return err
			}
		}
	}
	if b.havePos {
		if _, err := os.Stat(filepath.Join(b.destWal(), b.pos.Segment)); err != nil {
			return fmt.Errorf("DEST/position names %s: %w", b.pos.Segment, err)
		}
	}
	return nil
}

// removeTemps deletes the temporary files of interrupted copies in dirs.
func removeTemps(dirs ...string) error {
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		removed := false
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), tmpExt) {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					return err
				}
				removed = true
			}
		}
		if removed {
			if err := syncDir(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// Position reports how far the log is copied: the DEST segment being
// appended to, the offset its verified batches reach, and their last seq.
// All zero before anything was copied.
func (b *Backup) Position() (segment string, offset int64, seq uint64) {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	return b.pos.Segment, b.pos.Offset, b.pos.Seq
}

// Sync runs one full pass: new snapshots, new blobs and new log batches are
// copied, and retention is applied. It returns the first failure; an
// error wrapping ErrDiverged means nothing more can be copied to this DEST.
// Errors name the file; a data directory not created yet is not an error.
func (b *Backup) Sync() error {
	if err := b.passLog(); err != nil {
		return err
	}
	return b.passSnapshots()
}

// Close releases DEST's lock. It does not stop Run; cancel Run's context
// first.
func (b *Backup) Close() error {
	if b.lock == nil {
		return nil
	}
	err := b.lock.Close() // closing the file releases the flock
	b.lock = nil
	if err != nil {
		return fmt.Errorf("backup: close %s: %w", b.dest, err)
	}
	return nil
}

// notYet reports whether err only says a directory of the data directory
// does not exist yet (the server has not started), which is not a failure.
func notYet(err error) bool { return errors.Is(err, fs.ErrNotExist) }

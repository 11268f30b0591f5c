package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const defaultSegmentSize = 64 << 20

// Options configure a Log. The zero value is the production setting.
type Options struct {
	// Logger receives warnings (torn tails truncated, damaged snapshots
	// skipped) and the cause of a broken log. nil discards.
	Logger *slog.Logger
	// SegmentSize is the size after which the log rolls to a new segment;
	// 0 means 64 MiB. A batch is never split, so a segment may exceed it by
	// one batch.
	SegmentSize int64
	// NoSync skips fdatasync and directory fsyncs. Tests only: with it,
	// Invariant 1 does not hold.
	NoSync bool
	// Now is the clock stamped on each batch's commit frame (doc.go); nil
	// means time.Now. Tests fix it so that files are reproducible byte for
	// byte.
	Now func() time.Time
	// WrapFile, when non-nil, wraps every segment file the log opens for
	// appending. Tests use it to count syncs, block them, or inject write
	// and sync failures (ENOSPC, EIO, short writes). Never set in production.
	WrapFile func(path string, f File) File
	// ObserveBatch, when non-nil, is told the number of records and the
	// fdatasync time of every durable batch (for metrics). It runs on the
	// writer goroutine before the waiters are released: keep it quick.
	ObserveBatch func(records int, fsync time.Duration)
}

// File is what the log needs from the segment it appends to. The default
// implementation is an *os.File whose Sync is fdatasync.
type File interface {
	// Write writes p at the current end of the segment.
	Write(p []byte) (n int, err error)
	// Sync makes written data durable (fdatasync).
	Sync() error
	// Truncate cuts the segment back to size bytes.
	Truncate(size int64) error
	Close() error
}

// notWritable says plainly when err means the data directory cannot be
// written (a read-only mount, or permissions), instead of leaving the
// person starting the server with "open LOCK: read-only file system".
// Other errors are returned as they are.
func notWritable(dir string, err error) error {
	if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("wal: data directory %s cannot be written (%w): the log lives there, so it must be writable; fix the mount or permissions, or choose another directory", dir, err)
	}
	return err
}

// osFile is the production File: Sync is fdatasync, skipped under NoSync.
type osFile struct {
	*os.File
	noSync bool
}

func (f osFile) Sync() error {
	if f.noSync {
		return nil
	}
	return fdatasync(f.File)
}

// Log is an open data directory: segments, snapshots and the lock. Append
// and WriteSnapshot are safe for concurrent use; Replay and Snapshot are
// meant for start-up, before the first Append.
type Log struct {
	dir, walDir, snapDir string
	opts                 Options
	logger               *slog.Logger
	lockFile             *os.File

	// closeMu guards closed and sends on reqs, so Close never closes the
	// channel under a sender.
	closeMu sync.RWMutex
	closed  bool
	reqs    chan *appendReq
	done    chan struct{} // closed when the writer goroutine has exited

	// mu guards segments, activeEnd readers' view, snapSeq and sizes.
	// Never held across I/O the writer waits on (Invariant 6).
	mu        sync.Mutex
	segments  []segment // in seq order; the last is active
	activeEnd int64     // end of the last durable batch in the active segment
	snapSeq   uint64    // seq of the newest snapshot (by file name)
	sizes     sizeIndex

	lastSeq atomic.Uint64 // last durable seq

	errMu  sync.Mutex
	broken error // sticky; wraps ErrBroken
	full   error // the latest batch was refused for lack of space; wraps ErrNoSpace

	snapMu sync.Mutex // serialises WriteSnapshot and Close

	w writer // owned by the writer goroutine
}

// Open locks dir, creates wal/ and snap/ if missing, scans every segment,
// truncates a torn tail of the last segment (warning with path and offset),
// removes stale temporary files and starts the writer goroutine. Any other
// damage is refused with a *CorruptError and nothing is modified; a second
// Open of a locked directory fails with ErrLocked. Open does not apply
// anything: call Snapshot and Replay.
func Open(dir string, opts Options) (*Log, error) {
	l, err := open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", dir, err)
	}
	return l, nil
}

func open(dir string, opts Options) (*Log, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = defaultSegmentSize
	}
	l := &Log{
		dir: dir, walDir: filepath.Join(dir, "wal"), snapDir: filepath.Join(dir, "snap"),
		opts: opts, logger: opts.Logger,
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	for _, d := range []string{dir, l.walDir, l.snapDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, notWritable(dir, err)
		}
	}
	// The directories' names must be durable before anything in them is
	// acknowledged: a power loss would otherwise take wal/ away with every
	// record in it. They may have been made by an earlier process that
	// crashed before syncing, so sync every time, not only on creation.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := syncDir(d, opts.NoSync); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, notWritable(dir, err)
	}
	l.lockFile = lock
	if err := l.recover(); err != nil {
		unlockDir(lock)
		return nil, err
	}
	l.reqs = make(chan *appendReq, 1024)
	l.done = make(chan struct{})
	go l.run()
	return l, nil
}

// recover scans the directory and prepares the active segment. It modifies
// nothing until every segment has been checked (Invariant 4: damage stops
// start-up with the data untouched).
func (l *Log) recover() error {
	if err := checkRestoreMarker(l.dir); err != nil {
		return err
	}
	snaps, err := listSnapshots(l.snapDir)
	if err != nil {
		return err
	}
	if len(snaps) > 0 {
		l.snapSeq = snaps[len(snaps)-1].seq
	}
	segs, err := listSegments(l.walDir)
	if err != nil {
		return err
	}
	last, torn, err := l.scanAll(segs)
	if err != nil {
		return err
	}
	if len(segs) > 0 && last < l.snapSeq {
		s := segs[len(segs)-1]
		return &CorruptError{Path: s.path, Seq: last + 1,
			Reason: fmt.Sprintf("log ends at seq %d, before the newest snapshot's seq %d", last, l.snapSeq)}
	}
	if err := removeTemps(l.walDir, l.snapDir); err != nil {
		return err
	}
	if torn != nil {
		if err := l.truncateTorn(torn); err != nil {
			return err
		}
	}
	if len(segs) == 0 {
		// A fresh directory, or one restored from a snapshot alone: the log
		// continues after the snapshot so seqs are never reused (Invariant 2).
		last = l.snapSeq
		path, err := createSegment(l.walDir, last+1, l.opts.NoSync)
		if err != nil {
			return err
		}
		segs = []segment{{path: path, first: last + 1}}
		l.activeEnd = segHeaderSize
	}
	l.segments = segs
	l.lastSeq.Store(last)
	return l.openActive()
}

// scanAll checks every segment and the seq continuity between them. Only
// the last segment may end in a torn tail; it is returned, not yet cut.
func (l *Log) scanAll(segs []segment) (last uint64, torn *tornTail, err error) {
	for i, seg := range segs {
		isLast := i == len(segs)-1
		if i > 0 && seg.first != last+1 {
			return 0, nil, &CorruptError{Path: seg.path, Seq: last + 1,
				Reason: fmt.Sprintf("sequence gap: segment starts at seq %d, previous ends at %d", seg.first, last)}
		}
		var bytesBefore int64
		s, err := scanSegment(seg, -1, isLast, false, func(recs []Record, end int64) error {
			l.sizes.add(recs[len(recs)-1].Seq, end-segHeaderSize-bytesBefore)
			bytesBefore = end - segHeaderSize
			return nil
		})
		if err != nil {
			return 0, nil, err
		}
		last = s.last
		if isLast {
			l.activeEnd, torn = s.end, s.torn
		}
	}
	return last, torn, nil
}

// truncateTorn cuts the last segment back to its last complete batch.
// Invariant 4: a torn tail is repaired, with a warning naming file and offset.
func (l *Log) truncateTorn(t *tornTail) error {
	l.logger.Warn("wal: truncating torn tail", "path", t.Path, "offset", t.Offset,
		"damage_offset", t.At, "seq", t.Seq, "reason", t.Reason)
	f, err := os.OpenFile(t.Path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(t.Offset)
	if err == nil && !l.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("truncate %s to %d: %w", t.Path, t.Offset, err)
	}
	return nil
}

// openActive opens the last segment for appending at its durable end.
func (l *Log) openActive() error {
	seg := l.segments[len(l.segments)-1]
	f, err := l.openSegmentFile(seg.path, l.activeEnd)
	if err != nil {
		return err
	}
	l.w = writer{file: f, path: seg.path, size: l.activeEnd, enc: NewEncoder()}
	return nil
}

// openSegmentFile opens path for writing at offset, wrapped by
// Options.WrapFile.
func (l *Log) openSegmentFile(path string, offset int64) (File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	var file File = osFile{File: f, noSync: l.opts.NoSync}
	if l.opts.WrapFile != nil {
		file = l.opts.WrapFile(path, file)
	}
	return file, nil
}

// checkRestoreMarker refuses a directory a restore did not finish.
func checkRestoreMarker(dir string) error {
	_, err := os.Lstat(filepath.Join(dir, RestoreMarker))
	switch {
	case err == nil:
		return fmt.Errorf("%s holds %s: %w", dir, RestoreMarker, ErrRestoreUnfinished)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return err
	}
}

// removeTemps deletes leftover *.tmp files from an interrupted segment or
// snapshot creation; they were never renamed into place, so never relied on.
func removeTemps(dirs ...string) error {
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), tmpExt) {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Dir returns the data directory.
func (l *Log) Dir() string { return l.dir }

// LastSeq returns the last durable sequence number, 0 for an empty log.
func (l *Log) LastSeq() uint64 { return l.lastSeq.Load() }

// Err returns nil while the log accepts appends, and the sticky error
// (wrapping ErrBroken and its cause) after a failed write or fsync.
func (l *Log) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.broken
}

// SizeSinceSnapshot returns the bytes of log frames written in batches after
// the newest snapshot's seq (an overestimate by at most one batch, or more
// after very many batches without a snapshot). memstore compacts on it.
func (l *Log) SizeSinceSnapshot() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sizes.since(l.snapSeq)
}

// Close waits for pending appends to complete, lets a running WriteSnapshot
// finish, syncs and closes the active segment and releases the directory
// lock. Later calls return nil.
func (l *Log) Close() error {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.closeMu.Unlock()
	<-l.done
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	var errs []error
	if l.Err() == nil {
		errs = append(errs, l.w.file.Sync())
	}
	errs = append(errs, l.w.file.Close(), unlockDir(l.lockFile))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: close %s: %w", l.dir, err)
	}
	return nil
}

// isClosed reports whether Close has been called.
func (l *Log) isClosed() bool {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	return l.closed
}

// sizeIndex maps seqs to the cumulative frame bytes written up to them, so
// SizeSinceSnapshot can answer for any snapshot seq. It keeps the latest
// batch exactly and a mark every stride batches before it; when the marks
// outgrow maxSizeMarks every other one is dropped and the stride doubles.
// A missing mark only makes the answer an overestimate, by < stride batches.
type sizeIndex struct {
	total   int64
	last    sizeMark // the latest batch
	marks   []sizeMark
	stride  int // batches between marks (0 means 1)
	pending int // batches since the last mark
}

type sizeMark struct {
	seq   uint64 // last seq of a batch
	total int64  // cumulative bytes after it
}

const maxSizeMarks = 4096

func (x *sizeIndex) add(lastSeq uint64, n int64) {
	x.total += n
	x.last = sizeMark{lastSeq, x.total}
	if x.pending++; x.pending < max(x.stride, 1) {
		return
	}
	x.pending = 0
	x.marks = append(x.marks, x.last)
	if len(x.marks) > maxSizeMarks {
		kept := x.marks[:0]
		for i := 1; i < len(x.marks); i += 2 {
			kept = append(kept, x.marks[i])
		}
		x.marks = kept
		x.stride = max(x.stride, 1) * 2
	}
}

// since returns the bytes written after the latest mark at or before seq.
func (x *sizeIndex) since(seq uint64) int64 {
	if seq >= x.last.seq {
		return x.total - x.last.total
	}
	for i := len(x.marks) - 1; i >= 0; i-- {
		if x.marks[i].seq <= seq {
			return x.total - x.marks[i].total
		}
	}
	return x.total
}

// forget drops marks older than the latest one at or before seq, which
// no snapshot will ask about again.
func (x *sizeIndex) forget(seq uint64) {
	i := len(x.marks) - 1
	for i >= 0 && x.marks[i].seq > seq {
		i--
	}
	if i > 0 {
		x.marks = append(x.marks[:0], x.marks[i:]...)
	}
}

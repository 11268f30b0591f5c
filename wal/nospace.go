package wal

import (
	"errors"
	"fmt"
	"syscall"
)

// errShortWrite marks a write that stored fewer bytes than asked without
// an error: the kernel's way of saying the file system filled up mid-write.
var errShortWrite = errors.New("short write")

// isNoSpace reports whether a failed write means the disk (or the quota)
// is full, which leaves what was written before intact, rather than an I/O
// error, after which nothing can be trusted.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, errShortWrite)
}

// noSpace handles a batch write that failed for lack of space (doc.go, "A
// full disk"): the segment is cut back to the last good offset and synced,
// reopened there, and its tail proven intact by reading it back; only then
// is the failure an ErrNoSpace that the next batch may retry. If any step
// fails, the log breaks as for any other write failure (Invariant 5).
func (l *Log) noSpace(op string, cause error) error {
	w := &l.w
	if err := w.file.Truncate(w.size); err != nil {
		return l.fail(op, fmt.Errorf("%w; then truncate: %w", cause, err))
	}
	if err := w.file.Sync(); err != nil {
		return l.fail(op, fmt.Errorf("%w; then fdatasync after truncate: %w", cause, err))
	}
	// The failed write moved the file offset; reopen at the good end so
	// the next batch does not leave a hole.
	if err := w.file.Close(); err != nil {
		l.logger.Warn("wal: close segment after a failed write", "path", w.path, "err", err)
	}
	f, err := l.openSegmentFile(w.path, w.size)
	if err != nil {
		w.file = brokenFile{err}
		return l.fail(op, fmt.Errorf("%w; then reopen: %w", cause, err))
	}
	w.file = f
	if err := l.proveTail(); err != nil {
		return l.fail(op, fmt.Errorf("%w; then check the tail: %w", cause, err))
	}
	return l.setNoSpace(fmt.Errorf("%w: %s %s at offset %d: %w", ErrNoSpace, op, w.path, w.size, cause))
}

// proveTail reads the active segment back and checks that it ends exactly
// at the last durable batch, which is whole and holds the last durable seq.
func (l *Log) proveTail() error {
	l.mu.Lock()
	seg := l.segments[len(l.segments)-1]
	l.mu.Unlock()
	s, err := scanSegment(seg, -1, true, false, nil)
	switch {
	case err != nil:
		return err
	case s.torn != nil:
		return fmt.Errorf("torn tail at offset %d after the cut: %s", s.torn.At, s.torn.Reason)
	case s.end != l.w.size || s.size != l.w.size:
		return fmt.Errorf("segment ends at %d (last batch at %d), want %d", s.size, s.end, l.w.size)
	case s.last != l.lastSeq.Load():
		return fmt.Errorf("segment ends at seq %d, want %d", s.last, l.lastSeq.Load())
	}
	return nil
}

// setNoSpace records err as the log's no-space state (logged once per
// episode) and returns it.
func (l *Log) setNoSpace(err error) error {
	l.errMu.Lock()
	first := l.full == nil
	l.full = err
	l.errMu.Unlock()
	if first {
		l.logger.Error("wal: disk full; refusing this batch, retrying with the next", "err", err)
	}
	return err
}

// clearNoSpace ends a no-space episode after a batch became durable.
func (l *Log) clearNoSpace() {
	l.errMu.Lock()
	was := l.full
	l.full = nil
	l.errMu.Unlock()
	if was != nil {
		l.logger.Info("wal: space returned; the log accepts writes again", "path", l.w.path, "offset", l.w.size)
	}
}

// Full returns the error of the latest batch if it was refused for lack of
// space (wrapping ErrNoSpace) and no batch has become durable since; nil
// otherwise. Unlike Err it is not sticky: appends are still tried.
func (l *Log) Full() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.full
}

// brokenFile stands in for a segment that could not be reopened; the log
// is broken by then, so only Close and Sync are ever called on it.
type brokenFile struct{ err error }

func (b brokenFile) Write([]byte) (int, error) { return 0, b.err }
func (b brokenFile) Sync() error               { return b.err }
func (b brokenFile) Truncate(int64) error      { return b.err }
func (b brokenFile) Close() error              { return nil }

package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	snapMagic = "VLOGSNAP"
	snapExt   = ".snap"
	// snapKeep snapshots are kept: the newest, and one to fall back to.
	snapKeep = 2
)

// snapFile is one file in DIR/snap.
type snapFile struct {
	path  string
	seq   uint64
	nanos uint64
}

// snapName names a snapshot by its seq and creation time, so a new snapshot
// never replaces an old one in place.
func snapName(seq uint64, nanos uint64) string {
	return fmt.Sprintf("%016x-%016x%s", seq, nanos, snapExt)
}

func parseSnapName(name string) (seq, nanos uint64, ok bool) {
	base, ok := strings.CutSuffix(name, snapExt)
	if !ok || len(base) != 33 || base[16] != '-' {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseUint(base[:16], 16, 64)
	nanos, err2 := strconv.ParseUint(base[17:], 16, 64)
	return seq, nanos, err1 == nil && err2 == nil
}

// listSnapshots returns the snapshots in snapDir, oldest first.
func listSnapshots(snapDir string) ([]snapFile, error) {
	entries, err := os.ReadDir(snapDir)
	if err != nil {
		return nil, err
	}
	var snaps []snapFile
	for _, e := range entries {
		if seq, nanos, ok := parseSnapName(e.Name()); ok && e.Type().IsRegular() {
			snaps = append(snaps, snapFile{path: filepath.Join(snapDir, e.Name()), seq: seq, nanos: nanos})
		}
	}
	slices.SortFunc(snaps, func(a, b snapFile) int {
		if c := cmpUint64(a.seq, b.seq); c != 0 {
			return c
		}
		return cmpUint64(a.nanos, b.nanos)
	})
	return snaps, nil
}

// Snapshot opens the newest snapshot whose checksums verify and returns the
// seq it covers and a reader of its payload, exactly as WriteSnapshot's write
// produced it (every chunk verified first). A damaged newest snapshot is
// skipped with a warning naming it, and the older one is used (the log still
// holds every record after it). Errors: ErrNoSnapshot when no snapshot
// verifies; one wrapping ErrNewerFormat for a snapshot from a newer vlogd;
// ErrClosed after Close. LoadSnapshot is the way to decode chunks in
// parallel.
func (l *Log) Snapshot() (seq uint64, payload io.ReadCloser, err error) {
	seq, err = l.loadSnapshot(true, func(r *SnapshotReader) error {
		p, err := r.Payload()
		payload = snapshotPayload{Reader: p, r: r}
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return seq, payload, nil
}

// snapshotPayload is a snapshot's payload; Close closes the file.
type snapshotPayload struct {
	io.Reader
	r *SnapshotReader
}

func (p snapshotPayload) Close() error { return p.r.Close() }

// WriteSnapshot writes a snapshot covering every record up to and including
// seq; write streams the payload (the caller's state as of seq, captured
// before the call so appends are not held up). The file is written to a
// temporary name, fdatasynced in chunks, renamed to a new name and the
// directory fsynced. Then only the two newest snapshots are kept, and
// segments holding only records the older of them covers are removed (so
// that the older one plus the log can stand in for a damaged newest); the
// active segment is never removed.
//
// Safe to call concurrently with Append; calls are serialised with each
// other. If seq equals the newest snapshot's seq it does nothing. Errors:
// seq beyond LastSeq or older than the newest snapshot, write's error
// (wrapped), I/O errors, ErrClosed.
func (l *Log) WriteSnapshot(seq uint64, write func(w *SnapshotWriter) error) error {
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	if l.isClosed() {
		return fmt.Errorf("wal: write snapshot: %w", ErrClosed)
	}
	l.mu.Lock()
	newest := l.snapSeq
	l.mu.Unlock()
	switch last := l.LastSeq(); {
	case seq == newest:
		return nil
	case seq < newest:
		return fmt.Errorf("wal: write snapshot at seq %d: older than the newest snapshot's seq %d", seq, newest)
	case seq > last:
		// Invariant 3: a snapshot never covers records the log does not hold.
		return fmt.Errorf("wal: write snapshot at seq %d: beyond the last durable seq %d", seq, last)
	}
	path, err := writeSnapshotFile(l.snapDir, seq, write, l.opts.NoSync)
	if err != nil {
		return fmt.Errorf("wal: write snapshot at seq %d: %w", seq, err)
	}
	l.logger.Debug("wal: snapshot written", "path", path, "seq", seq)
	l.mu.Lock()
	l.snapSeq = seq
	l.sizes.forget(seq)
	l.mu.Unlock()
	if err := l.prune(); err != nil {
		return fmt.Errorf("wal: write snapshot at seq %d: prune: %w", seq, err)
	}
	return nil
}

// writeSnapshotFile writes snapDir/<seq>-<nanos>.snap via a temporary file.
func writeSnapshotFile(snapDir string, seq uint64, write func(w *SnapshotWriter) error, noSync bool) (string, error) {
	path := filepath.Join(snapDir, snapName(seq, uint64(time.Now().UnixNano())))
	tmp := path + tmpExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	err = writeSnapshotBody(f, seq, write, noSync)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(snapDir, noSync)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return path, nil
}

// writeSnapshotBody writes the header, the chunks and the end frame to f
// and syncs it.
func writeSnapshotBody(f *os.File, seq uint64, write func(w *SnapshotWriter) error, noSync bool) error {
	hdr := append([]byte(snapMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(hdr[8:], snapVersion)
	hdr = binary.LittleEndian.AppendUint64(hdr, seq)
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, castagnoli))
	if _, err := f.Write(hdr); err != nil {
		return err
	}
	w := &SnapshotWriter{f: f}
	if !noSync {
		w.sync = newChunkSyncer(f)
	}
	err := write(w)
	if err != nil {
		err = fmt.Errorf("write payload: %w", err)
	} else {
		err = w.finish()
	}
	if w.sync != nil {
		if serr := w.sync.stop(); err == nil {
			err = serr
		}
	}
	return err
}

// prune keeps the two newest snapshots and removes the segments that hold
// only records the older kept snapshot covers. With a single snapshot no
// segment is removed: if it were damaged, the full log must remain.
func (l *Log) prune() error {
	snaps, err := listSnapshots(l.snapDir)
	if err != nil {
		return err
	}
	for len(snaps) > snapKeep {
		if err := os.Remove(snaps[0].path); err != nil {
			return err
		}
		snaps = snaps[1:]
	}
	if err := syncDir(l.snapDir, l.opts.NoSync); err != nil {
		return err
	}
	if len(snaps) < snapKeep {
		return nil
	}
	return l.removeSegmentsThrough(snaps[0].seq)
}

// removeSegmentsThrough removes every segment, except the active one, whose
// records all have seq <= upTo.
func (l *Log) removeSegmentsThrough(upTo uint64) error {
	l.mu.Lock()
	var doomed []segment
	for len(l.segments) > 1 && l.segments[1].first-1 <= upTo {
		doomed = append(doomed, l.segments[0])
		l.segments = l.segments[1:]
	}
	l.mu.Unlock()
	if len(doomed) == 0 {
		return nil
	}
	for _, s := range doomed {
		if err := os.Remove(s.path); err != nil {
			return err
		}
		l.logger.Debug("wal: segment removed", "path", s.path, "seq", s.first)
	}
	return syncDir(l.walDir, l.opts.NoSync)
}

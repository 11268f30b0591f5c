package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
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
	// snapHeaderSize: magic(8) + version(4) + seq(8); a CRC-32C trailer of
	// snapTrailerSize follows the payload.
	snapHeaderSize  = 20
	snapTrailerSize = 4
	// snapSyncChunk: a snapshot is fdatasynced every this many bytes so the
	// kernel never holds much of it dirty; otherwise the log's next fsync
	// could wait for the whole snapshot to reach the disk (Invariant 6).
	snapSyncChunk = 4 << 20
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

// Snapshot opens the newest snapshot whose checksum verifies and returns the
// seq it covers and a reader of its payload, exactly as WriteSnapshot's write
// produced it. A damaged newest snapshot is skipped with a warning naming it,
// and the older one is used (the log still holds every record after it).
// Errors: ErrNoSnapshot when no snapshot verifies; one wrapping
// ErrNewerFormat for a snapshot from a newer vlogd; ErrClosed after Close.
func (l *Log) Snapshot() (seq uint64, payload io.ReadCloser, err error) {
	if l.isClosed() {
		return 0, nil, fmt.Errorf("wal: snapshot: %w", ErrClosed)
	}
	snaps, err := listSnapshots(l.snapDir)
	if err != nil {
		return 0, nil, fmt.Errorf("wal: snapshot: %w", err)
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		seq, rc, err := openSnapshot(snaps[i])
		var ce *CorruptError
		if errors.As(err, &ce) {
			l.logger.Warn("wal: skipping damaged snapshot", "path", ce.Path, "offset", ce.Offset,
				"seq", snaps[i].seq, "reason", ce.Reason)
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("wal: snapshot: %w", err)
		}
		return seq, rc, nil
	}
	return 0, nil, fmt.Errorf("wal: snapshot %s: %w", l.snapDir, ErrNoSnapshot)
}

// snapshotReader is a snapshot's payload; Close closes the file.
type snapshotReader struct {
	*io.SectionReader
	f *os.File
}

func (r snapshotReader) Close() error { return r.f.Close() }

// openSnapshot verifies s end to end and returns a reader of its payload.
func openSnapshot(s snapFile) (uint64, io.ReadCloser, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, nil, err
	}
	seq, size, err := checkSnapshot(s, f)
	if err != nil {
		f.Close()
		return 0, nil, err
	}
	return seq, snapshotReader{io.NewSectionReader(f, snapHeaderSize, size), f}, nil
}

// checkSnapshot verifies a snapshot's header, name and CRC-32C trailer and
// returns its seq and payload size.
func checkSnapshot(s snapFile, f *os.File) (seq uint64, payloadSize int64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size := fi.Size()
	if size < snapHeaderSize+snapTrailerSize {
		return 0, 0, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("snapshot has %d bytes, too short", size)}
	}
	var hdr [snapHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0, 0, err
	}
	if seq, err = parseSnapHeader(s, hdr[:]); err != nil {
		return 0, 0, err
	}
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-snapTrailerSize)); err != nil {
		return 0, 0, err
	}
	var trailer [snapTrailerSize]byte
	if _, err := f.ReadAt(trailer[:], size-snapTrailerSize); err != nil {
		return 0, 0, err
	}
	if got, want := h.Sum32(), binary.LittleEndian.Uint32(trailer[:]); got != want {
		return 0, 0, &CorruptError{Path: s.path, Offset: size - snapTrailerSize, Seq: seq,
			Reason: fmt.Sprintf("snapshot checksum %08x, want %08x", got, want)}
	}
	return seq, size - snapHeaderSize - snapTrailerSize, nil
}

func parseSnapHeader(s snapFile, hdr []byte) (uint64, error) {
	if string(hdr[:8]) != snapMagic {
		return 0, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("bad magic %q", hdr[:8])}
	}
	if v := binary.LittleEndian.Uint32(hdr[8:12]); v != formatVersion {
		if v > formatVersion {
			return 0, versionError(s.path, v)
		}
		return 0, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("unknown format version %d", v)}
	}
	seq := binary.LittleEndian.Uint64(hdr[12:20])
	if seq != s.seq {
		return 0, &CorruptError{Path: s.path, Offset: 12, Seq: s.seq,
			Reason: fmt.Sprintf("header says seq %d, file name says %d", seq, s.seq)}
	}
	return seq, nil
}

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
func (l *Log) WriteSnapshot(seq uint64, write func(w io.Writer) error) error {
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
func writeSnapshotFile(snapDir string, seq uint64, write func(w io.Writer) error, noSync bool) (string, error) {
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

// writeSnapshotBody writes header, payload and trailer to f and syncs it.
func writeSnapshotBody(f *os.File, seq uint64, write func(w io.Writer) error, noSync bool) error {
	cw := &chunkSyncWriter{f: f, noSync: noSync}
	bw := bufio.NewWriterSize(cw, 1<<20)
	hdr := append([]byte(snapMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(hdr[8:], formatVersion)
	hdr = binary.LittleEndian.AppendUint64(hdr, seq)
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	if err := write(bw); err != nil {
		return fmt.Errorf("write payload: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if _, err := f.Write(binary.LittleEndian.AppendUint32(nil, cw.sum)); err != nil {
		return err
	}
	if noSync {
		return nil
	}
	return f.Sync()
}

// chunkSyncWriter writes to a snapshot file, keeps its running CRC-32C and
// fdatasyncs every snapSyncChunk bytes (see snapSyncChunk for why).
type chunkSyncWriter struct {
	f        *os.File
	noSync   bool
	sum      uint32
	unsynced int
}

func (w *chunkSyncWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.sum = crc32.Update(w.sum, castagnoli, p[:n])
	w.unsynced += n
	if err == nil && !w.noSync && w.unsynced >= snapSyncChunk {
		err = fdatasync(w.f)
		w.unsynced = 0
	}
	return n, err
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

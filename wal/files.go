package wal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// This file exports read-only views of a data directory's files for tools
// that work beside a running Log without its lock: `vlogd backup` copying
// the log as it grows, `vlogd restore` rebuilding a directory from a copy.
// They never modify anything.

// SegmentHeaderSize is the size of a segment's header; its first frame
// starts here.
const SegmentHeaderSize = segHeaderSize

// SegmentInfo is one segment file, known by the first seq it holds.
type SegmentInfo struct {
	Path  string
	First uint64 // from the file name
}

// Segments lists the segments in walDir (DIR/wal) in seq order. Other files
// (temporary files, copies set aside by Repair) are ignored. Errors: those
// of reading the directory (wrapping fs.ErrNotExist when it is missing).
func Segments(walDir string) ([]SegmentInfo, error) {
	segs, err := listSegments(walDir)
	if err != nil {
		return nil, fmt.Errorf("wal: list segments: %w", err)
	}
	out := make([]SegmentInfo, len(segs))
	for i, s := range segs {
		out[i] = SegmentInfo{Path: s.path, First: s.first}
	}
	return out, nil
}

// SegmentName returns the file name of the segment whose first seq is first.
func SegmentName(first uint64) string { return segmentName(first) }

// ParseSegmentName returns the first seq a segment file name encodes, and
// whether name is a segment's name at all.
func ParseSegmentName(name string) (first uint64, ok bool) { return parseSegmentName(name) }

// SnapshotInfo is one snapshot file, known by its name.
type SnapshotInfo struct {
	Path string
	Seq  uint64 // the last seq it covers
	Time int64  // when it was written, Unix nanoseconds (from the name)
}

// Snapshots lists the snapshots in snapDir (DIR/snap), oldest first, without
// checking their contents. Errors: those of reading the directory (wrapping
// fs.ErrNotExist when it is missing).
func Snapshots(snapDir string) ([]SnapshotInfo, error) {
	snaps, err := listSnapshots(snapDir)
	if err != nil {
		return nil, fmt.Errorf("wal: list snapshots: %w", err)
	}
	out := make([]SnapshotInfo, len(snaps))
	for i, s := range snaps {
		out[i] = SnapshotInfo{Path: s.path, Seq: s.seq, Time: int64(s.nanos)}
	}
	return out, nil
}

// ParseSnapshotName returns the seq and time a snapshot file name encodes,
// and whether name is a snapshot's name at all.
func ParseSnapshotName(name string) (seq uint64, nanos int64, ok bool) {
	seq, n, ok := parseSnapName(name)
	return seq, int64(n), ok
}

// CheckSnapshotFile verifies the snapshot file at path end to end (magic,
// version, seq against name, CRC-32C trailer) as if it were named name: a
// copy being written under a temporary name is checked against the name it
// will get. It returns the payload size. Errors: *CorruptError for damage
// (a name that is not a snapshot's included), one wrapping ErrNewerFormat
// for a newer format, I/O errors.
func CheckSnapshotFile(path, name string) (payloadSize int64, err error) {
	seq, nanos, ok := parseSnapName(name)
	if !ok {
		return 0, &CorruptError{Path: path, Reason: fmt.Sprintf("%q is not a snapshot name", name)}
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, size, err := checkSnapshot(snapFile{path: path, seq: seq, nanos: nanos}, f)
	return size, err
}

// CheckSnapshot verifies the snapshot at path under its own name; see
// CheckSnapshotFile.
func CheckSnapshot(path string) (payloadSize int64, err error) {
	return CheckSnapshotFile(path, filepath.Base(path))
}

// ReadSnapshot verifies the snapshot at path end to end and returns the seq
// it covers and a reader of its payload, exactly as WriteSnapshot wrote it;
// the caller closes the reader. It takes no lock. Errors: as CheckSnapshot.
func ReadSnapshot(path string) (seq uint64, payload io.ReadCloser, err error) {
	r, err := OpenSnapshot(path)
	if err != nil {
		return 0, nil, err
	}
	p, err := r.Payload()
	if err != nil {
		r.Close()
		return 0, nil, err
	}
	return r.Seq, snapshotPayload{Reader: p, r: r}, nil
}

// LockDir takes the exclusive flock on dir/LOCK that Open takes on a data
// directory, for tools that keep a directory of the same kind (a backup's
// destination). Closing the returned file releases it. Errors: ErrLocked
// when another process holds it; I/O errors.
func LockDir(dir string) (*os.File, error) { return lockDir(dir) }

// TruncateSynced cuts the file at path to size bytes and fsyncs it.
func TruncateSynced(path string, size int64) error { return truncateSynced(path, size) }

// SyncDir fsyncs the directory dir so that the creations, renames and
// removals in it are durable, for tools that write files of their own
// beside the log (a backup, the server's secret).
func SyncDir(dir string) error {
	if err := syncDir(dir, false); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// Fdatasync flushes f's data, and the metadata needed to read it back, to
// stable storage, retrying on EINTR.
func Fdatasync(f *os.File) error { return fdatasync(f) }

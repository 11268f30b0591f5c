package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Snapshot file versions this build reads. Version 1 is one payload with a
// CRC-32C over the whole file; version 2 (written since) is a sequence of
// chunks, each with its own length and CRC-32C, so that readers verify and
// decode them on every core. See doc.go for the bytes.
const (
	snapVersion1 = 1
	snapVersion2 = 2
	// snapVersion is the version WriteSnapshot writes.
	snapVersion = snapVersion2
)

const (
	// snap1HeaderSize: magic(8) + version(4) + seq(8); a CRC-32C trailer of
	// snap1TrailerSize follows the payload.
	snap1HeaderSize  = 20
	snap1TrailerSize = 4
	// snap2HeaderSize: magic(8) + version(4) + seq(8) + CRC-32C(4).
	snap2HeaderSize = 24
	// chunkHeaderSize: length(4) + CRC-32C(4) before each chunk.
	chunkHeaderSize = 8
	// snap2EndSize: the end frame, a zero length(4) + chunk count(8) +
	// CRC-32C of every chunk header(4).
	snap2EndSize = 16
	// MaxSnapshotChunk is the largest chunk a version 2 snapshot holds.
	MaxSnapshotChunk = 64 << 20
)

// SnapshotReader reads one snapshot file. Opening it checks the header and,
// for version 2, the table of chunks and the end frame; each chunk's CRC is
// checked as it is read, so a reader may verify and decode chunks on every
// core. For version 1 the whole file's CRC is checked on open.
type SnapshotReader struct {
	Path    string
	Seq     uint64 // the last seq the snapshot covers
	Version int    // file format version: 1 (one payload) or 2 (chunks)
	Size    int64  // bytes of the file

	f      *os.File
	chunks []chunkRef // version 2
	v1Size int64      // version 1: payload bytes
}

// chunkRef locates one chunk's payload in a version 2 file.
type chunkRef struct {
	off int64 // of the payload
	n   int
	sum uint32
}

// OpenSnapshot opens the snapshot at path under its own name, without any
// lock, and checks its header and structure (see SnapshotReader). Errors:
// *CorruptError for damage (a name that is not a snapshot's included), one
// wrapping ErrNewerFormat for a newer format, I/O errors.
func OpenSnapshot(path string) (*SnapshotReader, error) {
	seq, nanos, ok := parseSnapName(filepath.Base(path))
	if !ok {
		return nil, &CorruptError{Path: path, Reason: fmt.Sprintf("%q is not a snapshot name", filepath.Base(path))}
	}
	return openSnapshotFile(snapFile{path: path, seq: seq, nanos: nanos})
}

func openSnapshotFile(s snapFile) (*SnapshotReader, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	r, err := readSnapshotStructure(s, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// readSnapshotStructure reads and checks what opening a snapshot checks.
func readSnapshotStructure(s snapFile, f *os.File) (*SnapshotReader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := &SnapshotReader{Path: s.path, Size: fi.Size(), f: f}
	if r.Size < snap1HeaderSize+snap1TrailerSize {
		return nil, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("snapshot has %d bytes, too short", r.Size)}
	}
	var hdr [snap2HeaderSize]byte
	if _, err := f.ReadAt(hdr[:snap1HeaderSize], 0); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != snapMagic {
		return nil, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("bad magic %q", hdr[:8])}
	}
	switch v := binary.LittleEndian.Uint32(hdr[8:12]); v {
	case snapVersion1:
		r.Version = snapVersion1
	case snapVersion2:
		r.Version = snapVersion2
	default:
		if v > snapVersion {
			return nil, fmt.Errorf("%s: snapshot format version %d newer than supported (%d): %w",
				s.path, v, snapVersion, ErrNewerFormat)
		}
		return nil, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("unknown format version %d", v)}
	}
	r.Seq = binary.LittleEndian.Uint64(hdr[12:20])
	if r.Version == snapVersion2 {
		if r.Size < snap2HeaderSize+snap2EndSize {
			return nil, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("snapshot has %d bytes, too short", r.Size)}
		}
		if _, err := f.ReadAt(hdr[snap1HeaderSize:], snap1HeaderSize); err != nil {
			return nil, err
		}
		if got, want := crc32.Checksum(hdr[:20], castagnoli), binary.LittleEndian.Uint32(hdr[20:]); got != want {
			return nil, &CorruptError{Path: s.path, Seq: s.seq, Reason: fmt.Sprintf("header checksum %08x, want %08x", got, want)}
		}
	}
	if r.Seq != s.seq {
		return nil, &CorruptError{Path: s.path, Offset: 12, Seq: s.seq,
			Reason: fmt.Sprintf("header says seq %d, file name says %d", r.Seq, s.seq)}
	}
	if r.Version == snapVersion1 {
		return r, r.checkV1()
	}
	return r, r.readChunkTable()
}

// checkV1 verifies a version 1 file's CRC-32C trailer, which covers it all.
func (r *SnapshotReader) checkV1() error {
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(r.f, 0, r.Size-snap1TrailerSize)); err != nil {
		return err
	}
	var trailer [snap1TrailerSize]byte
	if _, err := r.f.ReadAt(trailer[:], r.Size-snap1TrailerSize); err != nil {
		return err
	}
	if got, want := h.Sum32(), binary.LittleEndian.Uint32(trailer[:]); got != want {
		return &CorruptError{Path: r.Path, Offset: r.Size - snap1TrailerSize, Seq: r.Seq,
			Reason: fmt.Sprintf("snapshot checksum %08x, want %08x", got, want)}
	}
	r.v1Size = r.Size - snap1HeaderSize - snap1TrailerSize
	return nil
}

// readChunkTable walks a version 2 file's chunk headers to its end frame,
// checking each length against the maximum and the bytes left, and the end
// frame's count and checksum of the headers.
func (r *SnapshotReader) readChunkTable() error {
	corrupt := func(off int64, format string, args ...any) error {
		return &CorruptError{Path: r.Path, Offset: off, Seq: r.Seq, Reason: fmt.Sprintf(format, args...)}
	}
	off := int64(snap2HeaderSize)
	var hdrSum uint32
	var hdr [chunkHeaderSize]byte
	for {
		if off+snap2EndSize > r.Size {
			return corrupt(off, "snapshot ends without its end frame")
		}
		if _, err := r.f.ReadAt(hdr[:], off); err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:4]))
		if n == 0 {
			break
		}
		if n > MaxSnapshotChunk || off+chunkHeaderSize+n+snap2EndSize > r.Size {
			return corrupt(off, "chunk length %d out of range (%d bytes left)", n, r.Size-off-chunkHeaderSize)
		}
		hdrSum = crc32.Update(hdrSum, castagnoli, hdr[:])
		r.chunks = append(r.chunks, chunkRef{off: off + chunkHeaderSize, n: int(n), sum: binary.LittleEndian.Uint32(hdr[4:])})
		off += chunkHeaderSize + n
	}
	var end [snap2EndSize]byte
	if _, err := r.f.ReadAt(end[:], off); err != nil {
		return err
	}
	switch count, sum := binary.LittleEndian.Uint64(end[4:12]), binary.LittleEndian.Uint32(end[12:]); {
	case count != uint64(len(r.chunks)):
		return corrupt(off, "end frame counts %d chunks, found %d", count, len(r.chunks))
	case sum != hdrSum:
		return corrupt(off, "end frame checksum %08x, want %08x", sum, hdrSum)
	case off+snap2EndSize != r.Size:
		return corrupt(off+snap2EndSize, "%d bytes after the end frame", r.Size-off-snap2EndSize)
	}
	return nil
}

// Chunks returns the number of chunks (0 for a version 1 file).
func (r *SnapshotReader) Chunks() int { return len(r.chunks) }

// ChunkLen returns the length of chunk i's payload.
func (r *SnapshotReader) ChunkLen(i int) int { return r.chunks[i].n }

// ReadChunk reads chunk i into buf (grown if too small) and checks its
// CRC-32C. It is safe to call from several goroutines at once. Errors:
// *CorruptError for a checksum mismatch, I/O errors.
func (r *SnapshotReader) ReadChunk(i int, buf []byte) ([]byte, error) {
	c := r.chunks[i]
	if cap(buf) < c.n {
		buf = make([]byte, c.n)
	}
	buf = buf[:c.n]
	if _, err := r.f.ReadAt(buf, c.off); err != nil {
		return nil, fmt.Errorf("wal: read snapshot %s chunk %d: %w", r.Path, i, err)
	}
	if got := crc32.Checksum(buf, castagnoli); got != c.sum {
		return nil, &CorruptError{Path: r.Path, Offset: c.off - chunkHeaderSize, Seq: r.Seq,
			Reason: fmt.Sprintf("chunk %d checksum %08x, want %08x", i, got, c.sum)}
	}
	return buf, nil
}

// Payload returns a reader of the whole payload: for version 1 as written,
// for version 2 the chunks one after another. Every chunk is verified
// first (on every core), so what the reader returns is sound.
func (r *SnapshotReader) Payload() (io.Reader, error) {
	if r.Version == snapVersion1 {
		return io.NewSectionReader(r.f, snap1HeaderSize, r.v1Size), nil
	}
	if err := r.Verify(); err != nil {
		return nil, err
	}
	parts := make([]io.Reader, len(r.chunks))
	for i, c := range r.chunks {
		parts[i] = io.NewSectionReader(r.f, c.off, int64(c.n))
	}
	return io.MultiReader(parts...), nil
}

// PayloadSize returns the payload's bytes (all chunks for version 2).
func (r *SnapshotReader) PayloadSize() int64 {
	if r.Version == snapVersion1 {
		return r.v1Size
	}
	var n int64
	for _, c := range r.chunks {
		n += int64(c.n)
	}
	return n
}

// Verify checks every chunk's CRC-32C, on every core (a version 1 file was
// checked whole when opened). The first damage found is returned as a
// *CorruptError.
func (r *SnapshotReader) Verify() error {
	return r.EachChunk(func(int, []byte) error { return nil })
}

// EachChunk reads and verifies every chunk on every core, calling fn with
// each (in no particular order; buf is reused after fn returns). It stops
// at the first error, which it returns: fn's, or a *CorruptError.
func (r *SnapshotReader) EachChunk(fn func(i int, chunk []byte) error) error {
	var (
		next     = make(chan int)
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return firstErr != nil }
	workers := min(runtime.GOMAXPROCS(0), max(1, len(r.chunks)))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				b, err := r.ReadChunk(i, buf)
				if err == nil {
					buf = b
					err = fn(i, b)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range r.chunks {
		if failed() {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}

// Close closes the file.
func (r *SnapshotReader) Close() error { return r.f.Close() }

// checkSnapshot verifies the snapshot in f end to end and returns its seq
// and payload size.
func checkSnapshot(s snapFile, f *os.File) (seq uint64, payloadSize int64, err error) {
	r, err := readSnapshotStructure(s, f)
	if err != nil {
		return 0, 0, err
	}
	if err := r.Verify(); err != nil {
		return 0, 0, err
	}
	return r.Seq, r.PayloadSize(), nil
}

// LoadSnapshot calls load with the newest snapshot that opens soundly. When
// load returns an error wrapping *CorruptError (a chunk failed its
// checksum), that snapshot is skipped with a warning naming it and load is
// called again with the next older one: the log still holds every record
// after it. Other errors from load are returned as they are. It returns the
// seq of the snapshot load accepted. Errors: ErrNoSnapshot when none is
// sound; one wrapping ErrNewerFormat; ErrClosed after Close.
func (l *Log) LoadSnapshot(load func(r *SnapshotReader) error) (seq uint64, err error) {
	return l.loadSnapshot(false, load)
}

// loadSnapshot is LoadSnapshot; with keepOpen the accepted reader is left
// open for the caller.
func (l *Log) loadSnapshot(keepOpen bool, load func(r *SnapshotReader) error) (uint64, error) {
	if l.isClosed() {
		return 0, fmt.Errorf("wal: snapshot: %w", ErrClosed)
	}
	snaps, err := listSnapshots(l.snapDir)
	if err != nil {
		return 0, fmt.Errorf("wal: snapshot: %w", err)
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		r, err := openSnapshotFile(snaps[i])
		if err == nil {
			err = load(r)
			if err != nil || !keepOpen {
				r.Close()
			}
			if err == nil {
				return r.Seq, nil
			}
		}
		var ce *CorruptError
		if errors.As(err, &ce) {
			l.logger.Warn("wal: skipping damaged snapshot", "path", ce.Path, "offset", ce.Offset,
				"seq", snaps[i].seq, "reason", ce.Reason)
			continue
		}
		return 0, fmt.Errorf("wal: snapshot %s: %w", snaps[i].path, err)
	}
	return 0, fmt.Errorf("wal: snapshot %s: %w", l.snapDir, ErrNoSnapshot)
}

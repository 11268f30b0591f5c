package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"vlogd/wal"
)

// compareTail is how many bytes before the position are compared between
// the source and DEST on every pass: more than a commit frame, whose time
// and checksum over its batch make it a fingerprint of the history.
const compareTail = 64

// passLog copies new blobs and then new whole log batches (see doc.go for
// why in that order). Failures other than ErrDiverged are retried by the
// next pass.
func (b *Backup) passLog() error {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	segs, err := wal.Segments(b.srcWal())
	if notYet(err) || (err == nil && len(segs) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	start, err := b.workingSegment(segs)
	if err != nil || start < 0 {
		return err
	}
	// Step 1: how much log this pass may copy. A record within these sizes
	// was written after the blobs it names were durable.
	sizes := make([]int64, len(segs))
	for i := start; i < len(segs); i++ {
		fi, err := os.Stat(segs[i].Path)
		if err != nil {
			return fmt.Errorf("backup: %w", err) // removed under us: the next pass sees the new list
		}
		sizes[i] = fi.Size()
	}
	// Step 2: blobs.
	if err := b.copyBlobs(); err != nil {
		return err
	}
	// Step 3: the log.
	for i := start; i < len(segs); i++ {
		final := i < len(segs)-1 // the server has moved on: nothing more will be appended
		if err := b.copySegment(segs[i], sizes[i], final); err != nil {
			return err
		}
	}
	return nil
}

// workingSegment returns the index of the source segment to continue with,
// or -1 when there is nothing to do.
func (b *Backup) workingSegment(segs []wal.SegmentInfo) (int, error) {
	if !b.havePos {
		return 0, nil // a new DEST: everything the data directory still has
	}
	for i, s := range segs {
		if filepath.Base(s.Path) == b.pos.Segment {
			return i, nil
		}
		if s.First > b.pos.first() {
			// Our segment was removed (compacted) before it was finished;
			// carry on with the next one. copySegment reports the hole.
			return i, nil
		}
	}
	return -1, fmt.Errorf("backup: %s has no segment at or after %s, which DEST continues: %w",
		b.srcWal(), b.pos.Segment, ErrDiverged)
}

// copySegment copies the whole batches of seg up to size bytes. final says
// the segment will never grow again, so an incomplete tail is damage.
func (b *Backup) copySegment(seg wal.SegmentInfo, size int64, final bool) error {
	name := filepath.Base(seg.Path)
	if !b.havePos || name != b.pos.Segment {
		if err := b.startSegment(seg); err != nil {
			return err
		}
	} else if err := b.checkContinues(seg.Path, size); err != nil {
		return err
	}
	if size <= b.pos.Offset {
		if final && size == b.pos.Offset {
			return nil
		}
		if size < b.pos.Offset {
			return fmt.Errorf("backup: %s has %d bytes, fewer than the %d already copied: %w", seg.Path, size, b.pos.Offset, ErrDiverged)
		}
		return nil
	}
	tail, err := wal.ReadBatches(seg.Path, b.pos.Offset, b.pos.Seq+1, size, false, func(wal.Batch) error { return nil })
	if err != nil {
		return fmt.Errorf("backup: the data directory's log is damaged, not copied past offset %d: %w", tail.End, err)
	}
	if tail.End > b.pos.Offset {
		if err := b.appendBatches(seg.Path, tail); err != nil {
			return err
		}
	}
	if final && (tail.Incomplete != nil || tail.End != size) {
		return fmt.Errorf("backup: %s ends in an incomplete batch but is not the last segment; not copied past offset %d: %v",
			seg.Path, tail.End, tail.Incomplete)
	}
	return nil
}

// startSegment begins a new segment in DEST holding just the source's
// header (temporary file, fsync, rename, directory fsync), then records it
// as the position, so that a segment past the position only ever holds a
// header.
func (b *Backup) startSegment(seg wal.SegmentInfo) error {
	name := filepath.Base(seg.Path)
	if b.havePos {
		if seg.First <= b.pos.Seq {
			return fmt.Errorf("backup: %s starts at seq %d, but DEST already holds up to %d: %w", seg.Path, seg.First, b.pos.Seq, ErrDiverged)
		}
		if seg.First > b.pos.Seq+1 && !b.holes[b.pos.Seq+1] {
			b.holes[b.pos.Seq+1] = true
			b.logger.Warn("backup: log hole: the data directory removed records before they were copied; restore needs a snapshot after them",
				"path", seg.Path, "seq", b.pos.Seq+1, "last_seq", seg.First-1)
		}
	}
	// Check the header before copying it: a damaged one is the source's
	// problem, not something to carry into DEST.
	if _, err := wal.ReadBatches(seg.Path, 0, 0, wal.SegmentHeaderSize, false, func(wal.Batch) error { return nil }); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	dst := filepath.Join(b.destWal(), name)
	tmp, _, err := copyToTemp(seg.Path, dst, wal.SegmentHeaderSize, nil)
	if err == nil {
		err = publish(tmp, dst)
	}
	if err != nil {
		return fmt.Errorf("backup: start %s: %w", dst, err)
	}
	p := position{Segment: name, Offset: wal.SegmentHeaderSize, Seq: seg.First - 1}
	if err := writePosition(b.dest, p); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	b.pos, b.havePos = p, true
	b.logger.Debug("backup: new segment", "path", dst, "seq", seg.First)
	return nil
}

// checkContinues makes sure the source segment still holds what DEST
// copied from it: it is at least as long, and its header and the bytes
// before the position are the same.
func (b *Backup) checkContinues(srcPath string, size int64) error {
	if size < b.pos.Offset {
		return fmt.Errorf("backup: %s has %d bytes, fewer than the %d already copied: %w", srcPath, size, b.pos.Offset, ErrDiverged)
	}
	dstPath := filepath.Join(b.destWal(), b.pos.Segment)
	n := min(compareTail, b.pos.Offset-wal.SegmentHeaderSize)
	for _, at := range []struct{ off, n int64 }{{0, wal.SegmentHeaderSize}, {b.pos.Offset - n, n}} {
		if at.n == 0 {
			continue
		}
		src, err := readAt(srcPath, at.off, at.n)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		dst, err := readAt(dstPath, at.off, at.n)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if !bytes.Equal(src, dst) {
			return fmt.Errorf("backup: %s differs from its copy %s at offset %d: %w", srcPath, dstPath, at.off, ErrDiverged)
		}
	}
	return nil
}

func readAt(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("read %s at offset %d: %w", path, off, err)
	}
	return buf, nil
}

// appendBatches copies the source's bytes from the position to tail.End,
// which ReadBatches found to be whole verified batches, into DEST; fsyncs
// them; verifies the copy; and only then moves the position.
func (b *Backup) appendBatches(srcPath string, tail wal.Tail) error {
	began := time.Now()
	dstPath := filepath.Join(b.destWal(), b.pos.Segment)
	if err := b.appendBytes(srcPath, dstPath, b.pos.Offset, tail.End); err != nil {
		// Leave nothing past the position (Open would trim it too).
		if terr := wal.TruncateSynced(dstPath, b.pos.Offset); terr != nil {
			err = errors.Join(err, terr)
		}
		return fmt.Errorf("backup: copy %s: %w", srcPath, err)
	}
	// Read the copy back: the source may have changed between the check
	// and the copy (a failed write cut back), and DEST must only ever hold
	// whole verified batches.
	got, err := wal.ReadBatches(dstPath, b.pos.Offset, b.pos.Seq+1, tail.End, false, func(wal.Batch) error { return nil })
	if err != nil || got.End != tail.End || got.Last != tail.Last {
		if terr := wal.TruncateSynced(dstPath, b.pos.Offset); terr != nil {
			err = errors.Join(err, terr)
		}
		return fmt.Errorf("backup: the copy %s of offsets %d..%d did not verify (end %d, seq %d, want %d): %v",
			dstPath, b.pos.Offset, tail.End, got.End, got.Last, tail.Last, err)
	}
	p := position{Segment: b.pos.Segment, Offset: tail.End, Seq: tail.Last}
	if err := writePosition(b.dest, p); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	b.pos = p
	b.logger.Debug("backup: log copied", "path", dstPath, "offset", p.Offset, "seq", p.Seq, "dur", time.Since(began))
	if b.opts.OnCopied != nil {
		b.opts.OnCopied(p.Seq)
	}
	return nil
}

// appendBytes copies src[from:to] to dst at from, after fdatasyncing src so
// that DEST never holds bytes a power cut could still take from the data
// directory, and fsyncs dst.
func (b *Backup) appendBytes(srcPath, dstPath string, from, to int64) error {
	src, err := os.Open(srcPath)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := wal.Fdatasync(src); err != nil {
		return fmt.Errorf("fdatasync %s: %w", srcPath, err)
	}
	dst, err := os.OpenFile(dstPath, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.NewOffsetWriter(dst, from), io.NewSectionReader(src, from, to-from))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

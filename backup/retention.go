package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"vlogd/wal"
)

// prune removes from DEST what no restore within the window needs. Any
// point in the window [now-Keep, now] can be rebuilt from the newest sound
// snapshot written at or before the window's start (the anchor) plus the
// log after it: a snapshot's seq was committed before the snapshot was
// written, so the anchor precedes every point in the window. Snapshots
// older than the anchor go, and so do the segments whose records the anchor
// covers (never the one being appended to). Without an anchor everything
// is kept. Then the blobs that nothing kept references go (pruneBlobs), and
// DEST's size and free space are logged when anything was removed.
func (b *Backup) prune() error {
	removed, err := b.pruneLog()
	if err != nil {
		return err
	}
	if err := b.pruneBlobs(removed); err != nil {
		return err
	}
	if removed {
		b.reportUsage()
	}
	return nil
}

// pruneLog removes the snapshots and segments before the anchor and
// reports whether it removed any.
func (b *Backup) pruneLog() (bool, error) {
	snaps, err := wal.Snapshots(b.destSnap())
	if err != nil {
		return false, fmt.Errorf("backup: prune: %w", err)
	}
	cutoff := b.opts.Now().Add(-b.opts.Keep).UnixNano()
	anchor := -1
	for i := len(snaps) - 1; i >= 0; i-- {
		if snaps[i].Time <= cutoff {
			anchor = i
			break
		}
	}
	if anchor < 0 {
		return false, nil
	}
	if !b.older(snaps[:anchor], snaps[anchor].Seq) {
		return false, nil // nothing to remove: skip reading the anchor
	}
	// The anchor must be sound: a restore early in the window would need it.
	for ; anchor >= 0; anchor-- {
		_, err := wal.CheckSnapshot(snaps[anchor].Path)
		var ce *wal.CorruptError
		if errors.As(err, &ce) {
			b.logger.Error("backup: snapshot damaged in DEST; retention keeps the older ones", "path", ce.Path,
				"offset", ce.Offset, "seq", snaps[anchor].Seq, "reason", ce.Reason)
			continue
		}
		if err != nil {
			return false, fmt.Errorf("backup: prune: %w", err)
		}
		break
	}
	if anchor < 0 {
		return false, nil
	}
	for _, s := range snaps[:anchor] {
		if err := os.Remove(s.Path); err != nil {
			return false, fmt.Errorf("backup: prune: %w", err)
		}
		b.pruned[filepath.Base(s.Path)] = true
		b.logger.Info("backup: retention removed a snapshot", "path", s.Path, "seq", s.Seq)
	}
	if anchor > 0 {
		if err := syncDir(b.destSnap()); err != nil {
			return false, fmt.Errorf("backup: prune: %w", err)
		}
	}
	segsRemoved, err := b.pruneSegments(snaps[anchor].Seq)
	return anchor > 0 || segsRemoved, err
}

// older reports whether anything in DEST is older than the anchor: a
// snapshot before it, or a segment wholly covered by it.
func (b *Backup) older(before []wal.SnapshotInfo, anchorSeq uint64) bool {
	if len(before) > 0 {
		return true
	}
	segs, err := wal.Segments(b.destWal())
	return err == nil && len(segs) > 1 && segs[1].First-1 <= anchorSeq
}

// pruneSegments removes the DEST segments all of whose records have seq <=
// upTo, except the last one (it may be the one being appended to).
func (b *Backup) pruneSegments(upTo uint64) (bool, error) {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	segs, err := wal.Segments(b.destWal())
	if err != nil {
		return false, fmt.Errorf("backup: prune: %w", err)
	}
	removed := false
	for i := 0; i+1 < len(segs) && segs[i+1].First-1 <= upTo; i++ {
		if filepath.Base(segs[i].Path) == b.pos.Segment {
			break
		}
		if err := os.Remove(segs[i].Path); err != nil {
			return false, fmt.Errorf("backup: prune: %w", err)
		}
		removed = true
		b.logger.Info("backup: retention removed a segment", "path", segs[i].Path, "seq", segs[i].First)
	}
	if removed {
		if err := syncDir(b.destWal()); err != nil {
			return removed, fmt.Errorf("backup: prune: %w", err)
		}
	}
	return removed, nil
}

package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"vlogd/wal"
)

// passSnapshots copies the data directory's snapshots that DEST lacks and
// then applies retention. It runs apart from the log passes: a snapshot may
// be large, and copying it must not hold the log's copies up.
func (b *Backup) passSnapshots() error {
	b.snapMu.Lock()
	defer b.snapMu.Unlock()
	snaps, err := wal.Snapshots(b.srcSnap())
	if err != nil && !notYet(err) {
		return fmt.Errorf("backup: %w", err)
	}
	for _, s := range snaps {
		name := filepath.Base(s.Path)
		if b.badSnaps[name] || b.pruned[name] {
			continue // the data directory keeps two snapshots; retention may want fewer
		}
		if _, err := os.Stat(filepath.Join(b.destSnap(), name)); err == nil {
			continue
		}
		if err := b.copySnapshot(s); err != nil {
			return err
		}
	}
	return b.prune()
}

// copySnapshot verifies a source snapshot, copies it to a temporary file,
// verifies the copy, and publishes it. A damaged source snapshot is
// reported once and not copied; one removed meanwhile is skipped.
func (b *Backup) copySnapshot(s wal.SnapshotInfo) error {
	began := time.Now()
	name := filepath.Base(s.Path)
	if _, err := wal.CheckSnapshot(s.Path); err != nil {
		var ce *wal.CorruptError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case errors.As(err, &ce):
			b.badSnaps[name] = true
			b.logger.Error("backup: snapshot damaged in the data directory, not copied", "path", s.Path,
				"offset", ce.Offset, "seq", s.Seq, "reason", ce.Reason)
			return nil
		}
		return fmt.Errorf("backup: check %s: %w", s.Path, err)
	}
	dst := filepath.Join(b.destSnap(), name)
	tmp, n, err := copyToTemp(s.Path, dst, -1, nil)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: copy %s: %w", s.Path, err)
	}
	if _, err := wal.CheckSnapshotFile(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: the copy of %s did not verify: %w", s.Path, err)
	}
	if err := publish(tmp, dst); err != nil {
		return fmt.Errorf("backup: copy %s: %w", s.Path, err)
	}
	b.logger.Info("backup: snapshot copied", "path", dst, "seq", s.Seq, "bytes", n, "dur", time.Since(began))
	return nil
}

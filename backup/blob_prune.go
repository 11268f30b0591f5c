package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultBlobGrace is how long a blob copied to DEST is kept even when
// nothing in DEST references it yet, when Options.BlobGrace is zero: the
// same hour as the live store's garbage collection. It covers the blob
// copied before the log record that names it.
const DefaultBlobGrace = time.Hour

// pruneBlobs removes from DEST the blobs that no snapshot and no log
// record kept in DEST references (Options.ReferencedBlobs decides), once
// they are older than the grace. A point-in-time restore can reach any
// kept snapshot and any kept record, so a blob any of them names stays.
// It holds logMu: a log pass copies a blob before the record naming it,
// and a blob removed here is forgotten, so the next pass copies it again
// if the data directory still has it.
func (b *Backup) pruneBlobs(force bool) error {
	if b.opts.ReferencedBlobs == nil {
		return nil // without a way to read references, keep every blob
	}
	now := b.opts.Now()
	if !force && now.Before(b.nextBlobPrune) {
		return nil
	}
	b.logMu.Lock()
	defer b.logMu.Unlock()
	refs, err := b.opts.ReferencedBlobs(b.dest)
	if err != nil {
		return fmt.Errorf("backup: prune blobs: %w", err)
	}
	b.nextBlobPrune = now.Add(b.opts.BlobGrace)
	cutoff := now.Add(-b.opts.BlobGrace)
	shards, err := os.ReadDir(b.destBlobs())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: prune blobs: %w", err)
	}
	var removed int
	var freed int64
	for _, s := range shards {
		if !s.IsDir() || !isShard(s.Name()) {
			continue
		}
		dir := filepath.Join(b.destBlobs(), s.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("backup: prune blobs: %w", err)
		}
		changed := false
		for _, e := range entries {
			name := e.Name()
			if !isBlobName(name) || refs[name] {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("backup: prune blobs: %w", err)
			}
			if fi.ModTime().After(cutoff) {
				continue // in its grace: its record may not be copied yet
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("backup: prune blobs: %w", err)
			}
			delete(b.blobs, name)
			removed++
			freed += fi.Size()
			changed = true
		}
		if changed {
			if err := syncDir(dir); err != nil {
				return fmt.Errorf("backup: prune blobs: %w", err)
			}
		}
	}
	if removed > 0 {
		b.logger.Info("backup: removed blobs no kept snapshot or log references", "path", b.destBlobs(), "count", removed, "bytes", freed)
	}
	return nil
}

// Usage is how much room a backup takes and has.
type Usage struct {
	Bytes int64  // bytes of the files in DEST
	Free  uint64 // bytes still free on DEST's file system
}

// Usage adds up the files in DEST and asks its file system for the free
// space. Errors are those of walking DEST and of statfs.
func (b *Backup) Usage() (Usage, error) {
	var u Usage
	err := filepath.WalkDir(b.dest, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed by retention meanwhile
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				u.Bytes += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("backup: usage of %s: %w", b.dest, err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.dest, &st); err != nil {
		return u, fmt.Errorf("backup: statfs %s: %w", b.dest, err)
	}
	u.Free = st.Bavail * uint64(st.Bsize)
	return u, nil
}

// reportUsage logs DEST's size and free space after retention ran.
func (b *Backup) reportUsage() {
	u, err := b.Usage()
	if err != nil {
		b.logger.Warn("backup: cannot measure DEST", "err", err)
		return
	}
	b.logger.Info("backup: size", "path", b.dest, "bytes", u.Bytes, "free", u.Free)
}

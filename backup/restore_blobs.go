package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// restoreBlobs copies every blob in DEST to to/blobs, checking each
// against its SHA-256 name while copying. A damaged one is not restored and
// is listed in r.DamagedBlobs: reported, never silently skipped.
func restoreBlobs(ctx context.Context, from, to string, prog *progress, r *RestoreReport) error {
	src := filepath.Join(from, "blobs")
	type blob struct {
		shard, name string
		size        int64
	}
	var blobs []blob
	var total int64
	shards, err := os.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, s := range shards {
		if !s.IsDir() || !isShard(s.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(src, s.Name()))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !isBlobName(e.Name()) || !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			blobs = append(blobs, blob{s.Name(), e.Name(), info.Size()})
			total += info.Size()
		}
	}
	prog.start("blobs", total)
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(to, "blobs", b.shard)
		if err := mkdirDurable(dir); err != nil {
			return err
		}
		srcPath := filepath.Join(src, b.shard, b.name)
		dst := filepath.Join(dir, b.name)
		h := sha256.New()
		tmp, n, err := copyToTemp(srcPath, dst, -1, io.MultiWriter(h, prog))
		if err != nil {
			return fmt.Errorf("copy blob %s: %w", srcPath, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != b.name {
			os.Remove(tmp)
			r.DamagedBlobs = append(r.DamagedBlobs, srcPath)
			continue
		}
		if err := publish(tmp, dst); err != nil {
			return fmt.Errorf("copy blob %s: %w", srcPath, err)
		}
		r.Blobs++
		r.BlobBytes += n
	}
	prog.end()
	return nil
}

package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Blobs live in DATA/blobs/<2 hex>/<64 hex>, named by the SHA-256 of their
// content (package media). The backup copies them by name and checks every
// copy against it.

func isShard(name string) bool { return len(name) == 2 && isLowerHex(name) }

func isBlobName(name string) bool { return len(name) == 64 && isLowerHex(name) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// copyBlobs copies every blob of the data directory that DEST lacks.
// Called with logMu held, before the log bytes that may name them.
func (b *Backup) copyBlobs() error {
	shards, err := os.ReadDir(b.srcBlobs())
	if notYet(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, s := range shards {
		if !s.IsDir() || !isShard(s.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(b.srcBlobs(), s.Name()))
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if !isBlobName(name) || !e.Type().IsRegular() || b.blobs[name] || b.badBlobs[name] ||
				name[:2] != s.Name() {
				continue
			}
			if err := b.copyBlob(s.Name(), name); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyBlob copies one blob, hashing it on the way: a copy whose SHA-256 is
// not its name is never published. A blob damaged in the data directory is
// reported once and skipped; one removed meanwhile (collected) is skipped.
func (b *Backup) copyBlob(shard, name string) error {
	src := filepath.Join(b.srcBlobs(), shard, name)
	dstDir := filepath.Join(b.destBlobs(), shard)
	if err := mkdirDurable(dstDir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	dst := filepath.Join(dstDir, name)
	h := sha256.New()
	tmp, n, err := copyToTemp(src, dst, -1, h)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: copy blob %s: %w", src, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != name {
		os.Remove(tmp)
		b.badBlobs[name] = true
		b.logger.Error("backup: blob damaged in the data directory, not copied: its SHA-256 does not match its name",
			"path", src, "sha256", got, "bytes", n)
		return nil
	}
	if err := publish(tmp, dst); err != nil {
		return fmt.Errorf("backup: copy blob %s: %w", src, err)
	}
	b.blobs[name] = true
	b.logger.Debug("backup: blob copied", "path", dst, "bytes", n)
	return nil
}

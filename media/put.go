package media

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Blob describes a stored file.
type Blob struct {
	Hash string // lowercase hex SHA-256 of the content: the blob's name
	Size int64  // bytes
	Type string // media type decided from the bytes: "video/mp4", "video/webm", "image/jpeg", "image/png"
}

// Put streams r into the store and returns the stored blob. The content is
// written to a temporary file in the store's directory while its SHA-256 is
// computed, so it is never held whole in memory. Its type is decided from
// the first bytes.
//
// limit must be positive. Errors, after which nothing is stored and the
// temporary file is gone:
//   - more than limit bytes arrive: ErrTooLarge; reading stops at limit+1
//     bytes, so an oversized upload is never read to its end;
//   - the type is not one of accept: a *TypeError (errors.Is
//     ErrUnsupportedType), decided before the rest is read;
//   - r yields no bytes: ErrEmpty;
//   - a read, write or fsync fails: that error, wrapped.
//
// On success the file has been fsynced, renamed to its content address and
// its directory fsynced: a WAL record written after Put returns can never
// point at a missing blob. If a blob with that hash exists already, the
// temporary file is dropped and the existing blob returned.
func (s *Store) Put(r io.Reader, limit int64, accept []string) (Blob, error) {
	if limit <= 0 {
		return Blob{}, fmt.Errorf("media: put: limit %d is not positive", limit)
	}
	tmp, err := os.CreateTemp(s.dir, "put-*"+tmpExt)
	if err != nil {
		return Blob{}, fmt.Errorf("media: put: %w", err)
	}
	b, err := s.put(tmp, r, limit, accept)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		var te *TypeError
		if errors.As(err, &te) {
			return Blob{}, te // already says "media: unsupported type"
		}
		return Blob{}, fmt.Errorf("media: put: %w", err)
	}
	return b, nil
}

// put fills tmp from r, fsyncs and closes it, and publishes it under its
// hash. The caller removes tmp on error.
func (s *Store) put(tmp *os.File, r io.Reader, limit int64, accept []string) (Blob, error) {
	// Read at most limit+1 bytes: one byte past the limit proves the
	// upload too large without reading (or storing) the rest.
	readMax := limit
	if readMax < math.MaxInt64 {
		readMax++
	}
	lr := &io.LimitedReader{R: r, N: readMax}

	head := make([]byte, headSize)
	n, err := io.ReadFull(lr, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Blob{}, err
	}
	head = head[:n]
	if n == 0 {
		return Blob{}, ErrEmpty
	}
	if int64(n) > limit {
		// Tiny limits: too large is the truer answer than an unknown type
		// guessed from limit+1 bytes.
		return Blob{}, fmt.Errorf("more than %s: %w", FormatSize(limit), ErrTooLarge)
	}
	typ := DetectType(head)
	if typ == "" || !slices.Contains(accept, typ) {
		return Blob{}, &TypeError{Detected: typ, Accepted: slices.Clone(accept)}
	}

	h := sha256.New()
	w := io.MultiWriter(tmp, h) // hides tmp's ReadFrom: every byte goes through h
	if _, err := w.Write(head); err != nil {
		return Blob{}, err
	}
	rest, err := io.Copy(w, lr)
	if err != nil {
		return Blob{}, err
	}
	size := int64(n) + rest
	if size > limit {
		return Blob{}, fmt.Errorf("more than %s: %w", FormatSize(limit), ErrTooLarge)
	}
	if err := tmp.Chmod(filePerm); err != nil {
		return Blob{}, err
	}
	if !s.noSync {
		// The content must be on disk before its name is: otherwise a crash
		// could leave a renamed but empty or partial blob.
		if err := tmp.Sync(); err != nil {
			return Blob{}, err
		}
	}
	if err := tmp.Close(); err != nil {
		return Blob{}, err
	}
	b := Blob{Hash: hex.EncodeToString(h.Sum(nil)), Size: size, Type: typ}
	if err := s.publish(tmp.Name(), b); err != nil {
		return Blob{}, err
	}
	return b, nil
}

// publish renames the finished temporary file to b's content address and
// fsyncs the directories whose entries changed. If an intact-looking blob
// (same size) is already there, tmp is dropped instead; one whose size
// differs is damaged and is replaced by the fresh, just-hashed copy.
func (s *Store) publish(tmp string, b Blob) error {
	shard := filepath.Join(s.dir, b.Hash[:2])
	final := filepath.Join(shard, b.Hash)

	s.mu.Lock()
	defer s.mu.Unlock()
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == b.Size {
		// The blob counts as freshly written: garbage collection spares
		// recent blobs, and this one is about to be referenced again.
		now := time.Now()
		if err := os.Chtimes(final, now, now); err != nil {
			return err
		}
		return os.Remove(tmp)
	}
	newShard := false
	if err := os.Mkdir(shard, dirPerm); err == nil {
		newShard = true
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	// The blob's entry in shard must reach the disk before the caller's WAL
	// record does, and so must shard's own entry in dir when it is new. The
	// tmp entry leaving dir need not be durable: if it comes back after a
	// crash, Open removes it.
	if err := syncDir(shard, s.noSync); err != nil {
		return err
	}
	if newShard {
		return syncDir(s.dir, s.noSync)
	}
	return nil
}

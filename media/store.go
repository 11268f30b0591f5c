package media

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	tmpExt   = ".tmp"
	dirPerm  = 0o755
	filePerm = 0o644
	// headSize is how many leading bytes are read to decide a type. DetectType
	// needs 64; more lets it see a longer ftyp box or EBML header.
	headSize = 512
)

// Options configures a Store. The zero value is the production setting.
type Options struct {
	Logger *slog.Logger // nil = discard
	NoSync bool         // skip fsync; tests only, never in production
}

// Store is a content-addressed blob store in one directory. It is safe for
// concurrent use.
type Store struct {
	dir    string // absolute, so no path handed to ffmpeg starts with '-'
	log    *slog.Logger
	noSync bool

	// mu makes publishing a blob (exists check, rename, directory fsync)
	// atomic with respect to Remove. Hashing and the file's fsync happen
	// outside it, so uploads run in parallel.
	mu sync.Mutex

	// lookPath finds ffmpeg; a test swaps it to exercise ErrNoFFmpeg
	// (a field, not a package global, so tests can run in parallel).
	lookPath func(file string) (string, error)
	// posterTimeout bounds one ffmpeg run.
	posterTimeout time.Duration
}

// Open opens the blob store in dir (e.g. DATA/blobs), creating it if
// missing, and removes temporary files left by a crash during an upload;
// how many is logged. Those files were never renamed to a content address,
// so no record can reference them.
func Open(dir string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("media: open %s: %w", abs, err)
	}
	// The store's own name must be durable before a blob in it is relied
	// on; an earlier process may have made it and crashed before syncing.
	if err := syncDir(filepath.Dir(abs), opts.NoSync); err != nil {
		return nil, fmt.Errorf("media: open %s: sync parent: %w", abs, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		dir:           abs,
		log:           log,
		noSync:        opts.NoSync,
		lookPath:      exec.LookPath,
		posterTimeout: 20 * time.Second,
	}
	n, err := s.removeTemps()
	if err != nil {
		return nil, fmt.Errorf("media: open %s: remove temporary files: %w", abs, err)
	}
	if n > 0 {
		s.log.Warn("media: removed temporary files left by an interrupted upload", "path", abs, "count", n)
	}
	return s, nil
}

// Dir returns the store's directory (absolute).
func (s *Store) Dir() string { return s.dir }

// removeTemps deletes *.tmp files in dir and in the shard directories and
// returns how many it removed.
func (s *Store) removeTemps() (int, error) {
	n := 0
	dirs := []string{s.dir}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if e.IsDir() && isShard(e.Name()) {
			dirs = append(dirs, filepath.Join(s.dir, e.Name()))
		}
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return n, err
		}
		removed := false
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), tmpExt) {
				if err := os.Remove(filepath.Join(d, e.Name())); err != nil {
					return n, err
				}
				n++
				removed = true
			}
		}
		if removed {
			if err := syncDir(d, s.noSync); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Open returns the blob's file for reading; the caller closes it. A hash
// that is not 64 lowercase hex digits is ErrNotFound, so a client-chosen
// string can never reach outside the store's directory.
func (s *Store) Open(hash string) (*os.File, error) {
	return s.openBlob("open", hash)
}

// Stat describes a stored blob: its Size, and its Type re-detected from the
// first bytes. ErrNotFound when absent.
func (s *Store) Stat(hash string) (Blob, error) {
	f, err := s.openBlob("stat", hash)
	if err != nil {
		return Blob{}, err
	}
	defer f.Close()
	b, err := describe(f, hash)
	if err != nil {
		return Blob{}, fmt.Errorf("media: stat %s: %w", hash, err)
	}
	return b, nil
}

// openBlob opens a blob for reading; op names the caller in errors.
func (s *Store) openBlob(op, hash string) (*os.File, error) {
	p, ok := s.path(hash)
	if !ok {
		return nil, fmt.Errorf("media: %s %q: %w", op, hash, ErrNotFound)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("media: %s %s: %w", op, hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("media: %s %s: %w", op, hash, err)
	}
	return f, nil
}

// describe reads f's size and leading bytes.
func describe(f *os.File, hash string) (Blob, error) {
	fi, err := f.Stat()
	if err != nil {
		return Blob{}, err
	}
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Blob{}, err
	}
	return Blob{Hash: hash, Size: fi.Size(), Type: DetectType(head[:n])}, nil
}

// Remove deletes a blob; ErrNotFound if it is absent. The caller must be
// sure no record references it (garbage collection after compaction).
func (s *Store) Remove(hash string) error {
	p, ok := s.path(hash)
	if !ok {
		return fmt.Errorf("media: remove %q: %w", hash, ErrNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: remove %s: %w", hash, ErrNotFound)
	}
	if err == nil {
		err = syncDir(filepath.Dir(p), s.noSync)
	}
	if err != nil {
		return fmt.Errorf("media: remove %s: %w", hash, err)
	}
	return nil
}

// Hashes returns every stored blob's hash, sorted. Files that are not named
// as blobs (temporaries, strays) are ignored. Used to find unreferenced
// blobs after compaction.
func (s *Store) Hashes() ([]string, error) {
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("media: hashes: %w", err)
	}
	var hashes []string
	for _, sh := range shards {
		if !sh.IsDir() || !isShard(sh.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, sh.Name()))
		if err != nil {
			return nil, fmt.Errorf("media: hashes: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.Type().IsRegular() && validHash(name) && name[:2] == sh.Name() {
				hashes = append(hashes, name)
			}
		}
	}
	sort.Strings(hashes)
	return hashes, nil
}

// Verify re-reads a blob and checks that its content hashes to its name.
// It returns a *CorruptError when the content does not match or the blob is
// missing, ErrNotFound for a malformed hash, and other errors for I/O
// failures.
func (s *Store) Verify(hash string) error {
	p, ok := s.path(hash)
	if !ok {
		return fmt.Errorf("media: verify %q: %w", hash, ErrNotFound)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &CorruptError{Hash: hash, Path: p, Reason: "missing"}
	}
	if err != nil {
		return fmt.Errorf("media: verify %s: %w", hash, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("media: verify %s: %w", hash, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return &CorruptError{Hash: hash, Path: p, Reason: fmt.Sprintf("content (%d bytes) hashes to %s", n, got)}
	}
	return nil
}

// path maps a hash to its file, or reports false when hash is not a valid
// blob name. This is the only way a name from outside becomes a path.
func (s *Store) path(hash string) (string, bool) {
	if !validHash(hash) {
		return "", false
	}
	return filepath.Join(s.dir, hash[:2], hash), true
}

// validHash reports whether h is exactly 64 lowercase hex digits: the only
// names the store ever creates. Nothing else (no '/', '.', upper case) can
// pass, which is what makes path traversal impossible.
func validHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isLowerHex(h[i]) {
			return false
		}
	}
	return true
}

func isShard(name string) bool {
	return len(name) == 2 && isLowerHex(name[0]) && isLowerHex(name[1])
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// syncDir fsyncs a directory so that renames and removals in it are durable.
func syncDir(dir string, noSync bool) error {
	if noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// VerifyIn is Verify for the blob store in dir without opening it: it
// removes no temporary files and takes nothing from a server using the same
// directory, so `vlogd verify` may run beside one.
func VerifyIn(dir, hash string) error {
	return (&Store{dir: dir}).Verify(hash)
}

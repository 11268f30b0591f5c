package backup

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"vlogd/wal"
)

// tmpExt marks a file being written; it gets its real name by rename only
// once it is complete and fsynced, so a crash never leaves a half file
// under a real name.
const tmpExt = ".tmp"

// syncDir fsyncs a directory so that the creations, renames and removals in
// it are durable.
func syncDir(dir string) error { return wal.SyncDir(dir) }

// mkdirDurable creates dir (and missing parents) and fsyncs the parent of
// every directory it created, so the new directory survives a crash.
func mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := mkdirDurable(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// writeFileDurable replaces path with data: temporary file, fsync, rename,
// directory fsync. A crash leaves either the old file or the new one.
func writeFileDurable(path string, data []byte) error {
	tmp := path + tmpExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// copyToTemp copies size bytes of src (all of it when size < 0) to dst+tmpExt,
// also writing them to tee (a hash, a progress counter) when non-nil, and
// fsyncs the copy. It returns the temporary file's path and the bytes
// copied. The caller checks the copy and then calls publish.
func copyToTemp(src, dst string, size int64, tee io.Writer) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	tmp := dst + tmpExt
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", 0, err
	}
	var r io.Reader = in
	if size >= 0 {
		r = io.LimitReader(in, size)
	}
	var w io.Writer = out
	if tee != nil {
		w = io.MultiWriter(out, tee)
	}
	n, err := io.CopyBuffer(w, r, make([]byte, 1<<20))
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%s has %d bytes, want %d", src, n, size)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", n, err
	}
	return tmp, n, nil
}

// publish renames a finished temporary file to its name and fsyncs the
// directory.
func publish(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dst))
}

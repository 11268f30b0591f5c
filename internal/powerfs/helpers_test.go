package powerfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// mustPowerLoss cuts the power with loss and checks that the file system
// came back.
func mustPowerLoss(tb testing.TB, f *FS, loss Loss) Report {
	tb.Helper()
	rep, err := f.PowerLoss(loss)
	if err != nil {
		tb.Fatalf("PowerLoss: %v", err)
	}
	return rep
}

func (f *FS) path(name string) string { return filepath.Join(f.mountpoint, name) }

func mustWrite(tb testing.TB, path string, data []byte, syncFile bool) {
	tb.Helper()
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fh.Write(data); err != nil {
		tb.Fatal(err)
	}
	if syncFile {
		if err := fh.Sync(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := fh.Close(); err != nil {
		tb.Fatal(err)
	}
}

func mustSyncDir(tb testing.TB, dir string) {
	tb.Helper()
	d, err := os.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		tb.Fatalf("fsync %s: %v", dir, err)
	}
}

// readOrMissing returns a file's content, or "<missing>".
func readOrMissing(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "<missing>"
	}
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

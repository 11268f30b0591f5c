package wal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSnapshotFile feeds arbitrary bytes to the snapshot reader as a file
// named for seq 3: opening and verifying must end in a sound snapshot, a
// *CorruptError or ErrNewerFormat, never a panic or an allocation beyond
// what the file holds; a sound one must read back its whole payload. The
// seed corpus holds a version 1 and a version 2 file.
func FuzzSnapshotFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), snapName(3, 1000))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := OpenSnapshot(p)
		if err == nil {
			defer r.Close()
			err = r.Verify()
		}
		var ce *CorruptError
		switch {
		case err == nil:
			if r.Seq != 3 || r.PayloadSize() > int64(len(data)) {
				t.Fatalf("sound snapshot with seq %d and payload %d of %d bytes", r.Seq, r.PayloadSize(), len(data))
			}
		case errors.As(err, &ce):
			if ce.Path != p {
				t.Fatalf("CorruptError names %s, want %s", ce.Path, p)
			}
		case errors.Is(err, ErrNewerFormat):
		default:
			t.Fatalf("OpenSnapshot err = %v, want damage or a newer format", err)
		}
	})
}

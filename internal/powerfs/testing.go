package powerfs

import (
	"errors"
	"os"
	"testing"
)

// MustMount mounts a fresh power-loss file system for the test, or skips
// saying why FUSE is not usable (and fails instead when CI is set, where
// .ci/run has installed what FUSE needs).
func MustMount(tb testing.TB) *FS {
	tb.Helper()
	backing, mnt := tb.TempDir(), tb.TempDir()
	f, err := Mount(backing, mnt)
	if errors.Is(err, ErrUnavailable) {
		if os.Getenv("CI") != "" {
			tb.Fatalf("CI is set but FUSE is not usable: %v", err)
		}
		tb.Skipf("FUSE is not usable here, so the power-loss file system cannot run: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		f.mu.Lock()
		server := f.server
		f.mu.Unlock()
		if server != nil {
			server.Unmount()
		}
	})
	return f
}

package media

import (
	"os"
	"path/filepath"
	"testing"

	"vlogd/internal/powerfs"
)

// Regression (power-loss test): Open made blobs/ without fsyncing its
// parent, so a blob Put had published (and a log record then referenced)
// could vanish with the whole directory at a power loss.
func TestPublishedBlobSurvivesPowerLossInFreshStore(t *testing.T) {
	f := powerfs.MustMount(t)
	// The data directory exists and is durable; blobs/ is the store's.
	data := filepath.Join(f.Mountpoint(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	d, _ := os.Open(f.Mountpoint())
	d.Sync()
	d.Close()
	s, err := Open(filepath.Join(data, "blobs"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	clip := mustReadFixture(t, "clip.webm")
	b := mustPut(t, s, clip)
	if _, err := f.PowerLoss(powerfs.Loss{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(data, "blobs", b.Hash[:2], b.Hash))
	if err != nil || string(got) != string(clip) {
		t.Fatalf("after power loss the published blob reads %d bytes, %v; want the %d bytes put", len(got), err, len(clip))
	}
}

package wal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"vlogd/internal/powerfs"
)

// Regression (power-loss test): Open made data/, wal/ and snap/ without
// fsyncing their parents, so a power loss after the first acknowledged
// append could take the whole log directory away with it.
func TestAcknowledgedAppendSurvivesPowerLossInFreshDirectory(t *testing.T) {
	f := powerfs.MustMount(t)
	dir := filepath.Join(f.Mountpoint(), "new", "data")
	if err := os.Mkdir(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	// The parent of the data directory is made durable by its creator;
	// the data directory and everything below it are Open's to make so.
	d, _ := os.Open(f.Mountpoint())
	d.Sync()
	d.Close()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seq := mustAppend(t, l, "acknowledged")
	// The power goes out with the log open: closing it afterwards (so the
	// file system can be unmounted) changes nothing on the disk.
	f.Cut()
	l.Close()
	if _, err := f.PowerLoss(powerfs.Loss{}); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, dir, Options{})
	if got := replayAll(t, l2, 0); len(got) != 1 || got[0] != (rec{seq, "acknowledged"}) {
		t.Fatalf("after power loss the log holds %v, want the acknowledged record %d", got, seq)
	}
}

// A directory a restore did not finish is refused by Open and Verify.
func TestUnfinishedRestoreIsRefused(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	mustAppend(t, l, "x")
	l.Close()
	if err := os.WriteFile(filepath.Join(dir, RestoreMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, testOptions(nil)); !errors.Is(err, ErrRestoreUnfinished) {
		t.Fatalf("Open of a half-restored directory err = %v, want ErrRestoreUnfinished", err)
	}
	if _, err := Verify(dir); !errors.Is(err, ErrRestoreUnfinished) {
		t.Fatalf("Verify of a half-restored directory err = %v, want ErrRestoreUnfinished", err)
	}
}

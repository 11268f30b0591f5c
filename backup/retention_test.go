package backup

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vlogd/wal"
)

// TestRetention: DEST keeps the newest sound snapshot written before the
// window began and everything after it; older snapshots and the segments
// they cover go. Every point in the window still restores; a point before
// it no longer does.
func TestRetention(t *testing.T) {
	const keep = time.Hour
	t5, t12 := batchTime(5).Add(500*time.Millisecond), batchTime(12).Add(500*time.Millisecond)
	setup := func(t *testing.T, now time.Time) (string, *Backup, *logBuffer) {
		src := buildSource(t) // snapshot at 5, written at t5
		renameSnapshotTime(t, writeSnapshotFile(t, src, 12, "state@12"), t12)
		dest := filepath.Join(t.TempDir(), "backup")
		logs := &logBuffer{}
		b := mustOpenBackup(t, src, dest, Options{Keep: keep, Now: func() time.Time { return now }, Logger: testLogger(logs)})
		return dest, b, logs
	}
	names := func(t *testing.T, dest string) (snaps []uint64, segs []uint64) {
		s, _ := wal.Snapshots(filepath.Join(dest, "snap"))
		for _, x := range s {
			snaps = append(snaps, x.Seq)
		}
		g, _ := wal.Segments(filepath.Join(dest, "wal"))
		for _, x := range g {
			segs = append(segs, x.First)
		}
		return snaps, segs
	}

	t.Run("window starts after both snapshots", func(t *testing.T) {
		dest, b, logs := setup(t, t12.Add(keep+time.Second))
		mustSync(t, b)
		mustSync(t, b) // the data directory still has the old snapshot: not copied again
		if n := strings.Count(logs.String(), "snapshot copied"); n != 2 {
			t.Errorf("%d snapshot copies, want 2 (retention's removal must stick):\n%s", n, logs)
		}
		snaps, segs := names(t, dest)
		if !slices.Equal(snaps, []uint64{12}) || segs[0] != 9 {
			t.Fatalf("DEST keeps snapshots %v and segments %v; want only snapshot 12 and segments from 9", snaps, segs)
		}
		to, _ := restoreTo(t, dest, RestoreOptions{UntilSeq: 14})
		if got, want := replayDir(t, to), wantState(12, "state@12", 14); !sameState(got, want) {
			t.Fatalf("restore inside the window:\n got %v\nwant %v", got, want)
		}
		if _, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{UntilSeq: 10}); !errors.Is(err, ErrNoRestorePoint) {
			t.Fatalf("restore before the window err = %v, want ErrNoRestorePoint", err)
		}
	})
	t.Run("window starts between the snapshots", func(t *testing.T) {
		dest, b, _ := setup(t, t5.Add(keep+time.Second))
		mustSync(t, b)
		snaps, segs := names(t, dest)
		if !slices.Equal(snaps, []uint64{5, 12}) || segs[0] != 1 {
			t.Fatalf("DEST keeps snapshots %v and segments %v; want 5, 12 and segments from 1", snaps, segs)
		}
		to, _ := restoreTo(t, dest, RestoreOptions{Until: t5})
		if got, want := replayDir(t, to), wantState(5, "state@5", 8); !sameState(got, want) {
			t.Fatalf("restore at the window's start:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("damaged anchor", func(t *testing.T) {
		now := t5.Add(keep + time.Second)
		dest, b, logs := setup(t, now)
		mustSync(t, b) // nothing to prune yet: the window starts before t12
		snaps, _ := wal.Snapshots(filepath.Join(dest, "snap"))
		flipByte(t, snaps[1].Path, 22)
		b.opts.Now = func() time.Time { return t12.Add(keep + time.Second) }
		mustSync(t, b)
		if got, _ := names(t, dest); !slices.Equal(got, []uint64{5, 12}) {
			t.Fatalf("with the anchor damaged DEST keeps %v, want both snapshots", got)
		}
		if !strings.Contains(logs.String(), "damaged in DEST") || !strings.Contains(logs.String(), snaps[1].Path) {
			t.Fatalf("the damaged snapshot was not reported:\n%s", logs)
		}
	})
	t.Run("default keeps a week", func(t *testing.T) {
		src := buildSource(t)
		dest := filepath.Join(t.TempDir(), "backup")
		b := mustOpenBackup(t, src, dest, Options{Now: func() time.Time { return t5.Add(6 * 24 * time.Hour) }})
		if b.opts.Keep != 7*24*time.Hour {
			t.Fatalf("default Keep = %v", b.opts.Keep)
		}
		mustSync(t, b)
		if _, err := os.Stat(filepath.Join(dest, "wal", wal.SegmentName(1))); err != nil {
			t.Fatalf("a six-day-old segment was pruned: %v", err)
		}
	})
}

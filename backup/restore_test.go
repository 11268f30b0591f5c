package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vlogd/wal"
)

// batchEnds are the seqs that end a batch in buildSource's log.
var batchEnds = map[uint64]bool{3: true, 4: true, 8: true, 10: true, 15: true, 16: true, 17: true, 18: true}

// TestRestoreUntilSeq restores to every seq in turn: the result replays to
// exactly the state right after that record (the snapshot at 5 once it is
// at or before the point, the log from seq 1 before that), a point inside a
// batch rewrites that batch to end there, and the log continues after it.
func TestRestoreUntilSeq(t *testing.T) {
	_, dest := backedUp(t)
	for n := uint64(1); n <= 18; n++ {
		to, r := restoreTo(t, dest, RestoreOptions{UntilSeq: n})
		want := wantState(0, "", n)
		if n >= 5 {
			want = wantState(5, "state@5", n)
		}
		if got := replayDir(t, to); !sameState(got, want) {
			t.Fatalf("--until-seq %d restored:\n got %v\nwant %v", n, got, want)
		}
		wantCut := n != 5 && !batchEnds[n]
		if r.LastSeq != n || r.CutBatch != wantCut || r.Records != n-want.snapSeq {
			t.Fatalf("--until-seq %d report: last %d, cut %v, records %d; want %d, %v, %d\n%s",
				n, r.LastSeq, r.CutBatch, r.Records, n, wantCut, n-want.snapSeq, r)
		}
		if n != 5 && !r.LastTime.Equal(batchTime(batchStart(n))) {
			t.Fatalf("--until-seq %d: last change at %v, want %v", n, r.LastTime, batchTime(batchStart(n)))
		}
		// The restored log continues right after the point: seqs are
		// never reused.
		l, err := wal.Open(to, wal.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if seq, err := l.Append([]byte("next"), nil); err != nil || seq != n+1 {
			t.Fatalf("--until-seq %d: next Append = %d, %v; want %d", n, seq, err, n+1)
		}
		l.Close()
	}
}

// batchStart is the first seq of the batch holding seq in buildSource.
func batchStart(seq uint64) uint64 {
	for s := seq - 1; s > 0; s-- {
		if batchEnds[s] {
			return s + 1
		}
	}
	return 1
}

func TestRestoreLatestAndErrors(t *testing.T) {
	_, dest := backedUp(t)
	to, r := restoreTo(t, dest, RestoreOptions{})
	if got, want := replayDir(t, to), wantState(5, "state@5", 18); !sameState(got, want) {
		t.Fatalf("latest restored:\n got %v\nwant %v", got, want)
	}
	for _, s := range []string{"snapshot", "seq 5", "last seq 18", "13 records", batchTime(18).Format(time.RFC3339)} {
		if !strings.Contains(r.String(), s) {
			t.Errorf("report does not say %q:\n%s", s, r)
		}
	}
	if _, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{UntilSeq: 19}); !errors.Is(err, ErrNoRestorePoint) {
		t.Errorf("--until-seq 19 err = %v, want ErrNoRestorePoint", err)
	}
	// A non-empty target is refused and left alone.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "keep"), []byte("mine"), 0o644)
	if _, err := Restore(t.Context(), dest, busy, RestoreOptions{}); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("restore into a non-empty directory err = %v, want ErrNotEmpty", err)
	}
	if readOrEmpty(filepath.Join(busy, "keep")) != "mine" {
		t.Error("the non-empty target was changed")
	}
	// A failed restore removes what it wrote.
	failed := filepath.Join(t.TempDir(), "failed")
	if _, err := Restore(t.Context(), dest, failed, RestoreOptions{UntilSeq: 99}); err == nil {
		t.Fatal("restore past the end succeeded")
	}
	if _, err := os.Stat(failed); err == nil {
		t.Error("a failed restore left its target behind")
	}
}

// TestRestoreUntilTime cuts the log before the first batch committed after
// the time, and uses a snapshot only if it was written by then.
func TestRestoreUntilTime(t *testing.T) {
	_, dest := backedUp(t)
	tests := []struct {
		until time.Time
		want  state
	}{
		// The snapshot (written at batchTime(5)+0.5s) is too new; the
		// batch 5..8 committed exactly at the time counts.
		{batchTime(5), wantState(0, "", 8)},
		{batchTime(9).Add(-time.Nanosecond), wantState(5, "state@5", 8)},
		{batchTime(11), wantState(5, "state@5", 15)},
		{batchTime(17).Add(time.Millisecond), wantState(5, "state@5", 17)},
		{batchTime(1000), wantState(5, "state@5", 18)},
	}
	for _, tt := range tests {
		to, r := restoreTo(t, dest, RestoreOptions{Until: tt.until})
		if got := replayDir(t, to); !sameState(got, tt.want) {
			t.Fatalf("--until %v restored:\n got %v\nwant %v", tt.until, got, tt.want)
		}
		if r.LastTime.After(tt.until) || r.CutBatch {
			t.Fatalf("--until %v: last change at %v, cut %v", tt.until, r.LastTime, r.CutBatch)
		}
	}
	if _, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{Until: batchTime(0)}); !errors.Is(err, ErrNoRestorePoint) {
		t.Fatalf("--until before the first change err = %v, want ErrNoRestorePoint", err)
	}
}

// TestRestoreReportsDamage: damage in DEST is reported, never skipped in
// silence. A damaged snapshot is passed over and named; damage or a gap in
// the log the point needs stops the restore naming file and offset; a
// damaged blob is named and not restored; bytes past the position (an
// append in progress) are not read at all.
func TestRestoreReportsDamage(t *testing.T) {
	t.Run("snapshot", func(t *testing.T) {
		_, dest := backedUp(t)
		snaps, _ := wal.Snapshots(filepath.Join(dest, "snap"))
		flipByte(t, snaps[0].Path, 25)
		to, r := restoreTo(t, dest, RestoreOptions{})
		if len(r.Skipped) != 1 || r.Skipped[0].Path != snaps[0].Path {
			t.Fatalf("Skipped = %v, want the damaged %s", r.Skipped, snaps[0].Path)
		}
		if !strings.Contains(r.String(), "DAMAGED  snapshot "+snaps[0].Path) {
			t.Errorf("report does not flag the snapshot:\n%s", r)
		}
		if got, want := replayDir(t, to), wantState(0, "", 18); !sameState(got, want) {
			t.Fatalf("restored without the snapshot:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("log", func(t *testing.T) {
		_, dest := backedUp(t)
		seg := filepath.Join(dest, "wal", wal.SegmentName(9))
		flipByte(t, seg, wal.SegmentHeaderSize+12)
		_, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{})
		var ce *wal.CorruptError
		if !errors.As(err, &ce) || ce.Path != seg || ce.Offset != wal.SegmentHeaderSize || !strings.Contains(err.Error(), "offset") {
			t.Fatalf("Restore err = %v, want damage in %s at offset %d", err, seg, wal.SegmentHeaderSize)
		}
		// A point before the damage needs none of it.
		to, _ := restoreTo(t, dest, RestoreOptions{UntilSeq: 8})
		if got, want := replayDir(t, to), wantState(5, "state@5", 8); !sameState(got, want) {
			t.Fatalf("--until-seq 8:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("gap", func(t *testing.T) {
		_, dest := backedUp(t)
		os.Remove(filepath.Join(dest, "wal", wal.SegmentName(9)))
		_, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{})
		if !errors.Is(err, ErrNoRestorePoint) || !strings.Contains(err.Error(), "gap") || !strings.Contains(err.Error(), wal.SegmentName(16)) {
			t.Fatalf("Restore err = %v, want a gap before %s", err, wal.SegmentName(16))
		}
	})
	t.Run("blob", func(t *testing.T) {
		src := buildSource(t)
		p := putBlob(t, src, []byte("clip"))
		dest := filepath.Join(t.TempDir(), "backup")
		mustSync(t, mustOpenBackup(t, src, dest, Options{}))
		rel, _ := filepath.Rel(src, p)
		os.WriteFile(filepath.Join(dest, rel), []byte("clap"), 0o644)
		to := filepath.Join(t.TempDir(), "x")
		r, err := Restore(t.Context(), dest, to, RestoreOptions{})
		if !errors.Is(err, ErrDamagedBlobs) || len(r.DamagedBlobs) != 1 || r.DamagedBlobs[0] != filepath.Join(dest, rel) {
			t.Fatalf("Restore = %v, %v; want ErrDamagedBlobs naming %s", r.DamagedBlobs, err, rel)
		}
		if got, want := replayDir(t, to), wantState(5, "state@5", 18); !sameState(got, want) {
			t.Fatalf("the rest was not restored:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("past the position", func(t *testing.T) {
		_, dest := backedUp(t)
		seg, _, _ := mustPosition(t, dest)
		f, _ := os.OpenFile(filepath.Join(dest, "wal", seg), os.O_WRONLY|os.O_APPEND, 0)
		f.Write([]byte("an append in progress"))
		f.Close()
		to, _ := restoreTo(t, dest, RestoreOptions{})
		if got, want := replayDir(t, to), wantState(5, "state@5", 18); !sameState(got, want) {
			t.Fatalf("restored:\n got %v\nwant %v", got, want)
		}
	})
	t.Run("position", func(t *testing.T) {
		_, dest := backedUp(t)
		os.WriteFile(filepath.Join(dest, positionFile), []byte("not json"), 0o644)
		if _, err := Restore(t.Context(), dest, filepath.Join(t.TempDir(), "x"), RestoreOptions{}); err == nil ||
			!strings.Contains(err.Error(), filepath.Join(dest, positionFile)) {
			t.Fatalf("Restore err = %v, want the position file named", err)
		}
	})
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x20
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreProgress: a restore reports each step's bytes.
func TestRestoreProgress(t *testing.T) {
	_, dest := backedUp(t)
	var steps []string
	restoreTo(t, dest, RestoreOptions{Progress: func(p Progress) {
		steps = append(steps, fmt.Sprintf("%s %d/%d", p.Step, p.Done, p.Total))
	}})
	if len(steps) != 3 || !strings.HasPrefix(steps[0], "snapshot") || !strings.HasPrefix(steps[1], "log") {
		t.Fatalf("progress = %v, want snapshot, log and blobs", steps)
	}
	for _, s := range steps {
		var step string
		var done, total int64
		fmt.Sscanf(s, "%s %d/%d", &step, &done, &total)
		if done != total {
			t.Errorf("step %q ended short", s)
		}
	}
}

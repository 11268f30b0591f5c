package backup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vlogd/wal"
)

// buildSource makes a data directory with batches of several sizes in
// three segments and a snapshot taken inside a batch:
//
//	wal/1:  batches 1..3, 4, 5..8        (written as a server would)
//	wal/9:  batches 9..10, 11..15
//	wal/16…: 16, 17, 18, one a batch     (appended by a real Log that rolls)
//	snap:   seq 5 ("state@5"), named as written at batchTime(5)+500ms
//
// Every batch starting at seq s commits at batchTime(s).
func buildSource(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	writeSegment(t, dir, 1, 3, 1, 4)
	writeSegment(t, dir, 9, 2, 5)
	p := writeSnapshotFile(t, dir, 5, "state@5")
	renameSnapshotTime(t, p, batchTime(5).Add(500*time.Millisecond))
	var l *wal.Log
	l, err := wal.Open(dir, wal.Options{NoSync: true, SegmentSize: 60,
		Now: func() time.Time { return batchTime(l.LastSeq() + 1) }})
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(16); s <= 18; s++ {
		if got, err := l.Append(payloadFor(s), nil); err != nil || got != s {
			t.Fatalf("Append = %d, %v; want %d", got, err, s)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := wal.Segments(filepath.Join(dir, "wal"))
	if len(segs) < 3 {
		t.Fatalf("source has %d segments, want at least 3", len(segs))
	}
	return dir
}

// backedUp builds the source and backs it up with one Sync.
func backedUp(t *testing.T) (src, dest string) {
	t.Helper()
	src = buildSource(t)
	dest = filepath.Join(t.TempDir(), "backup")
	b := mustOpenBackup(t, src, dest, Options{})
	mustSync(t, b)
	b.Close()
	return src, dest
}

// TestSyncCopiesWholeBatches: DEST's segments are byte-for-byte prefixes of
// the source's that end at a batch boundary; a batch still being written is
// left for the next pass; the position says how far the copy reaches.
func TestSyncCopiesWholeBatches(t *testing.T) {
	src := buildSource(t)
	segs, _ := wal.Segments(filepath.Join(src, "wal"))
	last := segs[len(segs)-1].Path
	full, _ := os.ReadFile(last)
	// A batch in flight: its first bytes are there, its commit is not.
	extra, err := wal.NewEncoder().AppendBatch(nil, 19, [][]byte{payloadFor(19), payloadFor(20)}, batchTime(19).UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(last, append(bytes.Clone(full), extra[:len(extra)-5]...), 0o644)

	dest := filepath.Join(t.TempDir(), "backup")
	b := mustOpenBackup(t, src, dest, Options{})
	mustSync(t, b)
	for _, s := range segs {
		got, _ := os.ReadFile(filepath.Join(dest, "wal", filepath.Base(s.Path)))
		want, _ := os.ReadFile(s.Path)
		if s.Path == last {
			want = full
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("DEST copy of %s is %d bytes, want the source's %d whole-batch bytes", s.Path, len(got), len(want))
		}
	}
	if seg, off, seq := b.Position(); seg != filepath.Base(last) || off != int64(len(full)) || seq != 18 {
		t.Fatalf("Position() = %s, %d, %d; want %s, %d, 18", seg, off, seq, filepath.Base(last), len(full))
	}
	// The batch completes: the next pass copies it.
	os.WriteFile(last, append(bytes.Clone(full), extra...), 0o644)
	mustSync(t, b)
	if _, _, seq := b.Position(); seq != 20 {
		t.Fatalf("after the batch completed, Position() seq = %d, want 20", seq)
	}
	if _, err := os.Stat(filepath.Join(dest, "snap")); err != nil {
		t.Fatal(err)
	}
	snaps, _ := wal.Snapshots(filepath.Join(dest, "snap"))
	if len(snaps) != 1 || snaps[0].Seq != 5 {
		t.Fatalf("DEST snapshots = %+v, want the one at seq 5", snaps)
	}
}

// TestResumeAfterCrash: what a backup killed mid-copy leaves behind (bytes
// appended past the position, a new segment the position does not name
// yet, temporary files) is cleaned by the next Open, and the resumed
// backup restores to exactly the source's state.
func TestResumeAfterCrash(t *testing.T) {
	src, dest := backedUp(t)
	segName, off, _ := mustPosition(t, dest)
	segPath := filepath.Join(dest, "wal", segName)
	f, _ := os.OpenFile(segPath, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("half a batch"))
	f.Close()
	hdr, _ := os.ReadFile(segPath)
	os.WriteFile(filepath.Join(dest, "wal", wal.SegmentName(1000)), hdr[:wal.SegmentHeaderSize], 0o644)
	os.WriteFile(filepath.Join(dest, "snap", "0000000000000009-0000000000000001.snap.tmp"), []byte("partial"), 0o644)
	os.MkdirAll(filepath.Join(dest, "blobs", "ab"), 0o755)
	os.WriteFile(filepath.Join(dest, "blobs", "ab", strings.Repeat("ab", 32)+".tmp"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dest, "position.tmp"), []byte("{"), 0o644)

	logs := &logBuffer{}
	b := mustOpenBackup(t, src, dest, Options{Logger: testLogger(logs)})
	if fi, _ := os.Stat(segPath); fi.Size() != off {
		t.Fatalf("%s is %d bytes after Open, want trimmed to the position %d", segPath, fi.Size(), off)
	}
	if !strings.Contains(logs.String(), "interrupted append") || !strings.Contains(logs.String(), segPath) {
		t.Errorf("the trim was not logged with the path:\n%s", logs)
	}
	for _, p := range []string{
		filepath.Join(dest, "wal", wal.SegmentName(1000)),
		filepath.Join(dest, "snap", "0000000000000009-0000000000000001.snap.tmp"),
		filepath.Join(dest, "blobs", "ab", strings.Repeat("ab", 32)+".tmp"),
		filepath.Join(dest, "position.tmp"),
	} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived Open", p)
		}
	}
	// The source grows; the resumed backup carries on from the position.
	appendToSource(t, src, 19, 25)
	mustSync(t, b)
	to, _ := restoreTo(t, dest, RestoreOptions{})
	if got, want := replayDir(t, to), wantState(5, "state@5", 25); !sameState(got, want) {
		t.Fatalf("restored state:\n got %v\nwant %v", got, want)
	}
}

// TestOpenRefusesDamagedDest: a position file that does not parse, or a
// DEST segment shorter than its position, is reported, not guessed around.
func TestOpenRefusesDamagedDest(t *testing.T) {
	src, dest := backedUp(t)
	segName, off, _ := mustPosition(t, dest)
	os.Truncate(filepath.Join(dest, "wal", segName), off-3)
	if _, err := Open(src, dest, Options{}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Open with a short segment err = %v, want DEST damaged", err)
	}
	os.WriteFile(filepath.Join(dest, positionFile), []byte("{\"segment\": 7}"), 0o644)
	if _, err := Open(src, dest, Options{}); err == nil || !strings.Contains(err.Error(), "position is damaged") {
		t.Fatalf("Open with a bad position err = %v, want the position reported damaged", err)
	}
}

// TestDiverged: a data directory that no longer continues DEST (replaced,
// repaired, restored elsewhere) stops the backup instead of mixing two
// histories.
func TestDiverged(t *testing.T) {
	t.Run("replaced", func(t *testing.T) {
		src, dest := backedUp(t)
		os.RemoveAll(src)
		l, err := wal.Open(src, wal.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		for range 30 {
			l.Append([]byte("another history, another record"), nil)
		}
		l.Close()
		b := mustOpenBackup(t, src, dest, Options{})
		if err := b.Sync(); !errors.Is(err, ErrDiverged) {
			t.Fatalf("Sync() err = %v, want ErrDiverged", err)
		}
	})
	t.Run("cut back", func(t *testing.T) {
		src, dest := backedUp(t)
		segName, off, _ := mustPosition(t, dest)
		os.Truncate(filepath.Join(src, "wal", segName), off-1)
		b := mustOpenBackup(t, src, dest, Options{})
		if err := b.Sync(); !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), segName) {
			t.Fatalf("Sync() err = %v, want ErrDiverged naming %s", err, segName)
		}
	})
}

// TestBlobs: blobs are copied with their SHA-256 checked; a blob whose
// content does not match its name is reported and not copied.
func TestBlobs(t *testing.T) {
	src := buildSource(t)
	good := []string{putBlob(t, src, []byte("a video")), putBlob(t, src, bytes.Repeat([]byte{7}, 3<<20))}
	bad := putBlob(t, src, []byte("original"))
	os.WriteFile(bad, []byte("bit rot"), 0o644)
	dest := filepath.Join(t.TempDir(), "backup")
	logs := &logBuffer{}
	b := mustOpenBackup(t, src, dest, Options{Logger: testLogger(logs)})
	mustSync(t, b)
	for _, p := range good {
		rel, _ := filepath.Rel(src, p)
		if got, want := readOrEmpty(filepath.Join(dest, rel)), readOrEmpty(p); got != want {
			t.Errorf("DEST copy of %s differs from the source", rel)
		}
	}
	rel, _ := filepath.Rel(src, bad)
	if _, err := os.Stat(filepath.Join(dest, rel)); err == nil {
		t.Errorf("the damaged blob %s was copied", rel)
	}
	if !strings.Contains(logs.String(), "blob damaged") || !strings.Contains(logs.String(), bad) {
		t.Errorf("the damaged blob was not reported:\n%s", logs)
	}
	to, r := restoreTo(t, dest, RestoreOptions{})
	if r.Blobs != 2 {
		t.Fatalf("restored %d blobs, want 2", r.Blobs)
	}
	for _, p := range good {
		rel, _ := filepath.Rel(src, p)
		if readOrEmpty(filepath.Join(to, rel)) != readOrEmpty(p) {
			t.Errorf("restored blob %s differs", rel)
		}
	}
}

func TestOpenLocksAndRefusesNesting(t *testing.T) {
	src := buildSource(t)
	dest := filepath.Join(t.TempDir(), "backup")
	mustOpenBackup(t, src, dest, Options{})
	if _, err := Open(src, dest, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of one DEST err = %v, want ErrLocked", err)
	}
	for _, d := range []string{src, filepath.Join(src, "backup"), filepath.Dir(src)} {
		if _, err := Open(src, d, Options{}); err == nil || !strings.Contains(err.Error(), "outside the data directory") {
			t.Errorf("Open(%s, %s) err = %v, want refused", src, d, err)
		}
	}
	// The backup never took the server's lock: a server can open the data
	// directory while the backup holds DEST.
	l, err := wal.Open(src, wal.Options{NoSync: true})
	if err != nil {
		t.Fatalf("wal.Open beside a backup err = %v", err)
	}
	l.Close()
}

func mustPosition(t *testing.T, dest string) (string, int64, uint64) {
	t.Helper()
	p, ok, err := readPosition(dest)
	if err != nil || !ok {
		t.Fatalf("readPosition = %+v, %v, %v", p, ok, err)
	}
	return p.Segment, p.Offset, p.Seq
}

// appendToSource appends records first..last through a real Log.
func appendToSource(t *testing.T, src string, first, last uint64) {
	t.Helper()
	var l *wal.Log
	l, err := wal.Open(src, wal.Options{NoSync: true, SegmentSize: 60,
		Now: func() time.Time { return batchTime(l.LastSeq() + 1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for s := first; s <= last; s++ {
		if got, err := l.Append(payloadFor(s), nil); err != nil || got != s {
			t.Fatalf("Append = %d, %v; want %d", got, err, s)
		}
	}
}

func readOrEmpty(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

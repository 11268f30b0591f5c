package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func writeState(s string) func(w *SnapshotWriter) error {
	return func(w *SnapshotWriter) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func readSnapshot(t *testing.T, l *Log) (uint64, string) {
	t.Helper()
	seq, rc, err := l.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() err = %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read snapshot payload: %v", err)
	}
	return seq, string(b)
}

func appendRange(t *testing.T, l *Log, first, last uint64) {
	t.Helper()
	for s := first; s <= last; s++ {
		if got := mustAppend(t, l, payloadFor(s)); got != s {
			t.Fatalf("Append seq = %d, want %d", got, s)
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	if _, _, err := l.Snapshot(); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("Snapshot() of a fresh dir err = %v, want ErrNoSnapshot", err)
	}
	appendRange(t, l, 1, 5)
	// Bigger than the 1 MiB write buffer, with NUL and 0xff bytes.
	big := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), (3<<20)/2/18)
	if err := l.WriteSnapshot(5, func(w *SnapshotWriter) error { _, err := w.Write(big); return err }); err != nil {
		t.Fatalf("WriteSnapshot(5) err = %v", err)
	}
	if seq, got := readSnapshot(t, l); seq != 5 || got != string(big) {
		t.Fatalf("Snapshot() = %d and %d bytes, want 5 and the %d bytes written", seq, len(got), len(big))
	}
	names := fileNames(t, filepath.Join(dir, "snap"))
	if len(names) != 1 || !strings.HasPrefix(names[0], fmt.Sprintf("%016x-", 5)) || !strings.HasSuffix(names[0], ".snap") {
		t.Fatalf("snap/ = %v, want one <seq>-<nanos>.snap", names)
	}
	// Same seq again: nothing to do.
	if err := l.WriteSnapshot(5, writeState("other")); err != nil {
		t.Fatalf("WriteSnapshot(5) again err = %v", err)
	}
	if again := fileNames(t, filepath.Join(dir, "snap")); !slices.Equal(again, names) {
		t.Fatalf("snap/ after a same-seq WriteSnapshot = %v, want unchanged %v", again, names)
	}
	if err := l.WriteSnapshot(6, writeState("x")); err == nil {
		t.Fatalf("WriteSnapshot(6) beyond LastSeq 5 succeeded")
	}
	if err := l.WriteSnapshot(4, writeState("x")); err == nil {
		t.Fatalf("WriteSnapshot(4) older than the newest snapshot succeeded")
	}
	failing := errors.New("encode failed")
	appendRange(t, l, 6, 6)
	if err := l.WriteSnapshot(6, func(*SnapshotWriter) error { return failing }); !errors.Is(err, failing) {
		t.Fatalf("WriteSnapshot with a failing write err = %v, want it wrapped", err)
	}
	if got := fileNames(t, filepath.Join(dir, "snap")); !slices.Equal(got, names) {
		t.Fatalf("snap/ after a failed WriteSnapshot = %v, want unchanged %v (no .tmp left)", got, names)
	}
}

// TestSnapshotKeepsTwoAndRemovesSegments: only the two newest snapshots
// stay, and segments go once both kept snapshots cover them, never the
// active one; the older snapshot plus the log must always still recover.
func TestSnapshotKeepsTwoAndRemovesSegments(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.SegmentSize = 150
	l := mustOpen(t, dir, opts)
	walDir, snapDir := filepath.Join(dir, "wal"), filepath.Join(dir, "snap")

	appendRange(t, l, 1, 20)
	segsBefore := fileNames(t, walDir)
	if err := l.WriteSnapshot(10, writeState("s10")); err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, walDir); !slices.Equal(got, segsBefore) {
		t.Fatalf("with one snapshot segments = %v, want all kept %v", got, segsBefore)
	}
	appendRange(t, l, 21, 30)
	if err := l.WriteSnapshot(25, writeState("s25")); err != nil {
		t.Fatal(err)
	}
	checkSegmentsFrom(t, walDir, 10)
	if err := l.WriteSnapshot(30, writeState("s30")); err != nil {
		t.Fatal(err)
	}
	snaps := fileNames(t, snapDir)
	if len(snaps) != 2 || !strings.HasPrefix(snaps[0], fmt.Sprintf("%016x-", 25)) || !strings.HasPrefix(snaps[1], fmt.Sprintf("%016x-", 30)) {
		t.Fatalf("snap/ = %v, want the snapshots at 25 and 30", snaps)
	}
	checkSegmentsFrom(t, walDir, 25)
	// Snapshot at the very end: the active segment stays even if covered.
	appendRange(t, l, 31, 31)
	if err := l.WriteSnapshot(31, writeState("s31")); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteSnapshot(31, writeState("s31")); err != nil {
		t.Fatal(err)
	}
	appendRange(t, l, 32, 32)
	l.Close()

	l = mustOpen(t, dir, opts)
	if seq, got := readSnapshot(t, l); seq != 31 || got != "s31" {
		t.Fatalf("Snapshot() = %d, %q, want 31, s31", seq, got)
	}
	if got, want := replayAll(t, l, 30), wantRecs(31, 32); !slices.Equal(got, want) {
		t.Fatalf("Replay(30) = %v, want %v (the older snapshot must still be usable)", got, want)
	}
	var ce *CorruptError
	if err := l.Replay(0, func(uint64, []byte) error { return nil }); !errors.As(err, &ce) || ce.Seq != 1 {
		t.Fatalf("Replay(0) after compaction err = %v, want *CorruptError for missing seq 1", err)
	}
	if seq := mustAppend(t, l, "after"); seq != 33 {
		t.Fatalf("Append after reopen seq = %d, want 33", seq)
	}
}

// checkSegmentsFrom asserts that the oldest segment still holds seq upTo+1
// and that no segment holding only seqs <= upTo is left (except the active).
func checkSegmentsFrom(t *testing.T, walDir string, upTo uint64) {
	t.Helper()
	names := fileNames(t, walDir)
	var firsts []uint64
	for _, n := range names {
		f, _ := parseSegmentName(n)
		firsts = append(firsts, f)
	}
	if firsts[0] > upTo+1 {
		t.Fatalf("segments %v: seq %d was removed, but the older snapshot covers only %d", names, upTo+1, upTo)
	}
	if len(firsts) > 1 && firsts[1]-1 <= upTo {
		t.Fatalf("segments %v: %s holds only seqs <= %d and should be gone", names, names[0], upTo)
	}
}

func TestSnapshotFallsBackWhenNewestDamaged(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	appendRange(t, l, 1, 4)
	if err := l.WriteSnapshot(2, writeState("s2")); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteSnapshot(4, writeState("s4")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	snaps, _ := listSnapshots(filepath.Join(dir, "snap"))
	newest := snaps[len(snaps)-1].path
	b := readFile(t, newest)
	b[snap2HeaderSize+chunkHeaderSize] ^= 1
	writeFile(t, newest, b)

	logs := &logBuffer{}
	l = mustOpen(t, dir, testOptions(logs))
	if seq, got := readSnapshot(t, l); seq != 2 || got != "s2" {
		t.Fatalf("Snapshot() = %d, %q, want the older 2, s2", seq, got)
	}
	if !strings.Contains(logs.String(), newest) {
		t.Fatalf("no warning naming %s in:\n%s", newest, logs)
	}
	if got, want := replayAll(t, l, 2), wantRecs(3, 4); !slices.Equal(got, want) {
		t.Fatalf("Replay(2) = %v, want %v", got, want)
	}

	// With both damaged, there is no snapshot; the full log is still there
	// because segments are removed only once two snapshots cover them.
	l.Close()
	older := snaps[0].path
	b = readFile(t, older)
	b[len(b)-1] ^= 1
	writeFile(t, older, b)
	l = mustOpen(t, dir, testOptions(nil))
	if _, _, err := l.Snapshot(); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("Snapshot() with both damaged err = %v, want ErrNoSnapshot", err)
	}
	if got, want := replayAll(t, l, 0), wantRecs(1, 4); !slices.Equal(got, want) {
		t.Fatalf("Replay(0) = %v, want %v", got, want)
	}
}

func TestSnapshotDamageKinds(t *testing.T) {
	tests := []struct {
		name   string
		damage func(b []byte) []byte
		newer  bool
	}{
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, false},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"too short", func(b []byte) []byte { return b[:10] }, false},
		{"flipped trailer", func(b []byte) []byte { b[len(b)-2] ^= 4; return b }, false},
		{"header seq differs from name", func(b []byte) []byte { b[12]++; return b }, false},
		{"newer version", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 9); return b }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snapDir := filepath.Join(t.TempDir(), "snap")
			os.MkdirAll(snapDir, 0o755)
			p := writeFixtureSnapshot(t, snapDir, 7, 1, "state")
			writeFile(t, p, tt.damage(readFile(t, p)))
			_, err := checkSnapshotPath(p)
			var ce *CorruptError
			if tt.newer {
				if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "format version 9 newer") {
					t.Fatalf("checkSnapshot err = %v, want ErrNewerFormat", err)
				}
				return
			}
			if !errors.As(err, &ce) || ce.Path != p {
				t.Fatalf("checkSnapshot err = %v, want *CorruptError naming %s", err, p)
			}
		})
	}
}

// TestSnapshotWhileAppending writes snapshots while appenders run: every
// append succeeds, and each snapshot's seq is consistent with what it saw.
func TestSnapshotWhileAppending(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.SegmentSize = 1 << 10
	l := mustOpen(t, dir, opts)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := l.Append([]byte("concurrent"), nil); err != nil {
					t.Errorf("Append err = %v", err)
					return
				}
			}
		}()
	}
	appendersDone := make(chan struct{})
	go func() { wg.Wait(); close(appendersDone) }()
	snapshots := 0
	for running := true; running; {
		select {
		case <-appendersDone:
			running = false
		default:
		}
		seq := l.LastSeq()
		if err := l.WriteSnapshot(seq, writeState(fmt.Sprint(seq))); err != nil {
			t.Fatalf("WriteSnapshot(%d) err = %v", seq, err)
		}
		if seq > 0 {
			snapshots++
		}
	}
	if snapshots == 0 {
		t.Fatal("no snapshot was written while appending")
	}
	l.Close()
	l = mustOpen(t, dir, opts)
	seq, state := readSnapshot(t, l)
	if state != fmt.Sprint(seq) {
		t.Fatalf("Snapshot() = %d with payload %q", seq, state)
	}
	if got := replayAll(t, l, seq); uint64(len(got)) != 800-seq {
		t.Fatalf("Replay(%d) gave %d records, want %d", seq, len(got), 800-seq)
	}
}

func TestSizeSinceSnapshot(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	if got := l.SizeSinceSnapshot(); got != 0 {
		t.Fatalf("SizeSinceSnapshot() of a fresh log = %d, want 0", got)
	}
	appendRange(t, l, 1, 3)
	seg := filepath.Join(dir, "wal", segmentName(1))
	if got, want := l.SizeSinceSnapshot(), fileSize(t, seg)-segHeaderSize; got != want {
		t.Fatalf("SizeSinceSnapshot() = %d, want %d (all frames)", got, want)
	}
	if err := l.WriteSnapshot(3, writeState("s3")); err != nil {
		t.Fatal(err)
	}
	if got := l.SizeSinceSnapshot(); got != 0 {
		t.Fatalf("SizeSinceSnapshot() right after a snapshot at LastSeq = %d, want 0", got)
	}
	before := fileSize(t, seg)
	appendRange(t, l, 4, 5)
	want := fileSize(t, seg) - before
	if got := l.SizeSinceSnapshot(); got != want {
		t.Fatalf("SizeSinceSnapshot() = %d, want %d", got, want)
	}
	l.Close()
	l = mustOpen(t, dir, testOptions(nil))
	if got := l.SizeSinceSnapshot(); got != want {
		t.Fatalf("SizeSinceSnapshot() after reopen = %d, want %d", got, want)
	}
}

func TestSizeIndexThinning(t *testing.T) {
	var x sizeIndex
	for s := uint64(1); s <= 100000; s++ {
		x.add(s, 10)
	}
	if len(x.marks) > maxSizeMarks {
		t.Fatalf("%d marks kept, want at most %d", len(x.marks), maxSizeMarks)
	}
	slack := int64(x.stride) * 10 // under one stride of batches
	for _, seq := range []uint64{0, 1, 5000, 77777, 99999, 100000} {
		exact := int64(100000-seq) * 10
		if got := x.since(seq); got < exact || got > exact+slack {
			t.Errorf("since(%d) = %d, want %d or up to %d more", seq, got, exact, slack)
		}
	}
	x.forget(50000)
	if got := x.since(60000); got < 400000 || got > 400000+slack {
		t.Errorf("since(60000) after forget = %d, want 400000 or up to %d more", got, slack)
	}
}

// checkSnapshotPath verifies the snapshot at p end to end, as Verify does.
func checkSnapshotPath(p string) (int64, error) { return CheckSnapshot(p) }

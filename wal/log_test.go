package wal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAppendReplayReopen(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	if got := l.LastSeq(); got != 0 {
		t.Fatalf("LastSeq() of a fresh log = %d, want 0", got)
	}
	for i := uint64(1); i <= 5; i++ {
		if seq := mustAppend(t, l, payloadFor(i)); seq != i {
			t.Fatalf("Append #%d seq = %d, want %d", i, seq, i)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close() err = %v", err)
	}
	if _, err := l.Append([]byte("x"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close err = %v, want ErrClosed", err)
	}
	l = mustOpen(t, dir, testOptions(nil))
	if got := l.LastSeq(); got != 5 {
		t.Fatalf("LastSeq() after reopen = %d, want 5", got)
	}
	if got, want := replayAll(t, l, 0), wantRecs(1, 5); !slices.Equal(got, want) {
		t.Fatalf("Replay(0) = %v, want %v", got, want)
	}
	if got, want := replayAll(t, l, 3), wantRecs(4, 5); !slices.Equal(got, want) {
		t.Fatalf("Replay(3) = %v, want %v", got, want)
	}
	if got := replayAll(t, l, 5); len(got) != 0 {
		t.Fatalf("Replay(5) = %v, want nothing", got)
	}
	// Invariant 2: seqs continue after a restart.
	if seq := mustAppend(t, l, payloadFor(6)); seq != 6 {
		t.Fatalf("Append after reopen seq = %d, want 6", seq)
	}
}

func TestReplayStopsOnCallbackError(t *testing.T) {
	l := mustOpen(t, t.TempDir(), testOptions(nil))
	for i := uint64(1); i <= 3; i++ {
		mustAppend(t, l, payloadFor(i))
	}
	stop := errors.New("stop")
	var seen []uint64
	err := l.Replay(0, func(seq uint64, _ []byte) error {
		seen = append(seen, seq)
		if seq == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "seq 2") {
		t.Fatalf("Replay err = %v, want the callback's error naming seq 2", err)
	}
	if !slices.Equal(seen, []uint64{1, 2}) {
		t.Fatalf("Replay called fn for %v, want [1 2]", seen)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	_, err := Open(dir, testOptions(nil))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open err = %v, want ErrLocked naming %s", err, dir)
	}
	l.Close()
	l2, err := Open(dir, testOptions(nil))
	if err != nil {
		t.Fatalf("Open after Close err = %v", err)
	}
	l2.Close()
}

func TestOpenRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, testOptions(nil))
	mustAppend(t, l, "a")
	l.Close()
	stale := []string{
		filepath.Join(dir, "wal", segmentName(2)+tmpExt),
		filepath.Join(dir, "snap", snapName(1, 7)+tmpExt),
	}
	for _, p := range stale {
		if err := os.WriteFile(p, []byte("half written"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l = mustOpen(t, dir, testOptions(nil))
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s still present after Open (stat err = %v)", p, err)
		}
	}
	if got := replayAll(t, l, 0); !slices.Equal(got, []rec{{1, "a"}}) {
		t.Fatalf("Replay(0) = %v, want [{1 a}]", got)
	}
}

func TestSegmentRoll(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.SegmentSize = 200
	l := mustOpen(t, dir, opts)
	for i := uint64(1); i <= 20; i++ {
		mustAppend(t, l, payloadFor(i))
	}
	l.Close()
	names := fileNames(t, filepath.Join(dir, "wal"))
	if len(names) < 4 {
		t.Fatalf("segments = %v, want several after 20 appends with SegmentSize 200", names)
	}
	prevLast := uint64(0)
	for _, name := range names {
		first, ok := parseSegmentName(name)
		if !ok {
			t.Fatalf("unexpected file %s in wal/", name)
		}
		s, err := scanSegment(segment{path: filepath.Join(dir, "wal", name), first: first}, -1, false, false, nil)
		if err != nil {
			t.Fatalf("scan %s: %v", name, err)
		}
		if first != prevLast+1 {
			t.Errorf("segment %s starts at %d, want %d", name, first, prevLast+1)
		}
		// A segment rolls once it reaches SegmentSize: it may exceed it by
		// one batch, never by two.
		if name != names[len(names)-1] && s.size-int64(200) > 100 {
			t.Errorf("segment %s is %d bytes, want at most one batch past 200", name, s.size)
		}
		prevLast = s.last
	}
	l = mustOpen(t, dir, opts)
	if got, want := replayAll(t, l, 0), wantRecs(1, 20); !slices.Equal(got, want) {
		t.Fatalf("Replay(0) across segments = %v, want %v", got, want)
	}
}

func TestAppendTooLarge(t *testing.T) {
	l := mustOpen(t, t.TempDir(), testOptions(nil))
	if _, err := l.Append(make([]byte, MaxRecordSize+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append(MaxRecordSize+1) err = %v, want ErrTooLarge", err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("Err() after a refused oversized append = %v, want nil", err)
	}
	if seq := mustAppend(t, l, "fine"); seq != 1 {
		t.Fatalf("next Append seq = %d, want 1", seq)
	}
}

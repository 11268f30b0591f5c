package wal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifySoundAndMissingHistory(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.SegmentSize = 150
	l := mustOpen(t, dir, opts)
	appendRange(t, l, 1, 12)
	for _, seq := range []uint64{4, 8} {
		if err := l.WriteSnapshot(seq, writeState("s")); err != nil {
			t.Fatal(err)
		}
	}
	appendRange(t, l, 13, 14)
	l.Close()

	r, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify err = %v", err)
	}
	if !r.OK() || r.LastSeq != 14 || len(r.Snapshots) != 2 || len(r.Segments) < 2 {
		t.Fatalf("Verify of a sound dir: OK %v, LastSeq %d, %d snapshots, %d segments; want true, 14, 2, several:\n%s",
			r.OK(), r.LastSeq, len(r.Snapshots), len(r.Segments), r.String())
	}
	if !strings.Contains(r.String(), "ok       segment") || strings.Contains(r.String(), "DAMAGED") {
		t.Fatalf("Report.String() =\n%s", r.String())
	}

	// Without its snapshots, the compacted log no longer starts at seq 1.
	os.RemoveAll(filepath.Join(dir, "snap"))
	r, err = Verify(dir)
	if err != nil {
		t.Fatalf("Verify err = %v", err)
	}
	if r.OK() || r.Segments[0].Damage == nil || !strings.Contains(r.Segments[0].Damage.Reason, "snapshot") {
		t.Fatalf("Verify without snapshots: want the first segment reported as missing history:\n%s", r.String())
	}
	if !strings.Contains(r.String(), "DAMAGED") {
		t.Fatalf("Report.String() does not flag the damage:\n%s", r.String())
	}
}

func TestVerifyMissingDir(t *testing.T) {
	if _, err := Verify(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Verify of a missing directory succeeded")
	}
}

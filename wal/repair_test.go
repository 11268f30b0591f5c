package wal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repairWant is what Repair must report for one fixture.
type repairWant struct {
	snapshots []string     // damaged snapshots moved aside (relative paths)
	dropped   []dropRecord // log stretches dropped, in order
	lastSeq   uint64       // the directory's last seq afterwards
	replay    []rec        // Replay after the snapshot Open then uses
	snapSeq   uint64
	refused   bool // ErrNewerFormat: not damage, nothing touched
}

// dropRecord is the part of a Dropped a test pins.
type dropRecord struct {
	path              string // relative
	offset            int64
	first, last       uint64
	covered, hasCause bool
}

var repairTable = map[string]repairWant{
	"sound":     {lastSeq: 7, snapSeq: 3, replay: wantRecs(4, 7)},
	"torn-tail": {dropped: []dropRecord{{fixtureSeg(1), 139, 4, 0, false, true}}, lastSeq: 3, replay: wantRecs(1, 3)},
	// The last batch's commit never landed: nothing acknowledged is lost.
	"bad-crc-last-batch": {dropped: []dropRecord{{fixtureSeg(1), 139, 4, 0, false, true}}, lastSeq: 3, replay: wantRecs(1, 3)},
	// Bit rot before a valid commit: the acknowledged batch 4..6 goes.
	"bad-crc-before-commit": {dropped: []dropRecord{{fixtureSeg(1), 139, 4, 6, false, true}}, lastSeq: 3, replay: wantRecs(1, 3)},
	"bad-magic":             {dropped: []dropRecord{{fixtureSeg(1), 0, 1, 2, false, true}}, lastSeq: 0},
	"future-version":        {refused: true},
	"seq-gap":               {dropped: []dropRecord{{fixtureSeg(5), 0, 5, 6, false, false}}, lastSeq: 3, replay: wantRecs(1, 3)},
	"seq-gap-in-segment":    {dropped: []dropRecord{{fixtureSeg(1), 113, 4, 6, false, true}}, lastSeq: 3, replay: wantRecs(1, 3)},
	"torn-older-segment": {dropped: []dropRecord{
		{fixtureSeg(1), 92, 3, 0, false, true},
		{fixtureSeg(3), 0, 3, 3, false, false},
	}, lastSeq: 2, replay: wantRecs(1, 2)},
	"corrupt-newest-snapshot": {snapshots: []string{filepath.Join("snap", snapName(5, 2000))},
		lastSeq: 6, snapSeq: 3, replay: wantRecs(4, 6)},
}

// TestRepairFixtures runs Repair on a copy of every damage fixture: it must
// report exactly what it dropped, keep the originals beside, and leave a
// directory that Verify passes and Open and Replay accept.
func TestRepairFixtures(t *testing.T) {
	for name, want := range repairTable {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(fixtureRoot, name))
			before := treeBytes(t, dir)
			logs := &logBuffer{}
			r, err := Repair(dir, testOptions(logs).Logger)
			if want.refused {
				if !errors.Is(err, ErrNewerFormat) {
					t.Fatalf("Repair err = %v, want ErrNewerFormat", err)
				}
				if !sameTree(before, treeBytes(t, dir)) {
					t.Fatal("a refused Repair changed the directory")
				}
				return
			}
			if err != nil {
				t.Fatalf("Repair err = %v", err)
			}
			checkRepairReport(t, dir, before, r, want)
			if r.Changed() && !strings.Contains(logs.String(), "repair") {
				t.Errorf("Repair logged nothing:\n%s", logs)
			}
			l := mustOpen(t, dir, testOptions(nil))
			if got := replayAll(t, l, want.snapSeq); !slices.Equal(got, want.replay) {
				t.Fatalf("Replay(%d) after Repair = %v, want %v", want.snapSeq, got, want.replay)
			}
			if seq := mustAppend(t, l, "after repair"); seq != want.lastSeq+1 {
				t.Fatalf("first Append after Repair got seq %d, want %d", seq, want.lastSeq+1)
			}
		})
	}
}

func checkRepairReport(t *testing.T, dir string, before map[string]string, r RepairReport, want repairWant) {
	t.Helper()
	var moved []string
	for _, s := range r.Snapshots {
		rel, _ := filepath.Rel(dir, s.Path)
		moved = append(moved, rel)
		if before[rel] != readString(t, s.Copy) || !strings.Contains(s.Copy, ".damaged-") {
			t.Errorf("snapshot %s kept as %s, which does not hold the original", rel, s.Copy)
		}
	}
	if !slices.Equal(moved, want.snapshots) {
		t.Errorf("snapshots moved aside = %v, want %v", moved, want.snapshots)
	}
	var got []dropRecord
	for _, d := range r.Dropped {
		rel, _ := filepath.Rel(dir, d.Path)
		got = append(got, dropRecord{rel, d.Offset, d.FirstSeq, d.LastSeq, d.Covered, d.Damage != nil})
		orig := before[rel]
		if d.Bytes != int64(len(orig))-d.Offset {
			t.Errorf("%s: dropped %d bytes from offset %d of %d", rel, d.Bytes, d.Offset, len(orig))
		}
		if readString(t, d.Copy) != orig {
			t.Errorf("%s: the copy %s is not the original", rel, d.Copy)
		}
		if d.Offset > 0 && readString(t, d.Path) != orig[:d.Offset] {
			t.Errorf("%s: not cut to its first %d bytes", rel, d.Offset)
		}
	}
	if !slices.Equal(got, want.dropped) {
		t.Errorf("dropped = %+v\nwant      %+v\n%s", got, want.dropped, r)
	}
	if r.LastSeq != want.lastSeq {
		t.Errorf("LastSeq = %d, want %d", r.LastSeq, want.lastSeq)
	}
	text := r.String()
	for _, d := range r.Dropped {
		for _, s := range []string{d.Path, d.Copy, d.seqs()} {
			if !strings.Contains(text, s) {
				t.Errorf("report does not mention %q:\n%s", s, text)
			}
		}
	}
	if !r.Changed() && !strings.Contains(text, "nothing to repair") {
		t.Errorf("report of a sound directory = %q", text)
	}
}

func readString(t *testing.T, p string) string {
	t.Helper()
	return string(readFile(t, p))
}

// TestRepairCoveredDamage: damage in an old segment whose records a sound
// snapshot covers costs nothing. The covered segments are moved aside and
// every record after the snapshot is kept.
func TestRepairCoveredDamage(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.SegmentSize = 150
	l := mustOpen(t, dir, opts)
	appendRange(t, l, 1, 12)
	if err := l.WriteSnapshot(8, writeState("s8")); err != nil {
		t.Fatal(err)
	}
	appendRange(t, l, 13, 16)
	l.Close()
	segs, _ := listSegments(filepath.Join(dir, "wal"))
	if len(segs) < 4 || segs[1].first > 8 {
		t.Fatalf("want several segments, the second wholly before seq 9: %v", segs)
	}
	// Flip a payload byte in the second segment, wholly covered by the snapshot.
	b := readFile(t, segs[1].path)
	b[segHeaderSize+10] ^= 0x40
	writeFile(t, segs[1].path, b)
	if _, err := Open(dir, opts); err == nil {
		t.Fatal("Open accepted a damaged segment")
	}

	r, err := Repair(dir, nil)
	if err != nil {
		t.Fatalf("Repair err = %v", err)
	}
	if len(r.Dropped) != 2 || r.Dropped[0].Path != segs[0].path || r.Dropped[1].Path != segs[1].path ||
		!r.Dropped[0].Covered || !r.Dropped[1].Covered || r.Dropped[1].Damage == nil || r.LastSeq != 16 {
		t.Fatalf("Repair report:\n%s%+v", r, r.Dropped)
	}
	l = mustOpen(t, dir, opts)
	if got := replayAll(t, l, 8); !slices.Equal(got, wantRecs(9, 16)) {
		t.Fatalf("Replay(8) after Repair = %v, want records 9..16", got)
	}
}

// TestRepairLogBehindSnapshot: when the kept log would end before the
// snapshot, the snapshot alone is the state and the log restarts after it.
func TestRepairLogBehindSnapshot(t *testing.T) {
	dir := copyDir(t, filepath.Join(fixtureRoot, "sound")) // snapshot 3, log 1..4 and 5..7
	p := filepath.Join(dir, fixtureSeg(1))
	b := readFile(t, p)
	b[segHeaderSize+frameHeaderSize+2] ^= 0x01 // the first batch (1..2)
	writeFile(t, p, b)
	r, err := Repair(dir, nil)
	if err != nil {
		t.Fatalf("Repair err = %v", err)
	}
	if len(r.Dropped) != 2 || r.Dropped[0].Covered || r.Dropped[0].FirstSeq != 1 || r.Dropped[0].LastSeq != 4 ||
		r.Dropped[1].Covered || r.Dropped[1].LastSeq != 7 || r.LastSeq != 3 {
		t.Fatalf("Repair report:\n%s%+v", r, r.Dropped)
	}
	l := mustOpen(t, dir, testOptions(nil))
	if got := replayAll(t, l, 3); len(got) != 0 {
		t.Fatalf("Replay(3) = %v, want nothing", got)
	}
	if seq := mustAppend(t, l, "x"); seq != 4 {
		t.Fatalf("Append after Repair got seq %d, want 4", seq)
	}
}

func TestRepairLocked(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir, testOptions(nil))
	if _, err := Repair(dir, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("Repair of an open directory err = %v, want ErrLocked", err)
	}
	if _, err := Repair(filepath.Join(dir, "missing"), nil); err == nil {
		t.Fatal("Repair of a missing directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Repair created a missing directory")
	}
}

package wal

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Fixture directories under testdata/v1/ are data directories holding one
// damage scenario each, written by format version 1. They are committed and
// must keep loading (or keep being refused) the same way forever. Rewrite
// them with: go test -run TestFixtures -update

const fixtureRoot = "testdata/v1"

// fixtureSeg is the relative path of segment first in a fixture.
func fixtureSeg(first uint64) string { return filepath.Join("wal", segmentName(first)) }

// fixtureGenerators write each scenario into an empty directory.
var fixtureGenerators = map[string]func(t *testing.T, dir string){
	"sound": func(t *testing.T, dir string) {
		// An undamaged directory: a snapshot at 3 and two segments, 1..4
		// and 5..7. It pins that a healthy v1 directory keeps loading.
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(1)), 1, 2, 2)
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(5)), 5, 1, 2)
		os.MkdirAll(filepath.Join(dir, "snap"), 0o755)
		writeFixtureSnapshot(t, filepath.Join(dir, "snap"), 3, 1000, "state@3")
	},
	"torn-tail": func(t *testing.T, dir string) {
		// A crash cut the last batch (4..6) in the middle of its second entry.
		p := filepath.Join(dir, fixtureSeg(1))
		starts := writeSegmentFile(t, p, 1, 2, 1, 3)
		truncateFile(t, p, starts[2]+30)
	},
	"bad-crc-last-batch": func(t *testing.T, dir string) {
		// The last batch's final entry has a bad checksum and its commit frame
		// never landed (zeros): no valid commit after the damage.
		p := filepath.Join(dir, fixtureSeg(1))
		writeSegmentFile(t, p, 1, 2, 1, 3)
		b := readFile(t, p)
		frames := frameStarts(t, b)
		commit := frames[len(frames)-1]
		b[commit-1] ^= 0xff
		clear(b[commit:])
		writeFile(t, p, b)
	},
	"bad-crc-before-commit": func(t *testing.T, dir string) {
		// Bit rot in the first entry of the last batch; its commit is valid.
		p := filepath.Join(dir, fixtureSeg(1))
		starts := writeSegmentFile(t, p, 1, 2, 1, 3)
		b := readFile(t, p)
		b[starts[2]+frameHeaderSize+4] ^= 0x01
		writeFile(t, p, b)
	},
	"bad-magic": func(t *testing.T, dir string) {
		p := filepath.Join(dir, fixtureSeg(1))
		writeSegmentFile(t, p, 1, 2)
		b := readFile(t, p)
		copy(b, "XLOGWAL\x00")
		writeFile(t, p, b)
	},
	"future-version": func(t *testing.T, dir string) {
		// A segment from a newer vlogd: version 2, header checksum valid.
		p := filepath.Join(dir, fixtureSeg(1))
		writeSegmentFile(t, p, 1, 2)
		b := readFile(t, p)
		binary.LittleEndian.PutUint32(b[8:], 2)
		binary.LittleEndian.PutUint32(b[20:], crc32c(b[:20]))
		writeFile(t, p, b)
	},
	"seq-gap": func(t *testing.T, dir string) {
		// Segment 1 holds 1..3, the next segment starts at 5.
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(1)), 1, 3)
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(5)), 5, 2)
	},
	"seq-gap-in-segment": func(t *testing.T, dir string) {
		// Batches 1..3 then 5..6 in one segment, both committed.
		p := filepath.Join(dir, fixtureSeg(1))
		writeSegmentFile(t, p, 1, 3)
		gap := filepath.Join(t.TempDir(), "gap.wal")
		writeSegmentFile(t, gap, 5, 2)
		writeFile(t, p, append(readFile(t, p), readFile(t, gap)[segHeaderSize:]...))
	},
	"torn-older-segment": func(t *testing.T, dir string) {
		// An incomplete batch at the end of a segment that is not the last.
		p := filepath.Join(dir, fixtureSeg(1))
		starts := writeSegmentFile(t, p, 1, 2, 2)
		truncateFile(t, p, starts[1]+10)
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(3)), 3, 1)
	},
	"corrupt-newest-snapshot": func(t *testing.T, dir string) {
		// Snapshots at 3 and 5; the newest has a flipped payload byte. The
		// log holds 1..6, so the older snapshot plus records 4..6 recover.
		writeSegmentFile(t, filepath.Join(dir, fixtureSeg(1)), 1, 2, 1, 2, 1)
		snapDir := filepath.Join(dir, "snap")
		os.MkdirAll(snapDir, 0o755)
		writeFixtureSnapshot(t, snapDir, 3, 1000, "state@3")
		p := writeFixtureSnapshot(t, snapDir, 5, 2000, "state@5")
		b := readFile(t, p)
		b[snap2HeaderSize+chunkHeaderSize+2] ^= 0x20
		writeFile(t, p, b)
	},
}

// writeFixtureSnapshot writes a snapshot with a fixed name via the real
// writer, so its bytes do not depend on the clock.
func writeFixtureSnapshot(t *testing.T, snapDir string, seq, nanos uint64, payload string) string {
	t.Helper()
	p, err := writeSnapshotFile(snapDir, seq, func(w *SnapshotWriter) error {
		_, err := io.WriteString(w, payload)
		return err
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(snapDir, snapName(seq, nanos))
	if err := os.Rename(p, fixed); err != nil {
		t.Fatal(err)
	}
	return fixed
}

// fixtureWant is what opening a fixture must do.
type fixtureWant struct {
	// Refused: a *CorruptError naming file (relative), offset and seq.
	corruptPath   string
	corruptOffset int64
	corruptSeq    uint64
	newer         bool // refused with ErrNewerFormat instead
	// Opened: the snapshot used (0: none), and Replay after it.
	snapSeq  uint64
	snapData string
	replay   []rec
	// A torn tail cut back: the segment and its size after Open.
	tornPath string
	tornSize int64
	// Verify's verdict on the (untouched) fixture: damaged file, and
	// whether it is only a torn tail.
	verifyDamaged string
	verifyTorn    bool
}

var fixtureTable = map[string]fixtureWant{
	"sound": {snapSeq: 3, snapData: "state@3", replay: wantRecs(4, 7)},
	"torn-tail": {replay: wantRecs(1, 3), tornPath: fixtureSeg(1), tornSize: 139,
		verifyDamaged: fixtureSeg(1), verifyTorn: true},
	"bad-crc-last-batch": {replay: wantRecs(1, 3), tornPath: fixtureSeg(1), tornSize: 139,
		verifyDamaged: fixtureSeg(1), verifyTorn: true},
	"bad-crc-before-commit": {corruptPath: fixtureSeg(1), corruptOffset: 139, corruptSeq: 4,
		verifyDamaged: fixtureSeg(1)},
	"bad-magic":          {corruptPath: fixtureSeg(1), corruptOffset: 0, verifyDamaged: fixtureSeg(1)},
	"future-version":     {newer: true, verifyDamaged: fixtureSeg(1)},
	"seq-gap":            {corruptPath: fixtureSeg(5), corruptOffset: 0, corruptSeq: 4, verifyDamaged: fixtureSeg(5)},
	"seq-gap-in-segment": {corruptPath: fixtureSeg(1), corruptOffset: 113, corruptSeq: 4, verifyDamaged: fixtureSeg(1)},
	"torn-older-segment": {corruptPath: fixtureSeg(1), corruptOffset: 92, corruptSeq: 3, verifyDamaged: fixtureSeg(1)},
	"corrupt-newest-snapshot": {snapSeq: 3, snapData: "state@3", replay: wantRecs(4, 6),
		verifyDamaged: filepath.Join("snap", snapName(5, 2000))},
}

func TestFixtures(t *testing.T) {
	if *update {
		for name, gen := range fixtureGenerators {
			dir := filepath.Join(fixtureRoot, name)
			os.RemoveAll(dir)
			gen(t, dir)
		}
	}
	for name, want := range fixtureTable {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(fixtureRoot, name)
			checkFixtureVerify(t, src, want)
			dir := copyDir(t, src)
			before := treeBytes(t, dir)
			logs := &logBuffer{}
			l, err := Open(dir, testOptions(logs))
			if want.corruptPath != "" || want.newer {
				if l != nil {
					l.Close()
				}
				checkFixtureRefusal(t, dir, err, want)
				if after := treeBytes(t, dir); !sameTree(before, after) {
					t.Errorf("refused Open changed the directory")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open err = %v", err)
			}
			defer l.Close()
			checkFixtureRecovery(t, dir, l, logs, want)
		})
	}
}

func checkFixtureRefusal(t *testing.T, dir string, err error, want fixtureWant) {
	t.Helper()
	if want.newer {
		if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "format version 2 newer than supported") {
			t.Fatalf("Open err = %v, want ErrNewerFormat saying version 2 is newer", err)
		}
		return
	}
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Open err = %v, want *CorruptError", err)
	}
	path := filepath.Join(dir, want.corruptPath)
	if ce.Path != path || ce.Offset != want.corruptOffset || ce.Seq != want.corruptSeq {
		t.Fatalf("CorruptError at %s offset %d seq %d, want %s offset %d seq %d (%v)",
			ce.Path, ce.Offset, ce.Seq, path, want.corruptOffset, want.corruptSeq, err)
	}
	for _, s := range []string{path, "offset", "seq"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Open err %q does not name %s", err, s)
		}
	}
}

func checkFixtureRecovery(t *testing.T, dir string, l *Log, logs *logBuffer, want fixtureWant) {
	t.Helper()
	seq, rc, err := l.Snapshot()
	switch {
	case want.snapSeq == 0 && !errors.Is(err, ErrNoSnapshot):
		t.Fatalf("Snapshot() err = %v, want ErrNoSnapshot", err)
	case want.snapSeq != 0:
		if err != nil {
			t.Fatalf("Snapshot() err = %v", err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if seq != want.snapSeq || string(data) != want.snapData {
			t.Fatalf("Snapshot() = %d, %q, want %d, %q", seq, data, want.snapSeq, want.snapData)
		}
	}
	if got := replayAll(t, l, want.snapSeq); !slices.Equal(got, want.replay) {
		t.Fatalf("Replay(%d) = %v, want %v", want.snapSeq, got, want.replay)
	}
	if want.tornPath != "" {
		p := filepath.Join(dir, want.tornPath)
		if got := fileSize(t, p); got != want.tornSize {
			t.Errorf("%s is %d bytes after Open, want cut to %d", p, got, want.tornSize)
		}
		if !strings.Contains(logs.String(), "torn tail") || !strings.Contains(logs.String(), p) {
			t.Errorf("no torn-tail warning naming %s in:\n%s", p, logs)
		}
	}
	if damagedSnap := want.snapSeq != 0 && want.verifyDamaged != ""; damagedSnap != strings.Contains(logs.String(), "damaged snapshot") {
		t.Errorf("warning about a damaged snapshot = %v, want %v, in:\n%s", !damagedSnap, damagedSnap, logs)
	}
}

// checkFixtureVerify runs Verify on the committed fixture itself: it must
// report the damaged file and change nothing.
func checkFixtureVerify(t *testing.T, src string, want fixtureWant) {
	t.Helper()
	before := treeBytes(t, src)
	r, err := Verify(src)
	if err != nil {
		t.Fatalf("Verify err = %v", err)
	}
	if after := treeBytes(t, src); !sameTree(before, after) {
		t.Fatalf("Verify changed the fixture")
	}
	if want.verifyDamaged == "" {
		if !r.OK() || r.LastSeq != 7 {
			t.Fatalf("Verify of a sound directory: OK() = %v, LastSeq %d, want true, 7:\n%s", r.OK(), r.LastSeq, r.String())
		}
		return
	}
	if r.OK() {
		t.Fatalf("Verify says OK, want %s damaged:\n%s", want.verifyDamaged, r.String())
	}
	var damaged []FileReport
	for _, f := range append(r.Snapshots, r.Segments...) {
		if f.Damage != nil {
			damaged = append(damaged, f)
		}
	}
	if len(damaged) != 1 || damaged[0].Path != filepath.Join(src, want.verifyDamaged) || damaged[0].Torn != want.verifyTorn {
		t.Fatalf("Verify damaged = %+v, want only %s (torn %v):\n%s", damaged, want.verifyDamaged, want.verifyTorn, r.String())
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func truncateFile(t *testing.T, p string, size int64) {
	t.Helper()
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
}

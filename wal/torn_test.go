package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tornLog writes a data directory whose only segment holds batches of 2, 1
// and 3 records, and returns the dir, the segment path, its bytes and where
// the last batch starts.
func tornLog(t *testing.T) (string, []byte, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wal", segmentName(1))
	starts := writeSegmentFile(t, path, 1, 2, 1, 3)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b, starts[2]
}

// openDamaged writes seg as the only segment of a new data directory and
// opens it.
func openDamaged(t *testing.T, base string, seg []byte, logs *logBuffer) (string, *Log, error) {
	t.Helper()
	dir, err := os.MkdirTemp(base, "d")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "wal", segmentName(1))
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, seg, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, testOptions(logs))
	return path, l, err
}

// TestTornTailEveryOffset cuts the last batch at every byte, and also
// zero-fills it from every byte (sectors that never landed): recovery must
// give exactly the two previous batches, cut the file back to them with a
// warning naming file and offset, and continue the seqs from there.
func TestTornTailEveryOffset(t *testing.T) {
	_, full, start := tornLog(t)
	base := t.TempDir()
	for cut := start; cut < int64(len(full)); cut++ {
		variants := map[string][]byte{
			"cut":       full[:cut],
			"zero-fill": append(bytes.Clone(full[:cut]), make([]byte, int64(len(full))-cut)...),
		}
		for name, seg := range variants {
			logs := &logBuffer{}
			path, l, err := openDamaged(t, base, seg, logs)
			if err != nil {
				t.Fatalf("%s at %d: Open err = %v, want the torn tail repaired", name, cut, err)
			}
			if got, want := replayAll(t, l, 0), wantRecs(1, 3); !slices.Equal(got, want) {
				t.Fatalf("%s at %d: Replay(0) = %v, want %v", name, cut, got, want)
			}
			if fi, _ := os.Stat(path); fi.Size() != start {
				t.Fatalf("%s at %d: segment is %d bytes after Open, want %d", name, cut, fi.Size(), start)
			}
			warned := strings.Contains(logs.String(), "torn tail") && strings.Contains(logs.String(), path) &&
				strings.Contains(logs.String(), fmt.Sprintf("offset=%d", start))
			if wantWarn := len(seg) > int(start); warned != wantWarn {
				t.Fatalf("%s at %d: warned = %v, want %v; log:\n%s", name, cut, warned, wantWarn, logs)
			}
			if seq := mustAppend(t, l, "next"); seq != 4 {
				t.Fatalf("%s at %d: Append after repair seq = %d, want 4", name, cut, seq)
			}
			l.Close()
		}
	}
}

// TestFlipLastBatchEveryOffset flips one bit at every byte of the last
// batch. In an entry frame the batch's valid commit still follows: that is
// corruption, refused with the frame's offset and nothing changed. In the
// commit frame it is a torn tail, repaired.
func TestFlipLastBatchEveryOffset(t *testing.T) {
	_, full, start := tornLog(t)
	frames := frameStarts(t, full)
	commitAt := frames[len(frames)-1]
	base := t.TempDir()
	for at := start; at < int64(len(full)); at++ {
		seg := bytes.Clone(full)
		seg[at] ^= 0x10
		path, l, err := openDamaged(t, base, seg, nil)
		if at >= commitAt {
			if err != nil {
				t.Fatalf("flip at %d (commit frame): Open err = %v, want torn tail repaired", at, err)
			}
			if got, want := replayAll(t, l, 0), wantRecs(1, 3); !slices.Equal(got, want) {
				t.Fatalf("flip at %d: Replay(0) = %v, want %v", at, got, want)
			}
			l.Close()
			continue
		}
		var ce *CorruptError
		if !errors.As(err, &ce) {
			if l != nil {
				l.Close()
			}
			t.Fatalf("flip at %d (entry frame): Open err = %v, want *CorruptError", at, err)
		}
		if want := frameContaining(frames, at); ce.Path != path || ce.Offset != want {
			t.Fatalf("flip at %d: CorruptError at %s:%d, want %s:%d (%v)", at, ce.Path, ce.Offset, path, want, err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, seg) {
			t.Fatalf("flip at %d: refused Open modified the segment", at)
		}
	}
}

// frameStarts returns the offset of every frame in a sound segment.
func frameStarts(t *testing.T, seg []byte) []int64 {
	t.Helper()
	d := NewDecoder(bytes.NewReader(seg[segHeaderSize:]), "mem", segHeaderSize, int64(len(seg)-segHeaderSize))
	var out []int64
	for {
		f, err := d.Next()
		if err != nil {
			return out
		}
		out = append(out, f.Offset)
	}
}

func frameContaining(starts []int64, at int64) int64 {
	var s int64
	for _, o := range starts {
		if o <= at {
			s = o
		}
	}
	return s
}

// TestCommitMismatch: a commit frame whose own checksum verifies but which
// does not match its batch is corruption, except a commit for older seqs
// with nothing valid after it, which can only be stale bytes past a torn
// write.
func TestCommitMismatch(t *testing.T) {
	enc := NewEncoder()
	base := appendSegmentHeader(nil, 1)
	base, _ = enc.AppendBatch(base, 1, [][]byte{[]byte("a"), []byte("b")}, fixtureTime(1)) // seqs 1..2
	entry := func(b []byte, seq uint64) []byte {
		b, _ = enc.AppendFrame(b, &Record{Type: TypeEntry, Seq: seq, Data: []byte("x")})
		return b
	}
	commit := func(b []byte, first, last uint64, sum uint32) []byte {
		b, _ = enc.AppendFrame(b, &Record{Type: TypeCommit, First: first, Seq: last, Sum: sum})
		return b
	}
	goodSum := func(seq uint64) uint32 {
		return crc32c(entry(nil, seq)[:frameHeaderSize])
	}
	tests := []struct {
		name   string
		tail   []byte
		reason string // "" means a torn tail
	}{
		{"wrong sum", commit(entry(nil, 3), 3, 3, goodSum(3)+1), "commit checksum"},
		{"wrong last", commit(entry(nil, 3), 3, 4, goodSum(3)), "covers seq 3..4"},
		{"wrong first", commit(entry(nil, 3), 4, 4, goodSum(3)), "covers seq 4..4"},
		{"no entries", commit(nil, 3, 3, 0), "no entries"},
		{"stale commit at the end", commit(nil, 1, 2, 0), ""},
	}
	for _, tt := range tests {
		seg := append(bytes.Clone(base), tt.tail...)
		s, err := scanSegmentAt(segment{path: "m.wal"}, bytes.NewReader(seg), int64(len(seg)), true, false, nil)
		var ce *CorruptError
		switch {
		case tt.reason == "":
			if err != nil || s.torn == nil || s.torn.Offset != int64(len(base)) {
				t.Errorf("%s: scan = torn %v, err %v; want a torn tail at %d", tt.name, s.torn, err, len(base))
			}
		case !errors.As(err, &ce) || !strings.Contains(ce.Reason, tt.reason) || ce.Offset < int64(len(base)):
			t.Errorf("%s: scan err = %v, want *CorruptError after offset %d with %q", tt.name, err, len(base), tt.reason)
		}
	}
}

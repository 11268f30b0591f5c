package cluster

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
)

func mustOpenWAL(t *testing.T, dir string) *walStore {
	t.Helper()
	s, err := openWAL(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*walStore)
}

func storeRange(t *testing.T, s *walStore, first, last, term uint64) {
	t.Helper()
	var logs []*raft.Log
	for i := first; i <= last; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: term, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("%d/%d", i, term))})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
}

// checkRange asserts the store holds exactly first..last, entries from
// term (by their data).
func checkRange(t *testing.T, s *walStore, first, last uint64, termOf func(uint64) uint64) {
	t.Helper()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != first || l != last {
		t.Fatalf("range %d..%d, want %d..%d", f, l, first, last)
	}
	for i := first; i <= last && last > 0; i++ {
		var got raft.Log
		if err := s.GetLog(i, &got); err != nil {
			t.Fatalf("GetLog(%d): %v", i, err)
		}
		if want := fmt.Sprintf("%d/%d", i, termOf(i)); got.Index != i || string(got.Data) != want {
			t.Fatalf("GetLog(%d) = %d %q, want %q", i, got.Index, got.Data, want)
		}
	}
	var out raft.Log
	if err := s.GetLog(last+1, &out); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog past the end: err = %v", err)
	}
}

// TestWALStore covers what raft asks of a log store, across reopenings:
// appends, a suffix dropped and rewritten in a new term, a prefix
// compacted (with a wal snapshot so segments can go), stable keys.
func TestWALStore(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenWAL(t, dir)
	if _, err := s.GetUint64([]byte("CurrentTerm")); err == nil || err.Error() != "not found" {
		t.Fatalf("GetUint64 of an unset key: err = %v, want raft's \"not found\"", err)
	}
	checkRange(t, s, 0, 0, nil)
	storeRange(t, s, 1, 50, 1)
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("n2")); err != nil {
		t.Fatal(err)
	}
	// A new leader overrides 41..50.
	if err := s.DeleteRange(41, 50); err != nil {
		t.Fatal(err)
	}
	storeRange(t, s, 41, 60, 2)
	term := func(i uint64) uint64 {
		if i > 40 {
			return 2
		}
		return 1
	}
	checkRange(t, s, 1, 60, term)
	s.Close()

	s = mustOpenWAL(t, dir)
	checkRange(t, s, 1, 60, term)
	if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 2 {
		t.Fatalf("CurrentTerm after reopen = %d, %v", v, err)
	}
	// Compaction after a raft snapshot, forcing a wal snapshot.
	s.compactAt = 1
	if err := s.DeleteRange(1, 30); err != nil {
		t.Fatal(err)
	}
	storeRange(t, s, 61, 70, 2)
	checkRange(t, s, 31, 70, term)
	s.Close()

	s = mustOpenWAL(t, dir)
	defer s.Close()
	checkRange(t, s, 31, 70, term)
	if v, err := s.Get([]byte("LastVoteCand")); err != nil || string(v) != "n2" {
		t.Fatalf("LastVoteCand after compaction and reopen = %q, %v", v, err)
	}
	// Installing a snapshot: everything goes, the log restarts after it.
	if err := s.DeleteRange(31, 70); err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 0, 0, nil)
	storeRange(t, s, 101, 105, 3)
	checkRange(t, s, 101, 105, func(uint64) uint64 { return 3 })
}

package memstore

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// MustOpenStore opens a store in dir (a fresh temporary directory when dir
// is "") and closes it at the end of the test unless the test closed it.
func MustOpenStore(tb testing.TB, dir string, opts Options) *Store {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	s, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s) err = %v", dir, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// reopen closes s and opens the same directory again.
func reopen(tb testing.TB, s *Store, opts Options) *Store {
	tb.Helper()
	dir := s.log.Dir()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close() err = %v", err)
	}
	return MustOpenStore(tb, dir, opts)
}

// mustUser returns the user named name, creating it if needed.
func mustUser(tb testing.TB, s *Store, name string) *User {
	tb.Helper()
	if u, err := s.UserByName(name); err == nil {
		return u
	}
	u, err := s.CreateUser(name, "hash-of-"+name)
	if err != nil {
		tb.Fatalf("CreateUser(%q) err = %v", name, err)
	}
	return u
}

// mustCreate creates a vlog by the user "alice".
func mustCreate(tb testing.TB, s *Store, title string) *Vlog {
	tb.Helper()
	v, err := s.CreateVlog(mustUser(tb, s, "alice").ID, VlogInput{Title: title, Body: "body of " + title})
	if err != nil {
		tb.Fatalf("CreateVlog(%q) err = %v", title, err)
	}
	return v
}

func ids(vs []*Vlog) []uint64 {
	out := make([]uint64, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

func TestCreateGetDelete(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := MustOpenStore(t, "", Options{NoSync: true, Now: func() time.Time { return clock }})

	v := mustCreate(t, s, "  First  ")
	if v.ID != 1 || v.Title != "First" || !v.Created.Equal(clock) || v.Edited() {
		t.Fatalf("CreateVlog = %+v, want ID 1, trimmed title, created at %v, not edited", v, clock)
	}
	got, err := s.Vlog(1)
	if err != nil || got != v {
		t.Fatalf("Vlog(1) = %v, %v; want the created vlog", got, err)
	}
	if err := s.DeleteVlog(1, v.AuthorID); err != nil {
		t.Fatalf("DeleteVlog(1) err = %v", err)
	}
	if _, err := s.Vlog(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Vlog(1) after delete err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteVlog(1, v.AuthorID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteVlog(1) err = %v, want ErrNotFound", err)
	}
	if n := s.VlogCount(); n != 0 {
		t.Fatalf("VlogCount() = %d, want 0", n)
	}
}

func TestBodyLineEndingsNormalised(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	v, err := s.CreateVlog(mustUser(t, s, "bob").ID, VlogInput{Title: "t", Body: "a\r\nb\rc\n"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Body != "a\nb\nc\n" {
		t.Fatalf("Body = %q, want %q", v.Body, "a\nb\nc\n")
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name  string
		in    VlogInput
		field string // "" means valid
	}{
		{"ok", VlogInput{Title: "hello", Body: "world"}, ""},
		{"empty body ok", VlogInput{Title: "hello"}, ""},
		{"empty title", VlogInput{Title: ""}, "title"},
		{"blank title", VlogInput{Title: " \t\n "}, "title"},
		{"200 runes", VlogInput{Title: strings.Repeat("é", 200)}, ""},
		{"201 runes", VlogInput{Title: strings.Repeat("é", 201)}, "title"},
		{"control char", VlogInput{Title: "a\x00b"}, "title"},
		{"newline inside", VlogInput{Title: "a\nb"}, "title"},
		{"invalid utf-8 title", VlogInput{Title: "a\xffb"}, "title"},
		{"invalid utf-8 body", VlogInput{Title: "a", Body: "\xff"}, "body"},
		{"body at limit", VlogInput{Title: "a", Body: strings.Repeat("x", MaxBodyBytes)}, ""},
		{"body over limit", VlogInput{Title: "a", Body: strings.Repeat("x", MaxBodyBytes+1)}, "body"},
	}
	s := MustOpenStore(t, "", Options{NoSync: true})
	author := mustUser(t, s, "alice")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.VlogCount()
			_, err := s.CreateVlog(author.ID, tt.in)
			var ve *ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("CreateVlog err = %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Fatalf("CreateVlog err = %v, want ValidationError on %q", err, tt.field)
			case tt.field != "" && s.VlogCount() != before:
				t.Fatalf("invalid input stored a vlog")
			}
		})
	}
}

// Invariant 2: IDs are monotonic and never reused, after deletes, restarts
// and compaction.
func TestIDsNeverReused(t *testing.T) {
	opts := Options{NoSync: true, SnapshotBytes: 1} // snapshot after every write
	s := MustOpenStore(t, "", opts)
	mustCreate(t, s, "a")
	b := mustCreate(t, s, "b")
	if err := s.DeleteVlog(b.ID, b.AuthorID); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, opts)
	c := mustCreate(t, s, "c")
	if c.ID != 3 {
		t.Fatalf("after deleting 2 and restarting, new ID = %d, want 3", c.ID)
	}
	if err := s.DeleteVlog(c.ID, c.AuthorID); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, Options{NoSync: true})
	if d := mustCreate(t, s, "d"); d.ID != 4 {
		t.Fatalf("after deleting the newest and restarting, new ID = %d, want 4", d.ID)
	}
}

// Invariant 3: recovery is exact, with and without snapshots, and replaying
// the same directory twice gives the same state.
func TestRecoveryIsExact(t *testing.T) {
	for _, snapBytes := range []int64{1 << 30, 512} {
		t.Run(fmt.Sprintf("snapshot every %d bytes", snapBytes), func(t *testing.T) {
			opts := Options{NoSync: true, SnapshotBytes: snapBytes, SegmentSize: 1024}
			s := MustOpenStore(t, "", opts)
			for i := range 200 {
				v := mustCreate(t, s, fmt.Sprintf("vlog %d", i))
				if i%3 == 0 {
					if err := s.DeleteVlog(v.ID, v.AuthorID); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := s.Vlogs(Cursor{}, 1000)
			dir := s.log.Dir()
			// Close without the final snapshot so that replay has work to do.
			s.bg.Wait()
			if err := s.log.Close(); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				s2, err := Open(dir, opts)
				if err != nil {
					t.Fatalf("round %d: Open err = %v", round, err)
				}
				got := s2.Vlogs(Cursor{}, 1000)
				// Make sure each case exercises what it is named for.
				r := s2.Recovery()
				if snapBytes > 1<<20 && r.Replayed < 200 {
					t.Fatalf("round %d replayed %d records, want the whole log", round, r.Replayed)
				}
				if snapBytes <= 1<<20 && r.SnapshotSeq == 0 {
					t.Fatalf("round %d recovered without a snapshot", round)
				}
				if len(got.Vlogs) != len(want.Vlogs) {
					t.Fatalf("round %d: recovered %d vlogs, want %d", round, len(got.Vlogs), len(want.Vlogs))
				}
				for i := range got.Vlogs {
					g, w := got.Vlogs[i], want.Vlogs[i]
					if g.ID != w.ID || g.Title != w.Title || g.Body != w.Body || !g.Created.Equal(w.Created) {
						t.Fatalf("round %d: vlog %d = %+v, want %+v", round, i, g, w)
					}
				}
				// Each round creates and deletes one more vlog, whose ID
				// must not come back in the next round.
				v := mustCreate(t, s2, "next")
				if want := uint64(201 + round); v.ID != want {
					t.Fatalf("round %d: next ID = %d, want %d", round, v.ID, want)
				}
				if err := s2.DeleteVlog(v.ID, v.AuthorID); err != nil {
					t.Fatal(err)
				}
				s2.bg.Wait()
				if err := s2.log.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestConcurrentCreatesGetDistinctIDs(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	author := mustUser(t, s, "alice")
	const writers, each = 8, 50
	var (
		mu   sync.Mutex
		seen = map[uint64]bool{}
		wg   sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v, err := s.CreateVlog(author.ID, VlogInput{Title: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v.ID] {
					t.Errorf("ID %d handed out twice", v.ID)
				}
				seen[v.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != writers*each || s.VlogCount() != writers*each {
		t.Fatalf("got %d IDs and %d vlogs, want %d", len(seen), s.VlogCount(), writers*each)
	}
	// The listing is in ID order, newest first, whatever order the writers
	// finished in.
	p := s.Vlogs(Cursor{}, writers*each)
	for i := 1; i < len(p.Vlogs); i++ {
		if p.Vlogs[i-1].ID <= p.Vlogs[i].ID {
			t.Fatalf("listing not newest first at %d: %v", i, ids(p.Vlogs[i-1:i+1]))
		}
	}
}

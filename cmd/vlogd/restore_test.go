package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"vlogd/backup"
	"vlogd/memstore"
	"vlogd/wal"
)

// storeState is everything a test compares between two stores.
type storeState struct {
	Vlogs []memstore.Vlog
	Users []memstore.User
}

// readStore opens dir as a store and returns its vlogs (newest first) and
// the users named in names.
func readStore(tb testing.TB, dir string, names []string) storeState {
	tb.Helper()
	s, err := memstore.Open(dir, memstore.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("memstore.Open(%s): %v", dir, err)
	}
	defer s.Close()
	var st storeState
	for cur := (memstore.Cursor{}); ; {
		page := s.Vlogs(cur, 100)
		for _, v := range page.Vlogs {
			st.Vlogs = append(st.Vlogs, *v)
		}
		if page.Older == 0 {
			break
		}
		cur = memstore.Cursor{Before: page.Older}
	}
	for _, n := range names {
		if u, err := s.UserByName(n); err == nil {
			st.Users = append(st.Users, *u)
		}
	}
	return st
}

// historyWithBackup makes a store take a series of changes (sign-ups,
// creates, edits, deletes, with snapshots now and then that let the log
// drop old segments) while a backup follows it. After each change it
// copies the data directory: the state as of that seq. It returns DEST and
// the copies by seq.
func historyWithBackup(t *testing.T) (dest string, copies map[uint64]string, names []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	dest = filepath.Join(t.TempDir(), "backup")
	// No background snapshots: a copy must not race one. Snapshots are
	// taken explicitly below.
	s, err := memstore.Open(dir, memstore.Options{NoSync: true, SnapshotBytes: 1 << 40, SegmentSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := backup.Open(dir, dest, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	copies = map[uint64]string{}
	step := func(what string) {
		t.Helper()
		if err := b.Sync(); err != nil {
			t.Fatalf("after %s: backup Sync: %v", what, err)
		}
		r, err := wal.Verify(dir)
		if err != nil {
			t.Fatal(err)
		}
		c := filepath.Join(t.TempDir(), fmt.Sprintf("at-%d", r.LastSeq))
		copyTree(t, dir, c)
		copies[r.LastSeq] = c
	}
	names = []string{"ann", "bob"}
	var users []*memstore.User
	for _, n := range names {
		u, err := s.CreateUser(n, "not a real hash")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
		step("sign-up " + n)
	}
	var ids []uint64
	for i := range 24 {
		u := users[i%2]
		v, err := s.CreateVlog(u.ID, memstore.VlogInput{Title: fmt.Sprintf("post %d", i), Body: strings.Repeat("words ", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
		step(fmt.Sprintf("create %d", i))
		switch {
		case i%5 == 3:
			if _, err := s.EditVlog(ids[i-1], users[(i-1)%2].ID, memstore.VlogInput{Title: fmt.Sprintf("post %d, edited", i-1), Body: "changed"}); err != nil {
				t.Fatal(err)
			}
			step("edit")
		case i%7 == 6:
			if err := s.DeleteVlog(ids[i-2], users[(i-2)%2].ID); err != nil {
				t.Fatal(err)
			}
			step("delete")
		}
		if i%4 == 3 {
			if err := s.Snapshot(); err != nil {
				t.Fatal(err)
			}
			step("snapshot")
		}
	}
	if segs, err := wal.Segments(filepath.Join(dir, "wal")); err != nil || segs[0].First == 1 {
		t.Fatalf("the data directory never dropped a segment (%v, %v): the test would not need DEST's copies", segs, err)
	}
	return dest, copies, names
}

// TestRestoreUntilSeqMatchesCopies: `vlogd restore --until-seq N` gives
// exactly the state at N: the same vlogs and users as a store opened on a
// copy of the data directory made when N was the last change. The data
// directory compacted its log along the way, so the early points come from
// segments only DEST still has.
func TestRestoreUntilSeqMatchesCopies(t *testing.T) {
	dest, copies, names := historyWithBackup(t)
	var seqs []uint64
	for seq := range copies {
		seqs = append(seqs, seq)
	}
	if len(seqs) < 30 {
		t.Fatalf("only %d points in the history", len(seqs))
	}
	tested := 0
	for _, n := range seqs {
		to := filepath.Join(t.TempDir(), "restored")
		stdout, stderr, code := runCommand(t, "restore", "--from", dest, "--data", to, "--until-seq", fmt.Sprint(n))
		if code != 0 || !strings.Contains(stdout, fmt.Sprintf("last seq %d\n", n)) {
			t.Fatalf("restore --until-seq %d: exit %d\n%s%s", n, code, stdout, stderr)
		}
		if out, _, code := runCommand(t, "verify", "--data", to); code != 0 {
			t.Fatalf("verify after restore --until-seq %d: exit %d\n%s", n, code, out)
		}
		got, want := readStore(t, to, names), readStore(t, copies[n], names)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("restore --until-seq %d gives %d vlogs and %d users, the copy at %d holds %d and %d:\n got %+v\nwant %+v",
				n, len(got.Vlogs), len(got.Users), n, len(want.Vlogs), len(want.Users), got, want)
		}
		tested++
	}
	t.Logf("%d restore points compared with copies", tested)
}

// TestRestoreReportsDamageInDest: damage in DEST is reported, never
// skipped in silence. A damaged snapshot is named and passed over (the log
// stands in); damage in the log a restore needs stops it, exit 1, naming
// the file and offset.
func TestRestoreReportsDamageInDest(t *testing.T) {
	dest, copies, names := historyWithBackup(t)
	snaps, err := wal.Snapshots(filepath.Join(dest, "snap"))
	if err != nil || len(snaps) < 2 {
		t.Fatalf("DEST snapshots: %v, %v; want several", snaps, err)
	}
	newest := snaps[len(snaps)-1]
	b, _ := os.ReadFile(newest.Path)
	b[len(b)/2] ^= 0x08
	os.WriteFile(newest.Path, b, 0o644)
	to := filepath.Join(t.TempDir(), "restored")
	stdout, stderr, code := runCommand(t, "restore", "--from", dest, "--data", to)
	if code != 0 || !strings.Contains(stdout, "DAMAGED  snapshot "+newest.Path) {
		t.Fatalf("restore past a damaged snapshot: exit %d, want 0 naming it\n%s%s", code, stdout, stderr)
	}
	var last uint64
	for seq := range copies {
		last = max(last, seq)
	}
	if got, want := readStore(t, to, names), readStore(t, copies[last], names); !reflect.DeepEqual(got, want) {
		t.Fatalf("restore past a damaged snapshot differs from the latest state")
	}

	segs, _ := wal.Segments(filepath.Join(dest, "wal"))
	lastSeg := segs[len(segs)-1].Path
	b, _ = os.ReadFile(lastSeg)
	b[wal.SegmentHeaderSize+10] ^= 0x01
	os.WriteFile(lastSeg, b, 0o644)
	stdout, stderr, code = runCommand(t, "restore", "--from", dest, "--data", filepath.Join(t.TempDir(), "x"))
	if code != 1 || !strings.Contains(stderr, lastSeg) || !strings.Contains(stderr, "offset") {
		t.Fatalf("restore through a damaged segment: exit %d, want 1 naming %s and the offset\n%s%s", code, lastSeg, stdout, stderr)
	}
}

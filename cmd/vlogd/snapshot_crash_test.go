package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
	"vlogd/memstore"
	"vlogd/wal"
)

// TestSnapshotKilledMidWrite kills the real binary with SIGKILL while it
// writes a format 2 snapshot (the one SIGTERM's shutdown writes, made large
// with long vlogs), then restarts it: the half-written file is removed, the
// older snapshot and the log recover everything, and every vlog that was
// acknowledged is there with its text.
func TestSnapshotKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("writes snapshots of about 25 MB")
	}
	dir := t.TempDir()
	p := MustStartVlogd(t, dir)
	c := signUp(t, p.URL, "writer")
	want := map[string]string{} // path → title, acknowledged by a 303
	want[c.createVlog(t, p.URL, "before the bulk", "first")] = "before the bulk"
	if err := p.stop(t); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.logs)
	}

	// The bulk: long vlogs by the same user, through the store itself.
	s, err := memstore.Open(dir, memstore.Options{NoSync: true, NoPosters: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByName("writer")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("a long vlog body with many words in it ", 1500) // 58 KB
	const bulk = 400
	for i := range bulk {
		if _, err := s.CreateVlog(u.ID, memstore.VlogInput{Title: fmt.Sprintf("bulk %d", i), Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // writes the snapshot the restart must fall back to
		t.Fatal(err)
	}
	older := newestSnapshot(t, dir)

	caught := false
	for round := 0; round < 5 && !caught; round++ {
		p = MustStartVlogd(t, dir)
		for i := range 3 {
			title := fmt.Sprintf("round %d vlog %d", round, i)
			want[c.createVlog(t, p.URL, title, "acknowledged before the kill")] = title
		}
		// SIGTERM makes the server write a snapshot as it stops; kill it
		// as soon as the snapshot's temporary file appears.
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		tmp := waitForTmp(t, filepath.Join(dir, "snap"), p)
		p.cmd.Process.Signal(syscall.SIGKILL) // fails only if it has exited already
		<-p.done
		if _, err := os.Stat(tmp); tmp == "" || err != nil {
			// The server finished its snapshot before the kill: the next
			// round falls back to that one.
			t.Logf("round %d: the snapshot was complete before the kill", round)
			older = newestSnapshot(t, dir)
			continue
		}
		caught = true
		if got := newestSnapshot(t, dir); got != older {
			t.Fatalf("newest complete snapshot %s, want the older %s", got, older)
		}
	}
	t.Logf("killed mid-snapshot; the older snapshot is %s", filepath.Base(older))
	if !caught {
		t.Fatal("no round killed the server while it wrote its snapshot")
	}

	p = MustStartVlogd(t, dir)
	seq, _, _ := wal.ParseSnapshotName(filepath.Base(older))
	if !regexp.MustCompile(fmt.Sprintf(`msg=recovered .*snapshot_seq=%d\b`, seq)).MatchString(p.logs.String()) {
		t.Fatalf("restart did not recover from the older snapshot (seq %d):\n%s", seq, p.logs)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "snap", "*.tmp")); len(tmps) != 0 {
		t.Fatalf("temporary snapshot files left after the restart: %v", tmps)
	}
	for path, title := range want {
		code, page := c.get(t, p.URL+path)
		if code != 200 || !strings.Contains(page, title) {
			t.Fatalf("GET %s = %d without %q after the restart", path, code, title)
		}
	}
	in, err := memstore.Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if in.Vlogs != bulk+len(want) {
		t.Fatalf("%d vlogs after the restart, want %d", in.Vlogs, bulk+len(want))
	}
}

// newestSnapshot returns the path of dir's newest complete snapshot.
func newestSnapshot(tb testing.TB, dir string) string {
	tb.Helper()
	snaps, err := wal.Snapshots(filepath.Join(dir, "snap"))
	if err != nil || len(snaps) == 0 {
		tb.Fatalf("snapshots: %v, %v", snaps, err)
	}
	return snaps[len(snaps)-1].Path
}

// waitForTmp polls snapDir until a temporary snapshot file appears and
// returns its path, or "" if the process exits first.
func waitForTmp(tb testing.TB, snapDir string, p *proc) string {
	deadline := time.Now().Add(testdeadline.Remaining(tb))
	for time.Now().Before(deadline) {
		if tmps, _ := filepath.Glob(filepath.Join(snapDir, "*.tmp")); len(tmps) > 0 {
			return tmps[0]
		}
		if p.cmd.Process.Signal(syscall.Signal(0)) != nil {
			return "" // exited
		}
		time.Sleep(200 * time.Microsecond)
	}
	tb.Fatal("no snapshot was started before the test's deadline")
	return ""
}

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlogd/wal"
)

// fixtureRoot holds wal's committed data directories, one per damage
// scenario.
var fixtureRoot = filepath.Join("..", "..", "wal", "testdata", "v1")

// fixtureFiles lists the snapshot and segment files of a data directory.
func fixtureFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	for _, sub := range []string{"wal", "snap"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			files = append(files, filepath.Join(dir, sub, e.Name()))
		}
	}
	return files
}

// treeSnapshot maps every file under dir to its contents.
func treeSnapshot(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

// TestVerifyFixtures runs `vlogd verify` on every committed fixture: exit 0
// only for the sound one; otherwise exit 1 with the damaged file flagged
// with its offset and seq. Every snapshot and segment is named, and nothing
// changes (not even a lock file appears).
func TestVerifyFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixtureRoot)
	if err != nil || len(entries) < 10 {
		t.Fatalf("fixtures: %v, %v", entries, err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			copyTree(t, filepath.Join(fixtureRoot, e.Name()), dir)
			before := treeSnapshot(t, dir)
			stdout, stderr, code := runCommand(t, "verify", "--data", dir)
			for _, f := range fixtureFiles(t, dir) {
				if !strings.Contains(stdout, f) {
					t.Errorf("report does not name %s:\n%s", f, stdout)
				}
			}
			if e.Name() == "sound" {
				// The log is sound, but wal's fixtures carry opaque
				// payloads, not vlogd's state: the media check cannot load
				// them. TestVerifyDataFixture covers a whole sound
				// directory.
				if strings.Contains(stdout, "DAMAGED") || strings.Contains(stdout, "torn") || !strings.Contains(stdout, "media: not checked") {
					t.Fatalf("verify of the sound log: exit %d\n%s%s", code, stdout, stderr)
				}
			} else {
				flagged := strings.Contains(stdout, "DAMAGED") || strings.Contains(stdout, "torn")
				if code != 1 || !flagged || !strings.Contains(stdout, "offset") || !strings.Contains(stdout, "seq") ||
					!strings.Contains(stderr, "vlogd: verify: "+dir+" is damaged") {
					t.Fatalf("verify of %s: exit %d, want 1 with the damage flagged\n%s%s", e.Name(), code, stdout, stderr)
				}
			}
			if after := treeSnapshot(t, dir); len(after) != len(before) {
				t.Fatalf("verify changed the directory: %d files before, %d after", len(before), len(after))
			} else {
				for p, b := range before {
					if after[p] != b {
						t.Fatalf("verify changed %s", p)
					}
				}
			}
		})
	}
	if _, _, code := runCommand(t, "verify", "--data", filepath.Join(t.TempDir(), "missing")); code != 1 {
		t.Fatalf("verify of a missing directory: exit %d, want 1", code)
	}
}

// TestVerifyBesideServer: verify takes no lock, so it checks the data
// directory of a running server.
func TestVerifyBesideServer(t *testing.T) {
	dir := t.TempDir()
	p := MustStartVlogd(t, dir)
	signUp(t, p.URL, "alice").createVlog(t, p.URL, "checked", "while serving")
	if stdout, stderr, code := runCommand(t, "verify", "--data", dir); code != 0 {
		t.Fatalf("verify beside a server: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestRepairFixtures runs `vlogd repair` on a copy of every damage fixture:
// it exits 0 and says what it dropped (file, offset, seqs, where the
// original is kept), after which `vlogd verify` exits 0 and the log opens
// and replays. A newer format is refused untouched; a sound directory is
// left as it is.
func TestRepairFixtures(t *testing.T) {
	want := map[string][]string{ // what the report must say
		"sound":                   {"nothing to repair"},
		"torn-tail":               {"cut", "wal/0000000000000001.wal at offset 139", "from seq 4"},
		"bad-crc-last-batch":      {"cut", "wal/0000000000000001.wal at offset 139", "from seq 4"},
		"bad-crc-before-commit":   {"cut", "wal/0000000000000001.wal at offset 139", "seq 4..6"},
		"bad-magic":               {"removed", "wal/0000000000000001.wal", "seq 1..2"},
		"seq-gap":                 {"removed", "wal/0000000000000005.wal", "seq 5..6", "sequence gap"},
		"seq-gap-in-segment":      {"cut", "wal/0000000000000001.wal at offset 113", "seq 4..6"},
		"torn-older-segment":      {"cut", "wal/0000000000000001.wal at offset 92", "removed", "wal/0000000000000003.wal", "seq 3..3"},
		"corrupt-newest-snapshot": {"moved aside damaged snapshot", "0000000000000005-00000000000007d0.snap"},
	}
	for name, says := range want {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			copyTree(t, filepath.Join(fixtureRoot, name), dir)
			stdout, stderr, code := runCommand(t, "repair", "--data", dir)
			if code != 0 {
				t.Fatalf("repair: exit %d\n%s%s", code, stdout, stderr)
			}
			for _, s := range says {
				if !strings.Contains(stdout, s) {
					t.Errorf("repair report lacks %q:\n%s", s, stdout)
				}
			}
			if name != "sound" && (!strings.Contains(stdout, "kept as") || !strings.Contains(stdout, ".damaged-")) {
				t.Errorf("repair report does not say where the original is kept:\n%s", stdout)
			}
			// wal's fixtures carry opaque payloads, not vlogd's state, so
			// the log is checked directly rather than through vlogd verify.
			if r, err := wal.Verify(dir); err != nil || !r.OK() {
				t.Fatalf("log after repair: %v\n%s", err, r)
			}
			l, err := wal.Open(dir, wal.Options{})
			if err != nil {
				t.Fatalf("wal.Open after repair: %v", err)
			}
			defer l.Close()
			var after uint64
			if seq, rc, err := l.Snapshot(); err == nil {
				after = seq
				rc.Close()
			} else if !errors.Is(err, wal.ErrNoSnapshot) {
				t.Fatalf("Snapshot after repair: %v", err)
			}
			if err := l.Replay(after, func(uint64, []byte) error { return nil }); err != nil {
				t.Fatalf("Replay(%d) after repair: %v", after, err)
			}
		})
	}
	t.Run("future-version", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		copyTree(t, filepath.Join(fixtureRoot, "future-version"), dir)
		before := treeSnapshot(t, dir)
		_, stderr, code := runCommand(t, "repair", "--data", dir)
		if code != 1 || !strings.Contains(stderr, "newer vlogd") {
			t.Fatalf("repair of a newer format: exit %d, %q; want 1 naming a newer vlogd", code, stderr)
		}
		for p, b := range before {
			if got, _ := os.ReadFile(p); string(got) != b {
				t.Fatalf("refused repair changed %s", p)
			}
		}
	})
}

// TestRepairRefusesRunningServer: repair takes the data directory's lock, so
// it will not touch a directory a server has open.
func TestRepairRefusesRunningServer(t *testing.T) {
	dir := t.TempDir()
	MustStartVlogd(t, dir)
	_, stderr, code := runCommand(t, "repair", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "in use by a running vlogd") {
		t.Fatalf("repair beside a server: exit %d, %q; want 1 saying it is in use", code, stderr)
	}
}

// dataFixture is a whole vlogd data directory in the current format
// (written by memstore's fixture test): snapshot, log and a video blob.
var dataFixture = filepath.Join("..", "..", "testdata", "data", "v1")

// TestVerifyDataFixture: a sound data directory verifies with exit 0; a
// referenced blob that is missing or damaged makes it exit 1, naming the
// blob.
func TestVerifyDataFixture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	copyTree(t, dataFixture, dir)
	stdout, stderr, code := runCommand(t, "verify", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "media: 1 referenced blobs checked") || !strings.Contains(stdout, "is sound") {
		t.Fatalf("verify of the data fixture: exit %d\n%s%s", code, stdout, stderr)
	}
	blobs, _ := filepath.Glob(filepath.Join(dir, "blobs", "*", "*"))
	if len(blobs) != 1 {
		t.Fatalf("fixture blobs = %v", blobs)
	}
	b, _ := os.ReadFile(blobs[0])
	b[len(b)/2] ^= 1
	os.WriteFile(blobs[0], b, 0o644)
	stdout, _, code = runCommand(t, "verify", "--data", dir)
	if code != 1 || !strings.Contains(stdout, "media: DAMAGED") || !strings.Contains(stdout, filepath.Base(blobs[0])) {
		t.Fatalf("verify with a flipped bit in a blob: exit %d\n%s", code, stdout)
	}
	os.Remove(blobs[0])
	stdout, _, code = runCommand(t, "verify", "--data", dir)
	if code != 1 || !strings.Contains(stdout, "missing") {
		t.Fatalf("verify with a missing blob: exit %d\n%s", code, stdout)
	}
}

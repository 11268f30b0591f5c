package powerfs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Each case does something on the mount, cuts the power (keeping nothing
// that was not made durable) and checks what the next mount sees.
func TestPowerLossRules(t *testing.T) {
	f := MustMount(t)
	tests := []struct {
		name  string
		do    func(t *testing.T, dir string)
		check map[string]string // name in dir → content or "<missing>"
	}{
		{"write without fsync vanishes", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("durable"), true)
			mustSyncDir(t, dir)
			fh, _ := os.OpenFile(filepath.Join(dir, "f"), os.O_WRONLY|os.O_APPEND, 0)
			fh.Write([]byte(" and lost"))
			fh.Close()
		}, map[string]string{"f": "durable"}},
		{"fsynced file in a synced directory survives", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("kept"), true)
			mustSyncDir(t, dir)
		}, map[string]string{"f": "kept"}},
		{"fdatasync makes bytes durable too", func(t *testing.T, dir string) {
			fh, err := os.Create(filepath.Join(dir, "f"))
			if err != nil {
				t.Fatal(err)
			}
			fh.Write([]byte("datasynced"))
			if err := unix.Fdatasync(int(fh.Fd())); err != nil {
				t.Fatal(err)
			}
			fh.Close()
			mustSyncDir(t, dir)
		}, map[string]string{"f": "datasynced"}},
		{"create without directory fsync vanishes", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("synced bytes, unsynced name"), true)
		}, map[string]string{"f": "<missing>"}},
		{"rename without directory fsync reverts", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "a.tmp"), []byte("x"), true)
			mustSyncDir(t, dir)
			if err := os.Rename(filepath.Join(dir, "a.tmp"), filepath.Join(dir, "a")); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"a.tmp": "x", "a": "<missing>"}},
		{"rename over a file without directory fsync keeps the old file", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "cfg"), []byte("old"), true)
			mustWrite(t, filepath.Join(dir, "cfg.tmp"), []byte("new"), true)
			mustSyncDir(t, dir)
			os.Rename(filepath.Join(dir, "cfg.tmp"), filepath.Join(dir, "cfg"))
		}, map[string]string{"cfg": "old", "cfg.tmp": "new"}},
		{"rename before the data's fsync names an empty file", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "b.tmp"), []byte("never synced"), false)
			os.Rename(filepath.Join(dir, "b.tmp"), filepath.Join(dir, "b"))
			mustSyncDir(t, dir)
		}, map[string]string{"b": "", "b.tmp": "<missing>"}},
		{"unlink without directory fsync comes back", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("undead"), true)
			mustSyncDir(t, dir)
			os.Remove(filepath.Join(dir, "f"))
		}, map[string]string{"f": "undead"}},
		{"unlink with directory fsync stays gone", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("gone"), true)
			mustSyncDir(t, dir)
			os.Remove(filepath.Join(dir, "f"))
			mustSyncDir(t, dir)
		}, map[string]string{"f": "<missing>"}},
		{"truncate without fsync reverts", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("0123456789"), true)
			mustSyncDir(t, dir)
			os.Truncate(filepath.Join(dir, "f"), 3)
		}, map[string]string{"f": "0123456789"}},
		{"synced truncate holds", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "f"), []byte("0123456789"), true)
			mustSyncDir(t, dir)
			fh, _ := os.OpenFile(filepath.Join(dir, "f"), os.O_WRONLY, 0)
			fh.Truncate(3)
			fh.Sync()
			fh.Close()
		}, map[string]string{"f": "012"}},
		{"syncing one file makes no other durable", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "a"), []byte("a1"), true)
			mustWrite(t, filepath.Join(dir, "b"), []byte("b1"), true)
			mustSyncDir(t, dir)
			mustWrite(t, filepath.Join(dir, "a"), []byte("a2"), false)
			mustWrite(t, filepath.Join(dir, "b"), []byte("b2"), true)
		}, map[string]string{"a": "a1", "b": "b2"}},
		{"a directory whose name is not durable is lost whole", func(t *testing.T, dir string) {
			sub := filepath.Join(dir, "sub")
			os.Mkdir(sub, 0o755)
			mustWrite(t, filepath.Join(sub, "f"), []byte("in sub"), true)
			mustSyncDir(t, sub)
		}, map[string]string{"sub": "<missing>"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case gets its own durable directory.
			dir := f.path(string(rune('a' + i)))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			mustSyncDir(t, f.mountpoint)
			tt.do(t, dir)
			mustPowerLoss(t, f, Loss{})
			for name, want := range tt.check {
				path := filepath.Join(dir, name)
				if fi, err := os.Stat(path); err == nil && fi.IsDir() {
					t.Errorf("%s is a directory after the power loss, want %q", name, want)
					continue
				}
				if got := readOrMissing(t, path); got != want {
					t.Errorf("after power loss %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// The backing directory holds the durable state after a power loss, and a
// new mount starts from it.
func TestBackingDirectoryIsTheDisk(t *testing.T) {
	f := MustMount(t)
	os.Mkdir(f.path("d"), 0o755)
	mustSyncDir(t, f.mountpoint)
	mustWrite(t, f.path("d/kept"), []byte("kept"), true)
	mustWrite(t, f.path("d/lost"), []byte("lost"), true)
	mustSyncDir(t, f.path("d"))
	os.Remove(f.path("d/lost")) // not durable: comes back
	mustWrite(t, f.path("d/kept"), []byte("volatile"), false)
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"kept": "kept", "lost": "lost"} {
		if got := readOrMissing(t, filepath.Join(f.backing, "d", name)); got != want {
			t.Errorf("backing d/%s = %q, want %q", name, got, want)
		}
	}
	g, err := Mount(f.backing, f.mountpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.server.Unmount() })
	if got := readOrMissing(t, g.path("d/kept")); got != "kept" {
		t.Fatalf("remounted d/kept = %q, want %q", got, "kept")
	}
	// What the backing directory held is durable in the new mount.
	mustPowerLoss(t, g, Loss{})
	if got := readOrMissing(t, g.path("d/lost")); got != "lost" {
		t.Fatalf("d/lost after a power loss on the new mount = %q", got)
	}
}

// With Partial, each pending write lands or not: over many seeds both
// happen, and every outcome is made of durable and pending bytes only.
func TestPartialLossKeepsSomePendingWrites(t *testing.T) {
	f := MustMount(t)
	mustWrite(t, f.path("f"), bytes.Repeat([]byte{'d'}, 8), true)
	mustSyncDir(t, f.mountpoint)
	outcomes := map[string]bool{}
	for seed := range uint64(16) {
		fh, err := os.OpenFile(f.path("f"), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fh.WriteAt([]byte("AA"), 0)
		fh.WriteAt([]byte("BB"), 4)
		fh.Close()
		mustPowerLoss(t, f, Loss{Partial: true, Rand: rand.New(rand.NewPCG(seed, 1))})
		got := readOrMissing(t, f.path("f"))
		switch got {
		case "dddddddd", "AAdddddd", "ddddBBdd", "AAddBBdd":
		default:
			t.Fatalf("seed %d: f = %q, not a mix of durable and pending writes", seed, got)
		}
		outcomes[got] = true
		// Reset to the durable base for the next round.
		mustWrite(t, f.path("f"), bytes.Repeat([]byte{'d'}, 8), true)
	}
	if len(outcomes) < 3 {
		t.Fatalf("16 partial power losses gave only %v; pending writes are not chosen at random", outcomes)
	}
}

// With Partial, a directory keeps a prefix of its name changes, in order.
func TestPartialLossKeepsNameChangesInOrder(t *testing.T) {
	f := MustMount(t)
	seen := map[string]bool{}
	for seed := range uint64(16) {
		os.Mkdir(f.path("d"), 0o755)
		mustSyncDir(t, f.mountpoint)
		for _, n := range []string{"1", "2", "3"} {
			mustWrite(t, f.path("d/"+n), []byte(n), true)
		}
		mustPowerLoss(t, f, Loss{Partial: true, Rand: rand.New(rand.NewPCG(seed, 2))})
		got := ""
		for _, n := range []string{"1", "2", "3"} {
			if readOrMissing(t, f.path("d/"+n)) == n {
				got += n
			}
		}
		if got != "" && got != "1" && got != "12" && got != "123" {
			t.Fatalf("seed %d: names %q survived, not a prefix of 1, 2, 3", seed, got)
		}
		seen[got] = true
		os.RemoveAll(f.path("d"))
		mustSyncDir(t, f.mountpoint)
	}
	if len(seen) < 3 {
		t.Fatalf("16 partial power losses kept only %v", seen)
	}
}

// With Torn, the last pending write lands as a sector-aligned prefix.
func TestTornLastWrite(t *testing.T) {
	f := MustMount(t)
	mustWrite(t, f.path("log"), nil, true)
	mustSyncDir(t, f.mountpoint)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 256) // 4 KiB
	lengths := map[int]bool{}
	for seed := range uint64(12) {
		fh, _ := os.OpenFile(f.path("log"), os.O_WRONLY|os.O_TRUNC, 0)
		fh.Sync()
		fh.Write(payload)
		fh.Close()
		mustPowerLoss(t, f, Loss{Torn: true, Rand: rand.New(rand.NewPCG(seed, 3))})
		got, _ := os.ReadFile(f.path("log"))
		if len(got)%512 != 0 || !bytes.Equal(got, payload[:len(got)]) {
			t.Fatalf("seed %d: torn write left %d bytes, want a 512-byte-aligned prefix of the write", seed, len(got))
		}
		lengths[len(got)] = true
	}
	if len(lengths) < 3 {
		t.Fatalf("12 torn writes left only lengths %v", lengths)
	}
}

// A capacity makes writes fail with ENOSPC after what fits, and freeing
// space lets them succeed again.
func TestCapacityGivesENOSPC(t *testing.T) {
	f := MustMount(t)
	f.SetCapacity(f.Used() + 10000)
	fh, err := os.Create(f.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	n, err := fh.Write(make([]byte, 12000))
	if n != 10000 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write of 12000 bytes into 10000 free = %d, %v; want 10000, ENOSPC", n, err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(f.mountpoint, &st); err != nil || st.Bavail != 0 {
		t.Fatalf("statfs on a full file system: avail %d blocks, %v; want 0", st.Bavail, err)
	}
	if err := fh.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if n, err := fh.WriteAt(make([]byte, 5000), 0); n != 5000 || err != nil {
		t.Fatalf("write after freeing space = %d, %v", n, err)
	}
	f.SetCapacity(0)
	if n, err := fh.WriteAt(make([]byte, 1<<20), 0); n != 1<<20 || err != nil {
		t.Fatalf("write without a capacity = %d, %v", n, err)
	}
}

// Files can be read back while mounted and seen in listings; fsyncs are
// counted.
func TestReadWriteListWhileMounted(t *testing.T) {
	f := MustMount(t)
	mustWrite(t, f.path("x"), []byte("hello"), true)
	if got := readOrMissing(t, f.path("x")); got != "hello" {
		t.Fatalf("read back %q", got)
	}
	entries, err := os.ReadDir(f.mountpoint)
	if err != nil || len(entries) != 1 || entries[0].Name() != "x" {
		t.Fatalf("ReadDir = %v, %v", entries, err)
	}
	if f.Syncs() != 1 {
		t.Fatalf("Syncs = %d after one fsync", f.Syncs())
	}
	if err := os.Rename(f.path("x"), f.path("y")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, f.path("y"), unix.AT_FDCWD, f.path("y"), unix.RENAME_NOREPLACE); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("renameat2 NOREPLACE onto an existing name: %v, want EEXIST", err)
	}
}

// A trap stops the matching operation and every later change before they
// take effect; after the power loss the trapped rename never happened.
func TestTrapStopsTheWorld(t *testing.T) {
	f := MustMount(t)
	mustWrite(t, f.path("a.tmp"), []byte("x"), true)
	mustSyncDir(t, f.mountpoint)
	f.SetTrap(func(op Op) bool { return op.Kind == "rename" && op.Path == "a" })
	mustWrite(t, f.path("before"), []byte("b"), true) // not trapped
	done := make(chan error, 1)
	go func() { done <- os.Rename(f.path("a.tmp"), f.path("a")) }()
	<-f.Tripped()
	if got := readOrMissing(t, f.path("before")); got != "b" {
		t.Fatalf("reads stopped with the trap: %q", got)
	}
	mustPowerLoss(t, f, Loss{})
	if err := <-done; !errors.Is(err, syscall.EIO) {
		t.Fatalf("trapped rename returned %v, want EIO", err)
	}
	if got := readOrMissing(t, f.path("a")); got != "<missing>" {
		t.Fatalf("trapped rename took effect: a = %q", got)
	}
	if got := readOrMissing(t, f.path("a.tmp")); got != "x" {
		t.Fatalf("a.tmp = %q after the trapped rename", got)
	}
	// The trap is gone after the power loss.
	if err := os.Rename(f.path("a.tmp"), f.path("a")); err != nil {
		t.Fatal(err)
	}
}

package wal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"vlogd/internal/powerfs"
)

// fullDisk fails every Write while full is set, after storing keep bytes
// of it (with a short write instead of ENOSPC when short is set).
type fullDisk struct {
	mu          sync.Mutex
	full, short bool
	keep        int
}

func (d *fullDisk) set(full bool) {
	d.mu.Lock()
	d.full = full
	d.mu.Unlock()
}

func (d *fullDisk) wrap(path string, f File) File { return &fullFile{File: f, d: d} }

type fullFile struct {
	File
	d *fullDisk
}

func (f *fullFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	full, short, keep := f.d.full, f.d.short, min(f.d.keep, len(p))
	f.d.mu.Unlock()
	if !full {
		return f.File.Write(p)
	}
	n, err := f.File.Write(p[:keep])
	if err != nil || short {
		return n, err
	}
	return n, syscall.ENOSPC
}

// A write refused for lack of space is not acknowledged and leaves the
// segment exactly at its last good batch; the log is not broken, keeps
// refusing while the disk is full, and accepts writes again as soon as
// space returns, without a restart (doc.go, "A full disk").
func TestWriteOutOfSpaceRecovers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		short bool
		keep  int
	}{
		{"ENOSPC after part of the batch", false, 20},
		{"ENOSPC with nothing written", false, 0},
		{"short write", true, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			disk := &fullDisk{short: tt.short, keep: tt.keep}
			logs := &logBuffer{}
			opts := testOptions(logs)
			opts.WrapFile = disk.wrap
			l := mustOpen(t, dir, opts)
			for i := uint64(1); i <= 3; i++ {
				mustAppend(t, l, payloadFor(i))
			}
			path := filepath.Join(dir, "wal", segmentName(1))
			good := fileSize(t, path)

			disk.set(true)
			for i := 0; i < 3; i++ {
				applied := false
				_, err := l.Append([]byte("refused"), func(uint64) { applied = true })
				if !errors.Is(err, ErrNoSpace) || errors.Is(err, ErrBroken) {
					t.Fatalf("Append on a full disk err = %v, want ErrNoSpace (not ErrBroken)", err)
				}
				if applied {
					t.Fatal("apply ran for a refused record")
				}
				if got := fileSize(t, path); got != good {
					t.Fatalf("segment is %d bytes after a refused write, want %d", got, good)
				}
				if l.Err() != nil || !errors.Is(l.Full(), ErrNoSpace) {
					t.Fatalf("Err() = %v, Full() = %v; want nil and ErrNoSpace", l.Err(), l.Full())
				}
			}
			if n := strings.Count(logs.String(), "disk full"); n != 1 {
				t.Errorf("disk full logged %d times in one episode, want once:\n%s", n, logs)
			}

			disk.set(false)
			for i := uint64(4); i <= 5; i++ {
				if seq := mustAppend(t, l, payloadFor(i)); seq != i {
					t.Fatalf("Append after space returned got seq %d, want %d (no seq lost or reused)", seq, i)
				}
			}
			if l.Full() != nil || !strings.Contains(logs.String(), "accepts writes again") {
				t.Fatalf("Full() = %v after a durable batch; logs:\n%s", l.Full(), logs)
			}
			l.Close()
			l = mustOpen(t, dir, testOptions(nil))
			if got, want := replayAll(t, l, 0), wantRecs(1, 5); !slices.Equal(got, want) {
				t.Fatalf("Replay = %v, want exactly the acknowledged %v", got, want)
			}
		})
	}
}

// A segment roll that fails for lack of space refuses the batch without
// breaking the log, and rolls once space returns.
func TestSegmentRollOutOfSpaceRecovers(t *testing.T) {
	f := powerfs.MustMount(t)
	dir := filepath.Join(f.Mountpoint(), "data")
	opts := testOptions(nil)
	opts.NoSync = false
	opts.SegmentSize = 64 // every batch rolls
	l := mustOpen(t, dir, opts)
	mustAppend(t, l, payloadFor(1))
	f.SetCapacity(f.Used()) // not one more byte
	if _, err := l.Append([]byte(payloadFor(2)), nil); !errors.Is(err, ErrNoSpace) || l.Err() != nil {
		t.Fatalf("Append needing a roll on a full disk err = %v (Err %v), want ErrNoSpace and a healthy log", err, l.Err())
	}
	f.SetCapacity(0)
	if seq := mustAppend(t, l, payloadFor(2)); seq != 2 {
		t.Fatalf("seq %d after space returned, want 2", seq)
	}
	segs, _ := os.ReadDir(filepath.Join(dir, "wal"))
	if len(segs) < 2 {
		t.Fatalf("wal holds %d files, want the roll to have happened", len(segs))
	}
}

// End to end on a file system that really fills up: appends fail with
// ErrNoSpace, the acknowledged tail survives a power loss taken while the
// disk is full, and writes resume once space is freed.
func TestRealENOSPCThenPowerLoss(t *testing.T) {
	f := powerfs.MustMount(t)
	dir := filepath.Join(f.Mountpoint(), "data")
	opts := testOptions(nil)
	opts.NoSync = false
	l := mustOpen(t, dir, opts)
	for i := uint64(1); i <= 3; i++ {
		mustAppend(t, l, payloadFor(i))
	}
	f.SetCapacity(f.Used() + 10) // room for part of one frame
	big := strings.Repeat("x", 4096)
	if _, err := l.Append([]byte(big), nil); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Append on a full file system err = %v, want ErrNoSpace", err)
	}
	f.SetCapacity(0)
	mustAppend(t, l, payloadFor(4))
	f.Cut()
	l.Close()
	if _, err := f.PowerLoss(powerfs.Loss{}); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, dir, opts)
	if got, want := replayAll(t, l, 0), wantRecs(1, 4); !slices.Equal(got, want) {
		t.Fatalf("after the power loss Replay = %v, want %v", got, want)
	}
}

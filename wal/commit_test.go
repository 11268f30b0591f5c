package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// faults is a fault-injecting file layer shared by every segment a Log
// opens (through Options.WrapFile): it counts writes and syncs, can hold
// syncs at a gate, and can fail the next write or sync.
type faults struct {
	mu        sync.Mutex
	writes    int
	syncs     int
	writeErr  error // returned by the next Write, after writing writeKeep bytes
	writeKeep int   // bytes of that Write that reach the file (-1: all)
	short     bool  // the next Write keeps writeKeep bytes and reports no error
	syncErr   error // returned by the next Sync
	gate      chan struct{}
	entered   chan struct{} // signalled (non-blocking) when a Sync starts
}

func (fs *faults) wrap(path string, f File) File { return &faultFile{File: f, fs: fs} }

func (fs *faults) counts() (writes, syncs int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.writes, fs.syncs
}

type faultFile struct {
	File
	fs *faults
}

func (f *faultFile) Write(p []byte) (int, error) {
	fs := f.fs
	fs.mu.Lock()
	fs.writes++
	err, keep, short := fs.writeErr, fs.writeKeep, fs.short
	fs.writeErr, fs.short = nil, false
	fs.mu.Unlock()
	if err == nil && !short {
		return f.File.Write(p)
	}
	if keep < 0 || keep > len(p) {
		keep = len(p)
	}
	n, werr := f.File.Write(p[:keep])
	if werr != nil {
		return n, werr
	}
	return n, err
}

func (f *faultFile) Sync() error {
	fs := f.fs
	fs.mu.Lock()
	fs.syncs++
	err, gate, entered := fs.syncErr, fs.gate, fs.entered
	fs.syncErr = nil
	fs.mu.Unlock()
	if entered != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
	}
	if gate != nil {
		<-gate
	}
	if err != nil {
		return err
	}
	return f.File.Sync()
}

// TestGroupCommit holds the first batch's fdatasync at a gate while 99 more
// appenders queue up. No waiter may return and nothing may be applied
// before the sync returns (Invariant 1); the 99 must then share one write
// and one sync; apply runs in seq order before each waiter is released.
func TestGroupCommit(t *testing.T) {
	fs := &faults{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	opts := testOptions(nil)
	opts.WrapFile = fs.wrap
	l := mustOpen(t, t.TempDir(), opts)

	var mu sync.Mutex
	var applied []uint64
	apply := func(seq uint64) {
		mu.Lock()
		applied = append(applied, seq)
		mu.Unlock()
	}
	var returned atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	appendOne := func(i int) {
		defer wg.Done()
		seq, err := l.Append([]byte(fmt.Sprintf("w%d", i)), apply)
		returned.Add(1)
		if err != nil {
			errs <- err
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Contains(applied, seq) {
			errs <- fmt.Errorf("waiter for seq %d released before its apply ran", seq)
		}
	}
	wg.Add(1)
	go appendOne(0)
	<-fs.entered // batch 1 is inside fdatasync
	const more = 99
	wg.Add(more)
	for i := 1; i <= more; i++ {
		go appendOne(i)
	}
	for len(l.reqs) < more { // every appender has queued its record
		runtime.Gosched()
	}
	if n := returned.Load(); n != 0 {
		t.Fatalf("%d Appends returned while fdatasync was blocked", n)
	}
	mu.Lock()
	if len(applied) != 0 {
		t.Fatalf("apply ran for %v before fdatasync returned", applied)
	}
	mu.Unlock()
	close(fs.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	writes, syncs := fs.counts()
	if writes != 2 || syncs != 2 {
		t.Errorf("100 appends took %d writes and %d fsyncs, want 2 and 2 (one per batch)", writes, syncs)
	}
	if want := seqs(1, 100); !slices.Equal(applied, want) {
		t.Errorf("apply order = %v, want %v", applied, want)
	}
	if got := l.LastSeq(); got != 100 {
		t.Errorf("LastSeq() = %d, want 100", got)
	}
}

func seqs(first, last uint64) []uint64 {
	var out []uint64
	for s := first; s <= last; s++ {
		out = append(out, s)
	}
	return out
}

// TestCloseCompletesPendingAppends closes the log while appends wait for a
// held fdatasync: they must all succeed, and later ones get ErrClosed.
func TestCloseCompletesPendingAppends(t *testing.T) {
	fs := &faults{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	opts := testOptions(nil)
	opts.WrapFile = fs.wrap
	dir := t.TempDir()
	l := mustOpen(t, dir, opts)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	appendOne := func() {
		defer wg.Done()
		if _, err := l.Append([]byte("pending"), nil); err != nil {
			errs <- err
		}
	}
	wg.Add(1)
	go appendOne()
	<-fs.entered // the first batch, of one record, is inside the held sync
	wg.Add(9)
	for i := 0; i < 9; i++ {
		go appendOne()
	}
	for len(l.reqs) < 9 { // the other nine are queued behind it
		runtime.Gosched()
	}
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	close(fs.gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close() err = %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("pending Append err = %v, want success", err)
	}
	if _, err := l.Append([]byte("late"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close err = %v, want ErrClosed", err)
	}
	l2 := mustOpen(t, dir, testOptions(nil))
	if got := len(replayAll(t, l2, 0)); got != 10 {
		t.Fatalf("reopen replayed %d records, want 10", got)
	}
}

// TestWriteAndSyncFaults: a write failed by an I/O error, or any failed
// fdatasync, is never acknowledged, breaks the log for good, cuts the
// segment back to the last good offset, and a reopen replays exactly the
// acknowledged records (Invariant 5). Lack of space on a write is not
// fatal: TestWriteOutOfSpaceRecovers.
func TestWriteAndSyncFaults(t *testing.T) {
	tests := []struct {
		name      string
		writeErr  error
		writeKeep int
		short     bool // n < len(p) with a nil error: the log must notice by itself
		syncErr   error
	}{
		{"EIO on write", syscall.EIO, -1, false, nil},
		{"EIO on write after part of the batch", syscall.EIO, 20, false, nil},
		{"EIO on fsync", nil, 0, false, syscall.EIO},
		{"ENOSPC on fsync", nil, 0, false, syscall.ENOSPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fs := &faults{}
			logs := &logBuffer{}
			opts := testOptions(logs)
			opts.WrapFile = fs.wrap
			l := mustOpen(t, dir, opts)
			for i := uint64(1); i <= 3; i++ {
				mustAppend(t, l, payloadFor(i))
			}
			path := filepath.Join(dir, "wal", segmentName(1))
			good := fileSize(t, path)

			fs.mu.Lock()
			fs.writeErr, fs.writeKeep, fs.short, fs.syncErr = tt.writeErr, tt.writeKeep, tt.short, tt.syncErr
			fs.mu.Unlock()
			cause := tt.writeErr
			if tt.syncErr != nil {
				cause = tt.syncErr
			}

			applied := false
			_, err := l.Append([]byte("doomed"), func(uint64) { applied = true })
			if !errors.Is(err, ErrBroken) || (cause != nil && !errors.Is(err, cause)) {
				t.Fatalf("failing Append err = %v, want ErrBroken wrapping %v", err, cause)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprint(good)) {
				t.Errorf("failing Append err = %v, want it to name %s and offset %d", err, path, good)
			}
			if applied {
				t.Error("apply ran for an unacknowledged record")
			}
			if !errors.Is(l.Err(), ErrBroken) {
				t.Errorf("Err() = %v, want ErrBroken", l.Err())
			}
			if got := fileSize(t, path); got != good {
				t.Errorf("segment is %d bytes after the failure, want it cut back to %d", got, good)
			}
			for i := 0; i < 3; i++ { // sticky, even though the disk is fine again
				if _, err := l.Append([]byte("later"), nil); !errors.Is(err, ErrBroken) {
					t.Fatalf("later Append err = %v, want ErrBroken", err)
				}
			}
			if n := strings.Count(logs.String(), "log broken"); n != 1 {
				t.Errorf("cause logged %d times, want once:\n%s", n, logs)
			}
			if l.LastSeq() != 3 {
				t.Errorf("LastSeq() = %d, want 3", l.LastSeq())
			}
			l.Close()

			l = mustOpen(t, dir, testOptions(nil))
			if got, want := replayAll(t, l, 0), wantRecs(1, 3); !slices.Equal(got, want) {
				t.Fatalf("Replay after reopen = %v, want exactly the acknowledged %v", got, want)
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

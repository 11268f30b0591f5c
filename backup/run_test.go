package backup

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
	"vlogd/wal"
)

// copiedLog records, from Options.OnCopied, when each seq became durable
// in DEST.
type copiedLog struct {
	mu    sync.Mutex
	marks []copiedMark // in order of seq
}

type copiedMark struct {
	seq uint64
	at  time.Time
}

func (c *copiedLog) add(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.marks = append(c.marks, copiedMark{seq, time.Now()})
}

func (c *copiedLog) last() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.marks) == 0 {
		return 0
	}
	return c.marks[len(c.marks)-1].seq
}

// at returns when seq was first durable in DEST.
func (c *copiedLog) at(seq uint64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, _ := slices.BinarySearchFunc(c.marks, seq, func(m copiedMark, s uint64) int {
		return cmp(m.seq, s)
	})
	if i == len(c.marks) {
		return time.Time{}, false
	}
	return c.marks[i].at, true
}

func cmp(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testdeadline.Poll(t, what, cond)
}

// TestRunFollowsLiveLog runs the backup beside a live Log (real fdatasync)
// under concurrent appends, with the rescan pushed out to an hour so that
// only fsnotify events drive it. Every acknowledged record reaches DEST;
// the lag from acknowledgement to durable in DEST is reported (a figure,
// not a pass mark: it depends on the machine); segment rolls and a
// snapshot are followed; and DEST restores to exactly the source's state.
func TestRunFollowsLiveLog(t *testing.T) {
	const segmentSize = 256 << 10
	src := filepath.Join(t.TempDir(), "data")
	dest := filepath.Join(t.TempDir(), "backup")
	l, err := wal.Open(src, wal.Options{SegmentSize: segmentSize})
	if err != nil {
		t.Fatal(err)
	}
	copied := &copiedLog{}
	b := mustOpenBackup(t, src, dest, Options{Rescan: time.Hour, OnCopied: copied.add})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx) }()

	var mu sync.Mutex
	acked := map[uint64]time.Time{}
	// The writers go on for 1.5 s and until the log has rolled at least
	// twice, however slow the machine, so there are segments to follow.
	stop := time.Now().Add(1500 * time.Millisecond)
	var written atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop) || written.Load() < 2*segmentSize; i++ {
				rec := fmt.Appendf(nil, "writer %d record %d %0200d", w, i, i)
				written.Add(int64(len(rec)))
				seq, err := l.Append(rec, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[seq] = time.Now()
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := l.WriteSnapshot(l.LastSeq(), func(w *wal.SnapshotWriter) error {
		_, err := fmt.Fprintf(w, "state@%d", l.LastSeq())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	last := l.LastSeq()
	waitFor(t, fmt.Sprintf("seq %d in DEST (at %d)", last, copied.last()), func() bool { return copied.last() >= last })
	waitFor(t, "the snapshot in DEST", func() bool {
		s, _ := wal.Snapshots(filepath.Join(dest, "snap"))
		return len(s) == 1
	})
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run() err = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	var lags []time.Duration
	for seq, at := range acked {
		in, ok := copied.at(seq)
		if !ok {
			t.Fatalf("acknowledged seq %d never reached DEST", seq)
		}
		lags = append(lags, max(0, in.Sub(at)))
	}
	slices.Sort(lags)
	p50, p99 := lags[len(lags)/2], lags[len(lags)*99/100]
	t.Logf("%d appends by 8 writers (real fdatasync): backup lag p50 %v, p99 %v, max %v",
		len(lags), p50, p99, lags[len(lags)-1])
	segs, _ := wal.Segments(filepath.Join(dest, "wal"))
	if len(segs) < 2 {
		t.Errorf("DEST has %d segments; the source rolled, DEST should have followed", len(segs))
	}
	to, _ := restoreTo(t, dest, RestoreOptions{})
	if got, want := replayDir(t, to), replayDir(t, src); !sameState(got, want) {
		t.Fatalf("restored state differs from the source: got %d records after snapshot %d, want %d after %d",
			len(got.records), got.snapSeq, len(want.records), want.snapSeq)
	}
}

// TestRunRescanBackstop: a data directory that appears after Run started
// (no watch could be set on it, so no event comes) is picked up by the
// periodic rescan, which also adds the watches.
func TestRunRescanBackstop(t *testing.T) {
	src := filepath.Join(t.TempDir(), "data")
	dest := filepath.Join(t.TempDir(), "backup")
	copied := &copiedLog{}
	b := mustOpenBackup(t, src, dest, Options{Rescan: 50 * time.Millisecond, OnCopied: copied.add})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	l, err := wal.Open(src, wal.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 5 {
		l.Append([]byte("late"), nil)
	}
	waitFor(t, "seq 5 in DEST", func() bool { return copied.last() >= 5 })
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run() err = %v", err)
	}
}

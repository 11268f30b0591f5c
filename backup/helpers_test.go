package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"vlogd/wal"
)

// logBuffer collects slog output so tests can assert on what was reported.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(logs *logBuffer) *slog.Logger {
	var w io.Writer = io.Discard
	if logs != nil {
		w = logs
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// mustOpenBackup opens a Backup of src into dest, closed when the test ends.
func mustOpenBackup(tb testing.TB, src, dest string, opts Options) *Backup {
	tb.Helper()
	b, err := Open(src, dest, opts)
	if err != nil {
		tb.Fatalf("Open(%s, %s) err = %v", src, dest, err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

func mustSync(tb testing.TB, b *Backup) {
	tb.Helper()
	if err := b.Sync(); err != nil {
		tb.Fatalf("Sync() err = %v", err)
	}
}

// epoch is the clock of generated logs: the batch starting at seq s
// commits at epoch + s seconds.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func batchTime(first uint64) time.Time { return epoch.Add(time.Duration(first) * time.Second) }

func payloadFor(seq uint64) []byte { return []byte(fmt.Sprintf("record %d", seq)) }

// writeSegment writes DATA/wal/<first>.wal holding batches of the given
// sizes, as a server would have, and returns the seq after the last.
func writeSegment(tb testing.TB, dataDir string, first uint64, batches ...int) uint64 {
	tb.Helper()
	seg := appendHeader(tb, first)
	enc := wal.NewEncoder()
	seq := first
	for _, n := range batches {
		var payloads [][]byte
		for i := range n {
			payloads = append(payloads, payloadFor(seq+uint64(i)))
		}
		var err error
		if seg, err = enc.AppendBatch(seg, seq, payloads, batchTime(seq).UnixNano()); err != nil {
			tb.Fatal(err)
		}
		seq += uint64(n)
	}
	p := filepath.Join(dataDir, "wal", wal.SegmentName(first))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, seg, 0o644); err != nil {
		tb.Fatal(err)
	}
	return seq
}

// appendHeader returns a segment header for first, taken from a segment
// the real Log creates (the header format is wal's to know).
func appendHeader(tb testing.TB, first uint64) []byte {
	tb.Helper()
	dir := tb.TempDir()
	if first > 1 {
		// A snapshot at first-1 alone: Open starts the log at first.
		writeSnapshotFile(tb, dir, first-1, "")
	}
	l, err := wal.Open(dir, wal.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	l.Close()
	b, err := os.ReadFile(filepath.Join(dir, "wal", wal.SegmentName(first)))
	if err != nil {
		tb.Fatal(err)
	}
	return b[:wal.SegmentHeaderSize]
}

// writeSnapshotFile writes a snapshot covering seq with payload into
// dir/snap through a real Log, so that the bytes are wal's.
func writeSnapshotFile(tb testing.TB, dir string, seq uint64, payload string) string {
	tb.Helper()
	scratch := tb.TempDir()
	l, err := wal.Open(scratch, wal.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	for range seq {
		if _, err := l.Append([]byte("x"), nil); err != nil {
			tb.Fatal(err)
		}
	}
	if err := l.WriteSnapshot(seq, func(w *wal.SnapshotWriter) error { _, err := io.WriteString(w, payload); return err }); err != nil {
		tb.Fatal(err)
	}
	l.Close()
	snaps, err := wal.Snapshots(filepath.Join(scratch, "snap"))
	if err != nil || len(snaps) != 1 {
		tb.Fatalf("snapshots = %v, %v", snaps, err)
	}
	os.MkdirAll(filepath.Join(dir, "snap"), 0o755)
	dst := filepath.Join(dir, "snap", filepath.Base(snaps[0].Path))
	copyFile(tb, snaps[0].Path, dst)
	return dst
}

// renameSnapshotTime gives a snapshot a different creation time in its
// name (the file's bytes do not hold it) and returns the new path.
func renameSnapshotTime(tb testing.TB, path string, at time.Time) string {
	tb.Helper()
	seq, _, ok := wal.ParseSnapshotName(filepath.Base(path))
	if !ok {
		tb.Fatalf("%s is not a snapshot", path)
	}
	dst := filepath.Join(filepath.Dir(path), fmt.Sprintf("%016x-%016x.snap", seq, at.UnixNano()))
	if err := os.Rename(path, dst); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func copyFile(tb testing.TB, src, dst string) {
	tb.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// putBlob stores content in DATA/blobs as media does: named by SHA-256.
func putBlob(tb testing.TB, dataDir string, content []byte) string {
	tb.Helper()
	sum := sha256.Sum256(content)
	name := hex.EncodeToString(sum[:])
	p := filepath.Join(dataDir, "blobs", name[:2], name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// state is what a data directory replays to: the snapshot's payload and
// the records after it.
type state struct {
	snapSeq  uint64
	snapData string
	records  []string // "seq:payload"
}

func (s state) String() string {
	return fmt.Sprintf("snapshot %d %q, records %v", s.snapSeq, s.snapData, s.records)
}

// replayDir opens dir with the real Log and returns what it replays. It
// fails the test if the directory does not verify or open.
func replayDir(tb testing.TB, dir string) state {
	tb.Helper()
	if r, err := wal.Verify(dir); err != nil || !r.OK() {
		tb.Fatalf("Verify(%s) = %v:\n%s", dir, err, r.String())
	}
	l, err := wal.Open(dir, wal.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("wal.Open(%s) err = %v", dir, err)
	}
	defer l.Close()
	var st state
	seq, rc, err := l.Snapshot()
	switch {
	case errors.Is(err, wal.ErrNoSnapshot):
	case err != nil:
		tb.Fatal(err)
	default:
		b, _ := io.ReadAll(rc)
		rc.Close()
		st.snapSeq, st.snapData = seq, string(b)
	}
	err = l.Replay(st.snapSeq, func(seq uint64, p []byte) error {
		st.records = append(st.records, fmt.Sprintf("%d:%s", seq, p))
		return nil
	})
	if err != nil {
		tb.Fatalf("Replay(%d) of %s err = %v", st.snapSeq, dir, err)
	}
	return st
}

// wantState is the state after restoring to seq from a log of payloadFor
// records, using the snapshot at snapSeq (0: none) holding snapData.
func wantState(snapSeq uint64, snapData string, last uint64) state {
	st := state{snapSeq: snapSeq, snapData: snapData}
	for s := snapSeq + 1; s <= last; s++ {
		st.records = append(st.records, fmt.Sprintf("%d:%s", s, payloadFor(s)))
	}
	return st
}

func sameState(a, b state) bool {
	return a.snapSeq == b.snapSeq && a.snapData == b.snapData && slices.Equal(a.records, b.records)
}

// restoreTo restores from into a fresh directory and returns it.
func restoreTo(tb testing.TB, from string, opts RestoreOptions) (string, RestoreReport) {
	tb.Helper()
	to := filepath.Join(tb.TempDir(), "restored")
	r, err := Restore(tb.Context(), from, to, opts)
	if err != nil {
		tb.Fatalf("Restore(%+v) err = %v", opts, err)
	}
	return to, r
}

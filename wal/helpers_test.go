package wal

import (
	"bytes"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and fixtures in testdata/")

// logBuffer collects slog output so tests can assert on warnings.
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

// testOptions are fast options (no fsync) whose log goes to logs.
func testOptions(logs *logBuffer) Options {
	var w io.Writer = io.Discard
	if logs != nil {
		w = logs
	}
	return Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// mustOpen opens dir and closes the log when the test ends.
func mustOpen(tb testing.TB, dir string, opts Options) *Log {
	tb.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s) err = %v", dir, err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// rec is a replayed record.
type rec struct {
	Seq  uint64
	Data string
}

func replayAll(tb testing.TB, l *Log, after uint64) []rec {
	tb.Helper()
	var got []rec
	if err := l.Replay(after, func(seq uint64, p []byte) error {
		got = append(got, rec{seq, string(p)})
		return nil
	}); err != nil {
		tb.Fatalf("Replay(%d) err = %v", after, err)
	}
	return got
}

// payloadFor is the deterministic payload of seq in generated logs.
func payloadFor(seq uint64) string { return fmt.Sprintf("record %d", seq) }

// wantRecs is the records first..last with payloadFor payloads.
func wantRecs(first, last uint64) []rec {
	var out []rec
	for s := first; s <= last; s++ {
		out = append(out, rec{s, payloadFor(s)})
	}
	return out
}

func mustAppend(tb testing.TB, l *Log, data string) uint64 {
	tb.Helper()
	seq, err := l.Append([]byte(data), nil)
	if err != nil {
		tb.Fatalf("Append(%q) err = %v", data, err)
	}
	return seq
}

// fixtureEpoch is the clock of generated files: the batch starting at seq
// s commits at fixtureEpoch + s seconds, so fixtures are reproducible byte
// for byte and their commit times increase. Its nanoseconds are not zero,
// so a commit frame's last byte is never 0 (TestTornTailEveryOffset's
// zero-fill must always damage it).
var fixtureEpoch = time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)

func fixtureTime(first uint64) int64 {
	return fixtureEpoch.Add(time.Duration(first) * time.Second).UnixNano()
}

// writeSegmentFile writes a segment holding the given batches of seqs
// (payloadFor payloads) and returns the offset where each batch starts.
func writeSegmentFile(tb testing.TB, path string, first uint64, batches ...int) []int64 {
	tb.Helper()
	b := appendSegmentHeader(nil, first)
	enc := NewEncoder()
	var starts []int64
	seq := first
	for _, n := range batches {
		starts = append(starts, int64(len(b)))
		var payloads [][]byte
		for i := 0; i < n; i++ {
			payloads = append(payloads, []byte(payloadFor(seq+uint64(i))))
		}
		var err error
		if b, err = enc.AppendBatch(b, seq, payloads, fixtureTime(seq)); err != nil {
			tb.Fatal(err)
		}
		seq += uint64(n)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return starts
}

// copyDir copies a fixture tree to a fresh temporary directory.
func copyDir(tb testing.TB, src string) string {
	tb.Helper()
	dst := tb.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dst
}

// treeBytes maps every file under dir to its contents, to prove a refused
// or read-only operation changed nothing.
func treeBytes(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "LOCK" {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func fileNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

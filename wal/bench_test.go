package wal

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures durable appends (real fdatasync, in b.TempDir)
// with 1, 16 and 64 concurrent appenders. Group commit must make appends/s
// grow with concurrency while fsyncs/op falls.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			fs := &faults{}
			l, err := Open(b.TempDir(), Options{WrapFile: fs.wrap})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			payload := make([]byte, 200)
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						if _, err := l.Append(payload, nil); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			_, syncs := fs.counts()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			b.ReportMetric(float64(syncs)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkRecover measures Open (which checks every frame) plus Replay of
// a log of 100,000 records of 500 bytes, against simply reading the same
// files and checksumming them, which is the floor for any recovery.
func BenchmarkRecover(b *testing.B) {
	const records, size = 100_000, 500
	dir := b.TempDir()
	l, err := Open(dir, Options{NoSync: true, SegmentSize: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size)
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < records/64; i++ {
				l.Append(payload, nil)
			}
		}()
	}
	wg.Wait()
	n := l.LastSeq()
	l.Close()

	b.Run("open+replay", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l, err := Open(dir, Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			var got uint64
			if err := l.Replay(0, func(uint64, []byte) error { got++; return nil }); err != nil || got != n {
				b.Fatalf("replayed %d of %d: %v", got, n, err)
			}
			l.Close()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("read+crc", func(b *testing.B) {
		paths, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
		for i := 0; i < b.N; i++ {
			for _, p := range paths {
				data, err := os.ReadFile(p)
				if err != nil {
					b.Fatal(err)
				}
				crc32.Checksum(data, castagnoli)
			}
		}
	})
}

// BenchmarkAppendDuringSnapshot writes a 256 MiB snapshot (real fsync)
// while one appender keeps appending, and reports the worst and the 99th
// percentile append latency: the chunked fdatasync of snapshots must keep
// the log's own fsyncs from stalling behind the snapshot's dirty pages.
func BenchmarkAppendDuringSnapshot(b *testing.B) {
	const snapBytes = 256 << 20
	for i := 0; i < b.N; i++ {
		l, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Append([]byte("first"), nil); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		var lat []time.Duration
		go func() {
			defer close(done)
			for { // until Close makes Append fail
				t0 := time.Now()
				if _, err := l.Append(make([]byte, 200), nil); err != nil {
					return
				}
				lat = append(lat, time.Since(t0))
			}
		}()
		chunk := make([]byte, 1<<20)
		err = l.WriteSnapshot(1, func(w *SnapshotWriter) error {
			for n := 0; n < snapBytes; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
		<-done
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat)), "appends")
		}
	}
}

package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// countingStore counts the batches raft hands a log store: each is one
// durable commit of that store (one bbolt transaction, one wal Append).
type countingStore struct {
	logStore
	batches *atomic.Int64
}

func (c countingStore) StoreLogs(l []*raft.Log) error {
	c.batches.Add(1)
	return c.logStore.StoreLogs(l)
}

func (c countingStore) StoreLog(l *raft.Log) error {
	c.batches.Add(1)
	return c.logStore.StoreLog(l)
}

// openBolt opens the other candidate, raft-boltdb/v2 (bbolt), at
// DIR/raft.db, syncing every commit as it does by default.
func openBolt(dir string) (logStore, error) {
	s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("cluster: open raft log: %w", err)
	}
	return s, nil
}

type inmemStore struct{ *raft.InmemStore }

func (inmemStore) Close() error { return nil }

// BenchmarkLogStore runs a 3-node cluster on loopback on each candidate raft
// log store, with real fsync, and 16 concurrent proposers spread over the
// three nodes (followers forward to the leader). It reports durable
// commits per second and how many entries each store commit carried.
// "inmem" (no disk at all) is the ceiling the others are measured against.
// Count the fsyncs per batch with strace -f -c -e trace=fsync,fdatasync on
// the test binary, dividing by the reported batches.
func BenchmarkLogStore(b *testing.B) {
	for _, cand := range []struct {
		name string
		open openLogStore
	}{
		{"bolt", openBolt},
		{"wal", openWAL},
		{"inmem", func(string) (logStore, error) { return inmemStore{raft.NewInmemStore()}, nil }},
	} {
		b.Run(cand.name, func(b *testing.B) {
			var batches atomic.Int64
			open := func(dir string) (logStore, error) {
				s, err := cand.open(dir)
				if err != nil {
					return nil, err
				}
				return countingStore{s, &batches}, nil
			}
			c := startTuned(b, 3, open, func(cfg *Config) {
				cfg.SnapshotThreshold = 1 << 30 // measure the log, not snapshots
				cfg.SnapshotInterval = time.Hour
				cfg.NoQuorumTimeout = 30 * time.Second
				cfg.HeartbeatTimeout = time.Second
				cfg.ElectionTimeout = time.Second
				cfg.LeaderLeaseTimeout = time.Second
			})
			ctx := context.Background()
			const proposers = 16
			var next atomic.Int64
			var failed atomic.Int64
			b.ResetTimer()
			batches.Store(0)
			start := time.Now()
			var wg sync.WaitGroup
			for p := range proposers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := c.node(p % 3)
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						v := fmt.Sprintf("p%d-%d", p, i)
						if _, err := propose(ctx, n, toyOp{Kind: "create", Value: v}); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d proposals failed", f, b.N)
			}
			nb := batches.Load()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commits/s")
			b.ReportMetric(float64(3*b.N)/float64(max(nb, 1)), "entries/batch")
			b.ReportMetric(float64(nb), "batches")
		})
	}
}

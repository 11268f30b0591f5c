package cluster

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// logStore is a raft log and stable store with the files behind them.
type logStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// openLogStore is how a Node opens its raft log; tests and benchmarks
// swap in the candidates they compare.
type openLogStore func(dir string) (logStore, error)

// openBolt opens raft-boltdb/v2 (bbolt) at DIR/raft.db, syncing every
// commit.
func openBolt(dir string) (logStore, error) {
	s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("cluster: open raft log: %w", err)
	}
	return s, nil
}

package cluster

import (
	"io"

	"github.com/hashicorp/raft"
)

// logStore is a raft log and stable store with the files behind them.
type logStore interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

// openLogStore is how a Node opens its raft log: openWAL (walstore.go);
// the benchmark swaps in the candidates it compares.
type openLogStore func(dir string) (logStore, error)

package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

var testSecret = []byte("correct horse battery staple, 32b\n")

// testCluster runs nodes on loopback, each with its own directory, and can
// shut one down and start it again from that directory.
type testCluster struct {
	t       testing.TB
	mu      sync.Mutex
	nodes   []*Node
	fsms    []*toyFSM
	dirs    []string
	addrs   []string
	openLog openLogStore
	tune    func(*Config) // when set, adjusts every node's config
}

// quiet keeps raft's chatter out of test output unless -v asks for it.
func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("CLUSTER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return nil
}

// testConfig is raft tuned for loopback: elections within a second or so
// (not faster: a loaded machine would see elections it does not need), small snapshots so restarts exercise snapshot install.
func testConfig(id, dir, addr string, fsm FSM) Config {
	return Config{
		ID:                 id,
		RaftAddr:           addr,
		Dir:                dir,
		Secret:             testSecret,
		FSM:                fsm,
		NoQuorumTimeout:    3 * time.Second,
		HeartbeatTimeout:   500 * time.Millisecond,
		ElectionTimeout:    500 * time.Millisecond,
		LeaderLeaseTimeout: 400 * time.Millisecond,
		SnapshotInterval:   250 * time.Millisecond,
		SnapshotThreshold:  64,
		TrailingLogs:       32,
		Logger:             testLogger(),
	}
}

// startCluster boots n nodes: the first bootstraps, the others join
// through it.
func startCluster(t testing.TB, n int, openLog openLogStore) *testCluster {
	return startTuned(t, n, openLog, nil)
}

func startTuned(t testing.TB, n int, openLog openLogStore, tune func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, openLog: openLog, tune: tune}
	base := t.TempDir()
	for i := 0; i < n; i++ {
		c.dirs = append(c.dirs, filepath.Join(base, fmt.Sprintf("n%d", i)))
		c.addrs = append(c.addrs, "127.0.0.1:0")
		c.nodes = append(c.nodes, nil)
		c.fsms = append(c.fsms, nil)
		c.start(i, i == 0)
	}
	t.Cleanup(c.stopAll)
	testdeadline.Poll(t, "node 0 to lead", func() bool { return c.node(0).Status().Role == "leader" })
	for i := 1; i < n; i++ {
		ctx, cancel := context.WithDeadline(context.Background(), testdeadline.Time(t))
		err := retryNoQuorum(ctx, func() error { return c.node(i).Join(ctx, []string{c.addrs[0]}) })
		cancel()
		if err != nil {
			t.Fatalf("node %d join: %v", i, err)
		}
	}
	testdeadline.Poll(t, "every node to see all members", func() bool {
		for i := range n {
			if len(c.node(i).Status().Members) != n {
				return false
			}
		}
		return true
	})
	return c
}

// retryNoQuorum repeats fn while it fails with ErrNoQuorum, for setup
// steps on a loaded machine where an election may be under way.
func retryNoQuorum(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, ErrNoQuorum) || ctx.Err() != nil {
			return err
		}
	}
}

// start opens node i from its directory with a fresh FSM (its state comes
// back from raft's snapshot and log).
func (c *testCluster) start(i int, bootstrap bool) {
	c.t.Helper()
	fsm := newToyFSM()
	cfg := testConfig(fmt.Sprintf("n%d", i), c.dirs[i], c.addrs[i], fsm)
	cfg.Bootstrap = bootstrap
	cfg.openLog = c.openLog
	if c.tune != nil {
		c.tune(&cfg)
	}
	var n *Node
	var err error
	// The port of a node just shut down may linger a moment.
	testdeadline.Poll(c.t, "node "+cfg.ID+" to open", func() bool {
		n, err = Open(cfg)
		return err == nil
	})
	c.mu.Lock()
	c.nodes[i], c.fsms[i], c.addrs[i] = n, fsm, n.Addr()
	c.mu.Unlock()
}

// stop shuts node i down; node(i) is nil until it is started again.
func (c *testCluster) stop(i int) {
	c.t.Helper()
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if n != nil {
		if err := n.Shutdown(); err != nil {
			c.t.Errorf("shutdown n%d: %v", i, err)
		}
	}
}

func (c *testCluster) stopAll() {
	for i := range c.nodes {
		c.stop(i)
	}
}

func (c *testCluster) node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

func (c *testCluster) fsm(i int) *toyFSM {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fsms[i]
}

// leader waits until one of the running nodes other than skip leads
// in a term above minTerm, and returns its index.
func (c *testCluster) leader(minTerm uint64, skip int) int {
	c.t.Helper()
	found := -1
	testdeadline.Poll(c.t, "a leader", func() bool {
		for i := range c.nodes {
			if n := c.node(i); n != nil && i != skip {
				if st := n.Status(); st.Role == "leader" && st.Term > minTerm {
					found = i
					return true
				}
			}
		}
		return false
	})
	return found
}

// converge waits until every running node has applied the same index as
// the others and the leader's commit index, then checks that their states
// are identical, and returns node 0's state.
func (c *testCluster) converge() (map[uint64]string, uint64) {
	c.t.Helper()
	testdeadline.Poll(c.t, "every node to apply the same index", func() bool {
		var idx uint64
		for i := range c.nodes {
			n := c.node(i)
			if n == nil {
				return false
			}
			st := n.Status()
			if i == 0 {
				idx = st.AppliedIndex
			}
			if st.AppliedIndex != idx || st.CommitIndex != idx || st.LeaderID == "" {
				return false
			}
		}
		return true
	})
	var first map[uint64]string
	var firstNext uint64
	for i := range c.nodes {
		m, next, bad := c.fsm(i).copyState()
		if bad != nil {
			c.t.Errorf("n%d: %v", i, bad)
		}
		if i == 0 {
			first, firstNext = m, next
			continue
		}
		if next != firstNext || len(m) != len(first) {
			c.t.Fatalf("n%d has %d items, next id %d; n0 has %d, next id %d", i, len(m), next, len(first), firstNext)
		}
		for k, v := range first {
			if m[k] != v {
				c.t.Fatalf("n%d item %d = %q, n0 has %q", i, k, m[k], v)
			}
		}
	}
	return first, firstNext
}

func propose(ctx context.Context, n *Node, op toyOp) (toyResult, error) {
	_, res, err := n.Propose(ctx, encodeOp(op))
	if err != nil {
		return toyResult{}, err
	}
	if e, ok := res.(error); ok {
		return toyResult{}, e
	}
	return res.(toyResult), nil
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

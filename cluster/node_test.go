package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

// TestProposeOnEveryNode writes through leader and followers alike and
// checks read-your-writes on the node that answered, then that every node
// holds the same state.
func TestProposeOnEveryNode(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				val := fmt.Sprintf("n%d-%d", i, j)
				res, err := retryPropose(ctx, c.node(i), toyOp{Kind: "create", Value: val})
				if err != nil {
					t.Errorf("create through n%d: %v", i, err)
					return
				}
				// Read-your-writes: this node has applied it already.
				if got, ok := c.fsm(i).get(res.ID); !ok || got != val {
					t.Errorf("n%d right after create: item %d = %q, %v; want %q", i, res.ID, got, ok, val)
				}
			}
		}()
	}
	wg.Wait()
	items, next := c.converge()
	if len(items) != 30 || next != 31 {
		t.Fatalf("after 30 creates: %d items, next id %d; want 30 and 31", len(items), next)
	}
	st := c.node(1).Status()
	if st.NodeID != "n1" || st.Role != "follower" || st.LeaderID != "n0" || st.LeaderAddr != c.addrs[0] ||
		st.Term == 0 || st.AppliedIndex == 0 || st.CommitIndex < st.AppliedIndex || len(st.Members) != 3 {
		t.Fatalf("n1 status = %+v", st)
	}
	for _, m := range st.Members {
		if !m.Voter || m.RaftAddr == "" {
			t.Fatalf("member %+v: want a voter with an address", m)
		}
	}
}

// retryPropose repeats a proposal that certainly did not apply (no leader
// yet); any other error is returned. Only for steps whose outcome the test
// must know, never in the linearizability histories.
func retryPropose(ctx context.Context, n *Node, op toyOp) (toyResult, error) {
	for {
		res, err := propose(ctx, n, op)
		if err == nil || ctx.Err() != nil || !errors.Is(err, errUnsent) {
			return res, err
		}
	}
}

// TestNoQuorum stops two of three nodes: the last one refuses writes with
// ErrNoQuorum within its configured time, and keeps serving reads.
func TestNoQuorum(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	res, err := retryPropose(ctx, c.node(2), toyOp{Kind: "create", Value: "before"})
	if err != nil {
		t.Fatal(err)
	}
	c.stop(0)
	c.stop(1)
	start := time.Now()
	_, err = propose(ctx, c.node(2), toyOp{Kind: "create", Value: "after"})
	if !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("propose without quorum: err = %v, want ErrNoQuorum", err)
	}
	t.Logf("ErrNoQuorum after %v (NoQuorumTimeout %v): %v", time.Since(start), c.node(2).cfg.NoQuorumTimeout, err)
	if v, ok := c.fsm(2).get(res.ID); !ok || v != "before" {
		t.Fatalf("read without quorum: %q, %v", v, ok)
	}
	if st := c.node(2).Status(); st.Role == "leader" {
		t.Fatalf("lone node still leads: %+v", st)
	}
}

// TestRemoveAndRejoin removes a follower through another member, checks
// the configuration, and adds it back.
func TestRemoveAndRejoin(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	if err := retryNoQuorum(ctx, func() error { return c.node(1).Remove(ctx, "n2") }); err != nil {
		t.Fatalf("remove n2: %v", err)
	}
	testdeadline.Poll(t, "n0 and n1 to see two members", func() bool {
		return len(c.node(0).Status().Members) == 2 && len(c.node(1).Status().Members) == 2
	})
	if err := c.node(1).Remove(ctx, "nobody"); !errors.Is(err, ErrRejected) {
		t.Fatalf("remove a stranger: err = %v, want ErrRejected", err)
	}
	if _, err := retryPropose(ctx, c.node(0), toyOp{Kind: "create", Value: "two nodes"}); err != nil {
		t.Fatal(err)
	}
	if err := retryNoQuorum(ctx, func() error { return c.node(2).Join(ctx, []string{c.addrs[1]}) }); err != nil {
		t.Fatalf("rejoin n2: %v", err)
	}
	c.converge()
}

// TestWrongSecretCannotJoin starts a node with another secret: its join
// is refused, and the members' configuration is unchanged.
func TestWrongSecretCannotJoin(t *testing.T) {
	c := startCluster(t, 3, nil)
	cfg := testConfig("intruder", filepath.Join(t.TempDir(), "x"), "127.0.0.1:0", newToyFSM())
	cfg.Secret = []byte("not the cluster secret at all!!")
	cfg.NoQuorumTimeout = 500 * time.Millisecond
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown()
	err = n.Join(testdeadline.Context(t), []string{c.addrs[0], c.addrs[1]})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("join with the wrong secret: err = %v, want ErrAuth", err)
	}
	for i := range 3 {
		for _, m := range c.node(i).Status().Members {
			if m.ID == "intruder" {
				t.Fatalf("n%d lists the intruder: %+v", i, c.node(i).Status().Members)
			}
		}
	}
}

func TestWeakSecretRefused(t *testing.T) {
	cfg := testConfig("n0", t.TempDir(), "127.0.0.1:0", newToyFSM())
	cfg.Secret = []byte("short\n")
	if _, err := Open(cfg); !errors.Is(err, ErrWeakSecret) {
		t.Fatalf("Open with a 5-byte secret: err = %v, want ErrWeakSecret", err)
	}
}

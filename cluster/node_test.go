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
// holds the same state: each acknowledged create, plus those whose
// Propose failed (an election on a loaded machine) but whose entry the log
// applied, and nothing else.
func TestProposeOnEveryNode(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[uint64]string{}
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				val := fmt.Sprintf("n%d-%d", i, j)
				res, err := propose(ctx, c.node(i), toyOp{Kind: "create", Value: val, Tag: val})
				if errors.Is(err, ErrNoQuorum) {
					t.Logf("create %s: %v", val, err)
					continue
				}
				if err != nil {
					t.Errorf("create through n%d: %v", i, err)
					return
				}
				// Read-your-writes: this node has applied it already.
				if got, ok := c.fsm(i).get(res.ID); !ok || got != val {
					t.Errorf("n%d right after create: item %d = %q, %v; want %q", i, res.ID, got, ok, val)
				}
				mu.Lock()
				acked[res.ID] = val
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	items, next := c.converge()
	tags := c.fsm(0).appliedTags()
	for id, v := range acked {
		if items[id] != v {
			t.Errorf("acknowledged item %d = %q, want %q", id, items[id], v)
		}
	}
	for id, v := range items {
		if res, ok := tags[v]; !ok || res.ID != id {
			t.Errorf("item %d = %q was never proposed as that", id, v)
		}
	}
	if len(items) != len(tags) || next != uint64(len(items))+1 || len(acked) == 0 {
		t.Fatalf("%d items, %d applied creates, next id %d, %d acknowledged", len(items), len(tags), next, len(acked))
	}
	t.Logf("%d creates acknowledged, %d applied", len(acked), len(items))
	st := c.node(1).Status()
	if st.NodeID != "n1" || st.LeaderID == "" || st.LeaderAddr == "" || st.Term == 0 || st.AppliedIndex == 0 ||
		st.CommitIndex < st.AppliedIndex || len(st.Members) != 3 {
		t.Fatalf("n1 status = %+v", st)
	}
	if want := map[string]bool{"leader": st.LeaderID == "n1", "follower": st.LeaderID != "n1"}; !want[st.Role] {
		t.Fatalf("n1 role %q with leader %q", st.Role, st.LeaderID)
	}
	for _, m := range st.Members {
		if !m.Voter || m.RaftAddr == "" {
			t.Fatalf("member %+v: want a voter with an address", m)
		}
	}
}

// proposeAcked proposes fresh creates of val until one is acknowledged:
// only for steps that need some write to land, never where items are
// counted.
func proposeAcked(ctx context.Context, n *Node, val string) (toyResult, error) {
	for {
		res, err := propose(ctx, n, toyOp{Kind: "create", Value: val})
		if err == nil || ctx.Err() != nil || !errors.Is(err, ErrNoQuorum) {
			return res, err
		}
	}
}

// TestNoQuorum stops two of three nodes: the last one refuses writes with
// ErrNoQuorum within its configured time, and keeps serving reads.
func TestNoQuorum(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	res, err := proposeAcked(ctx, c.node(2), "before")
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

// TestRemoveAndRejoin removes members through another member and from
// outside the cluster (RemoveMember, refused without the secret), checks
// the configuration and writes after each step, and adds them back.
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
	if _, err := proposeAcked(ctx, c.node(0), "two nodes"); err != nil {
		t.Fatal(err)
	}
	// From outside the cluster, as `vlogd cluster remove` will: the wrong
	// secret is refused, then n1 goes with the right one.
	if err := RemoveMember(ctx, []byte("a wrong secret, long enough"), []string{c.addrs[0]}, "n1", time.Second); !errors.Is(err, ErrAuth) {
		t.Fatalf("RemoveMember with the wrong secret: err = %v, want ErrAuth", err)
	}
	if got := len(c.node(0).Status().Members); got != 2 {
		t.Fatalf("after a refused removal: %d members, want 2", got)
	}
	if err := retryNoQuorum(ctx, func() error { return RemoveMember(ctx, testSecret, []string{c.addrs[0], c.addrs[1]}, "n1", 0) }); err != nil {
		t.Fatalf("RemoveMember n1: %v", err)
	}
	testdeadline.Poll(t, "n0 to see itself alone", func() bool { return len(c.node(0).Status().Members) == 1 })
	if _, err := proposeAcked(ctx, c.node(0), "one node"); err != nil {
		t.Fatal(err)
	}
	if err := retryNoQuorum(ctx, func() error { return c.node(1).Join(ctx, []string{c.addrs[0]}) }); err != nil {
		t.Fatalf("rejoin n1: %v", err)
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

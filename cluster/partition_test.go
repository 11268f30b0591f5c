package cluster

import (
	"sync"
	"sync/atomic"
	"testing"

	"vlogd/internal/testdeadline"
)

// TestPartitionedLeader cuts the leader off from both followers through
// the transport: it stops acknowledging writes, the majority elects a new
// leader and goes on, and after healing every node converges with nothing
// acknowledged on either side lost.
func TestPartitionedLeader(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	h := newHistory()
	old := c.leader(0, -1)
	term := c.node(old).Status().Term

	var isolatedAt atomic.Int64 // history time of the cut; 0 while whole
	var isolatedAcks, majorityAcks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		node := w % 3
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.writer(ctx, c, w, node, stop, func(op toyOp, called int64, err error) {
				at := isolatedAt.Load()
				if err != nil || at == 0 || called < at {
					return
				}
				if node == old {
					isolatedAcks.Add(1)
				} else {
					majorityAcks.Add(1)
				}
			})
		}()
	}
	testdeadline.Poll(t, "writes before the partition", func() bool { return h.ackedCount() >= 20 })

	c.node(old).stream.setIsolated(true)
	isolatedAt.Store(h.now())
	next := c.leader(term, old)
	t.Logf("n%d isolated in term %d; n%d leads the majority", old, term, next)
	testdeadline.Poll(t, "the majority to acknowledge writes", func() bool { return majorityAcks.Load() >= 20 })
	testdeadline.Poll(t, "the isolated node to give up leading", func() bool { return c.node(old).Status().Role != "leader" })
	if n := isolatedAcks.Load(); n > 0 {
		t.Fatalf("the isolated old leader acknowledged %d writes proposed after the cut", n)
	}

	c.node(old).stream.setIsolated(false)
	close(stop)
	wg.Wait()
	items, nextID := c.converge()
	h.check(t, items, nextID, c.fsm(0).appliedTags())
}

package cluster

import (
	"flag"
	"sync"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

var killRounds = flag.Int("cluster.rounds", 10, "leader kill rounds in TestLeaderKilled")

// TestLeaderKilled runs writers through all three nodes while the leader
// is shut down and restarted from its directory, round after round. Each
// round a new leader must appear and writes must go on; at the end every
// node holds the same state, every acknowledged change is there, nothing
// unsent is, IDs were never given twice, and the history is linearizable.
func TestLeaderKilled(t *testing.T) {
	c := startCluster(t, 3, nil)
	ctx := testdeadline.Context(t)
	h := newHistory()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.writer(ctx, c, w, w%3, stop, nil)
		}()
	}
	term := uint64(0)
	old := c.leader(0, -1)
	for round := range *killRounds {
		term = c.node(old).Status().Term
		acked := h.ackedCount()
		killed := time.Now()
		c.stop(old)
		next := c.leader(term, old)
		t.Logf("round %d: killed leader n%d (term %d); n%d leads after %v", round, old, term, next, time.Since(killed).Round(time.Millisecond))
		testdeadline.Poll(t, "writes to go on without the old leader", func() bool { return h.ackedCount() >= acked+5 })
		c.start(old, false)
		target := c.node(next).Status().CommitIndex
		testdeadline.Poll(t, "the restarted node to catch up", func() bool {
			n := c.node(old)
			return n != nil && n.Status().AppliedIndex >= target
		})
		old = c.leader(0, -1)
	}
	close(stop)
	wg.Wait()
	items, next := c.converge()
	h.check(t, items, next, c.fsm(0).appliedTags())
}

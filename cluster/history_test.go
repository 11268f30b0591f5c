package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"vlogd/internal/testdeadline"
)

// toyOutput is an operation's outcome as its writer saw it. unknown means
// Propose failed without knowing whether the entry applied.
type toyOutput struct {
	res     toyResult
	unknown bool
}

// modelState is the map as porcupine's model sees it; Step copies it.
type modelState struct {
	items map[uint64]string
	next  uint64
}

// toyModel is the specification of the toy FSM: creates return the next
// ID, edits and deletes report whether the item existed, gets return it.
// An unknown outcome may be linearized anywhere, including after
// everything else (its return time is infinite), and any result fits.
var toyModel = porcupine.Model{
	Init: func() any { return modelState{items: map[uint64]string{}, next: 1} },
	Step: func(state, input, output any) (bool, any) {
		s, op, out := state.(modelState), input.(toyOp), output.(toyOutput)
		v, exists := s.items[op.ID]
		switch op.Kind {
		case "create":
			if !out.unknown && out.res.ID != s.next {
				return false, s
			}
			n := modelState{items: maps.Clone(s.items), next: s.next + 1}
			n.items[s.next] = op.Value
			return true, n
		case "edit":
			if !out.unknown && out.res.Found != exists {
				return false, s
			}
			if !exists {
				return true, s
			}
			n := modelState{items: maps.Clone(s.items), next: s.next}
			n.items[op.ID] = op.Value
			return true, n
		case "delete":
			if !out.unknown && out.res.Found != exists {
				return false, s
			}
			if !exists {
				return true, s
			}
			n := modelState{items: maps.Clone(s.items), next: s.next}
			delete(n.items, op.ID)
			return true, n
		case "get":
			return out.unknown || (out.res.Found == exists && out.res.Value == v), s
		}
		return false, s
	},
	Equal: func(a, b any) bool {
		x, y := a.(modelState), b.(modelState)
		return x.next == y.next && maps.Equal(x.items, y.items)
	},
	DescribeOperation: func(input, output any) string {
		op, out := input.(toyOp), output.(toyOutput)
		if out.unknown {
			return fmt.Sprintf("%s(%d,%q) -> ?", op.Kind, op.ID, op.Value)
		}
		return fmt.Sprintf("%s(%d,%q) -> %+v", op.Kind, op.ID, op.Value, out.res)
	},
}

// history records what writers sent and saw.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	sent  map[string]bool // every value any writer proposed
	acked int
	// expect is each item's value after its writer's last acknowledged
	// change ("" = deleted), for items no unknown outcome touched.
	expect    map[uint64]string
	uncertain map[uint64]bool
	ackedIDs  map[uint64]string // acknowledged creates: id → value
	reused    []string
}

func newHistory() *history {
	return &history{start: time.Now(), sent: map[string]bool{}, expect: map[uint64]string{},
		uncertain: map[uint64]bool{}, ackedIDs: map[uint64]string{}}
}

func (h *history) now() int64 { return time.Since(h.start).Nanoseconds() }

func (h *history) ackedCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acked
}

// writer proposes random creates, edits, deletes and gets through node i
// of c until stop is closed. It reports in seen every op that succeeded
// and returns.
func (h *history) writer(ctx context.Context, c *testCluster, client, i int, stop <-chan struct{}, onResult func(op toyOp, called int64, err error)) {
	rng := rand.New(rand.NewPCG(uint64(client), 1))
	var own []uint64
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		n := c.node(i)
		if n == nil {
			time.Sleep(5 * time.Millisecond) // the node is down; wait for its restart
			continue
		}
		tag := fmt.Sprintf("w%d-%d", client, seq)
		op := toyOp{Kind: "create", Value: tag}
		switch r := rng.IntN(100); {
		case len(own) == 0 || r < 40:
		case r < 60:
			op = toyOp{Kind: "edit", ID: own[rng.IntN(len(own))], Value: op.Value}
		case r < 75:
			k := rng.IntN(len(own))
			op = toyOp{Kind: "delete", ID: own[k]}
			own = append(own[:k], own[k+1:]...)
		default:
			op = toyOp{Kind: "get", ID: own[rng.IntN(len(own))]}
		}
		op.Tag = tag
		h.mu.Lock()
		if op.Value != "" {
			h.sent[op.Value] = true
		}
		h.mu.Unlock()
		call := h.now()
		res, err := propose(ctx, n, op)
		ret := h.now()
		if onResult != nil {
			onResult(op, call, err)
		}
		h.mu.Lock()
		out := toyOutput{res: res}
		if err != nil {
			// Unknown fate: it may apply at any later time.
			out, ret = toyOutput{unknown: true}, math.MaxInt64
			if op.ID != 0 {
				h.uncertain[op.ID] = true
			}
		} else {
			h.acked++
			switch op.Kind {
			case "create":
				if prev, dup := h.ackedIDs[res.ID]; dup {
					h.reused = append(h.reused, fmt.Sprintf("id %d given to %q and %q", res.ID, prev, op.Value))
				}
				h.ackedIDs[res.ID] = op.Value
				h.expect[res.ID] = op.Value
				own = append(own, res.ID)
			case "edit":
				if res.Found {
					h.expect[op.ID] = op.Value
				}
			case "delete":
				h.expect[op.ID] = ""
			}
		}
		h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: op, Call: call, Output: out, Return: ret})
		h.mu.Unlock()
		if err != nil && errors.Is(err, ErrShutdown) {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// check verifies the converged state against the history: every
// acknowledged change present, nothing present that no writer sent, IDs
// never given twice, and the whole history linearizable.
//
// The fate of an operation whose Propose failed is read from the applied
// tags of the converged state (every node applied the same log): one that
// never applied had no effect and leaves the history; one that did keeps
// its unknown return time (it took effect at some point after its call)
// but gets the result the log gave it. Without this, each unknown create
// could shift every later ID and the search grows beyond reach.
func (h *history) check(t *testing.T, items map[uint64]string, next uint64, tags map[string]toyResult) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.reused {
		t.Errorf("ID reused: %s", r)
	}
	for id, want := range h.expect {
		if h.uncertain[id] {
			continue
		}
		if got, ok := items[id]; want == "" && ok || want != "" && got != want {
			t.Errorf("item %d = %q (present %v), want %q after its last acknowledged change", id, got, ok, want)
		}
	}
	for id, v := range items {
		if !h.sent[v] {
			t.Errorf("item %d = %q, which no writer sent", id, v)
		}
		if id >= next {
			t.Errorf("item %d at or above next id %d", id, next)
		}
	}
	for id := range h.ackedIDs {
		if id >= next {
			t.Errorf("acknowledged id %d at or above next id %d", id, next)
		}
	}
	var ops []porcupine.Operation
	unknown, applied := 0, 0
	for _, op := range h.ops {
		if op.Return == math.MaxInt64 {
			unknown++
			res, ok := tags[op.Input.(toyOp).Tag]
			if !ok {
				continue // never applied: no effect
			}
			applied++
			op.Output = toyOutput{res: res}
		} else if res := tags[op.Input.(toyOp).Tag]; res != op.Output.(toyOutput).res {
			t.Errorf("%s: acknowledged with %+v, the log applied it as %+v", op.Input.(toyOp).Tag, op.Output.(toyOutput).res, res)
		}
		ops = append(ops, op)
	}
	t.Logf("history: %d operations, %d acknowledged, %d of unknown outcome (%d of them applied); %d items, next id %d",
		len(h.ops), h.acked, unknown, applied, len(items), next)
	if h.acked == 0 {
		t.Fatal("no operation was acknowledged")
	}
	timeout := testdeadline.Remaining(t) / 2
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(toyModel, ops, timeout)
	t.Logf("porcupine: %v in %v", res, time.Since(start))
	switch res {
	case porcupine.Illegal:
		t.Fatal("the history is not linearizable")
	case porcupine.Unknown:
		t.Fatalf("porcupine could not decide within %v", timeout)
	}
}

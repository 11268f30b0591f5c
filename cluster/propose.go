package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Propose replicates payload through the raft log and returns once the
// entry is committed and applied on this node, with its log index and the
// result of this node's FSM.Apply: a caller that reads this node's state
// afterwards sees the change (read-your-writes), leader or follower.
//
// On a follower the entry is forwarded to the leader over the
// authenticated cluster channel. It is retried, here or at a new leader,
// only while it certainly has not been appended anywhere. Errors:
// ErrNoQuorum when no leader committed it within Config.NoQuorumTimeout
// (the outcome may be unknown: see ErrNoQuorum), ErrShutdown, ErrRejected,
// or ctx's error.
func (n *Node) Propose(ctx context.Context, payload []byte) (uint64, any, error) {
	start := time.Now()
	deadline := start.Add(n.cfg.NoQuorumTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	seq := n.seq.Add(1)
	data := envelope(n.fsm.origin, seq, payload)
	ch := n.fsm.wait(seq)
	defer n.fsm.forget(seq)

	index, err := n.commit(ctx, data, deadline)
	if err != nil {
		return 0, nil, err
	}
	// Committed; wait until this node has applied it too. A follower cut
	// off right now may never apply it, so this wait is bounded as well.
	t := time.NewTimer(n.cfg.NoQuorumTimeout)
	defer t.Stop()
	select {
	case a := <-ch:
		return a.index, a.result, nil
	case <-t.C:
		return 0, nil, fmt.Errorf("%w: committed at index %d but not applied on %s within %v", ErrNoQuorum, index, n.id, n.cfg.NoQuorumTimeout)
	case <-n.done:
		return 0, nil, ErrShutdown
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("cluster: committed at index %d, not yet applied here: %w", index, ctx.Err())
	}
}

// commit gets data committed by the current leader, retrying while that
// is safe, and returns its index.
func (n *Node) commit(ctx context.Context, data []byte, deadline time.Time) (uint64, error) {
	backoff := 5 * time.Millisecond
	var last error
	for {
		addr, id := n.raft.LeaderWithID()
		var index uint64
		var err error
		switch {
		case id == raft.ServerID(n.id):
			index, err = n.applyAsLeader(data, time.Until(deadline))
		case addr != "":
			index, err = n.forward(string(addr), data, deadline)
		default:
			err = errRetry{errors.New("no leader known")}
		}
		var retry errRetry
		if !errors.As(err, &retry) {
			return index, err
		}
		last = retry.cause
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%w: %w within %v (%v)", ErrNoQuorum, errUnsent, n.cfg.NoQuorumTimeout, last)
		}
		wait := min(backoff, time.Until(deadline))
		if err := n.pause(ctx, max(wait, time.Millisecond)); err != nil {
			if errors.Is(err, ErrShutdown) {
				return 0, err
			}
			return 0, fmt.Errorf("cluster: propose: %w (last: %v)", err, last)
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// errUnsent is wrapped in an ErrNoQuorum that certainly did not append
// the entry anywhere.
var errUnsent = errors.New("not appended")

// errRetry marks a failure after which the entry certainly was not
// appended, so proposing it again cannot apply it twice.
type errRetry struct{ cause error }

func (e errRetry) Error() string { return e.cause.Error() }

// applyAsLeader appends data on this node, which believes it leads, and
// waits until it is committed and applied here.
func (n *Node) applyAsLeader(data []byte, timeout time.Duration) (uint64, error) {
	f := n.raft.Apply(data, max(timeout, time.Millisecond))
	err := n.await(f)
	switch {
	case err == nil:
		return f.Index(), nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		return 0, errRetry{err} // never appended
	case errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, ErrShutdown):
		return 0, ErrShutdown
	default:
		// ErrLeadershipLost and anything else: appended, fate unknown.
		return 0, fmt.Errorf("%w: %v", ErrNoQuorum, err)
	}
}

// forward sends data to the leader at addr.
func (n *Node) forward(addr string, data []byte, deadline time.Time) (uint64, error) {
	resp, err := n.rpc.call(addr, rpcRequest{Kind: rpcPropose, Data: data}, deadline)
	if err != nil {
		var ns errNotSent
		if errors.As(err, &ns) {
			return 0, errRetry{err}
		}
		return 0, fmt.Errorf("%w: forward to leader %s: %v", ErrNoQuorum, addr, err)
	}
	return resp.Index, resp.err()
}

// err maps an answer's code to the caller's error.
func (r rpcResponse) err() error {
	switch r.Code {
	case codeOK:
		return nil
	case codeNotLeader:
		return errRetry{fmt.Errorf("not the leader (leader %q): %s", r.Leader, r.Msg)}
	case codeRejected:
		return fmt.Errorf("%w: %s", ErrRejected, r.Msg)
	default:
		return fmt.Errorf("%w: leader: %s", ErrNoQuorum, r.Msg)
	}
}

// handleRPC answers one request from another member.
func (n *Node) handleRPC(req rpcRequest) rpcResponse {
	timeout := n.cfg.NoQuorumTimeout
	if n.raft.State() != raft.Leader {
		addr, _ := n.raft.LeaderWithID()
		return rpcResponse{Code: codeNotLeader, Leader: string(addr), Msg: n.id + " is not the leader"}
	}
	var err error
	var index uint64
	switch req.Kind {
	case rpcPropose:
		if _, _, _, e := openEnvelope(req.Data); e != nil {
			return rpcResponse{Code: codeRejected, Msg: e.Error()}
		}
		f := n.raft.Apply(req.Data, timeout)
		err = n.await(f)
		if err == nil {
			index = f.Index()
		}
	case rpcJoin:
		if req.ID == "" || req.Addr == "" {
			return rpcResponse{Code: codeRejected, Msg: "join needs an id and an address"}
		}
		f := n.raft.AddVoter(raft.ServerID(req.ID), raft.ServerAddress(req.Addr), 0, timeout)
		err = n.await(f)
		if err == nil {
			index = f.Index()
		}
	case rpcRemove:
		if !n.isMember(req.ID) {
			return rpcResponse{Code: codeRejected, Msg: fmt.Sprintf("%q is not a member", req.ID)}
		}
		f := n.raft.RemoveServer(raft.ServerID(req.ID), 0, timeout)
		err = n.await(f)
		if err == nil {
			index = f.Index()
		}
	default:
		return rpcResponse{Code: codeRejected, Msg: fmt.Sprintf("unknown request kind %d", req.Kind)}
	}
	switch {
	case err == nil:
		return rpcResponse{Code: codeOK, Index: index}
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		addr, _ := n.raft.LeaderWithID()
		return rpcResponse{Code: codeNotLeader, Leader: string(addr), Msg: err.Error()}
	default:
		return rpcResponse{Code: codeNoQuorum, Msg: err.Error()}
	}
}

// await waits for a raft future, or for this node's shutdown: raft v1.8.0
// drops futures that are committed but not yet handed to the FSM when it
// shuts down, and their Error would block forever. The goroutine left
// behind then is one per such proposal, at shutdown only.
func (n *Node) await(f raft.Future) error {
	errc := make(chan error, 1)
	go func() { errc <- f.Error() }()
	select {
	case err := <-errc:
		return err
	case <-n.done:
		return ErrShutdown
	}
}

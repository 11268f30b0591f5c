package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Join asks the cluster, through any of the members at addrs (their raft
// addresses), to add this node as a voter. The request is authenticated by
// the cluster secret like every cluster connection; a member that is not
// the leader names the leader, and Join follows. Joining a cluster this node
// already belongs to at the same address is harmless.
//
// It returns ErrNoQuorum when no leader accepted it within
// Config.NoQuorumTimeout (or ctx's deadline), ErrAuth wrapped when the
// members refuse our secret.
func (n *Node) Join(ctx context.Context, addrs []string) error {
	return n.leaderRequest(ctx, addrs, rpcRequest{Kind: rpcJoin, ID: n.id, Addr: n.addr})
}

// Remove asks the leader to remove the member id from the cluster
// configuration. ErrRejected when id is not a member.
func (n *Node) Remove(ctx context.Context, id string) error {
	if _, lid := n.raft.LeaderWithID(); lid == raft.ServerID(n.id) {
		resp := n.handleRPC(rpcRequest{Kind: rpcRemove, ID: id})
		if resp.Code != codeNotLeader {
			return resp.err()
		}
	}
	var addrs []string
	for _, m := range n.Status().Members {
		if m.ID != n.id {
			addrs = append(addrs, m.RaftAddr)
		}
	}
	return n.leaderRequest(ctx, addrs, rpcRequest{Kind: rpcRemove, ID: id})
}

func (n *Node) isMember(id string) bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id {
			return true
		}
	}
	return false
}

// leaderRequest sends req to the leader, found through addrs (tried in
// turn) and the redirects they answer with, until it is answered or the
// no-quorum time runs out.
func (n *Node) leaderRequest(ctx context.Context, addrs []string, req rpcRequest) error {
	if len(addrs) == 0 {
		return errors.New("cluster: no member address to ask")
	}
	deadline := time.Now().Add(n.cfg.NoQuorumTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	backoff := 10 * time.Millisecond
	var last error
	for i := 0; ; i++ {
		target := addrs[i%len(addrs)]
		for hops := 0; hops < 3 && target != ""; hops++ {
			resp, err := n.rpc.call(target, req, deadline)
			if err != nil {
				last = err
				if errors.Is(err, ErrAuth) {
					return fmt.Errorf("cluster: %s refused us: %w", target, err)
				}
				break
			}
			if resp.Code != codeNotLeader {
				return resp.err()
			}
			last = resp.err()
			target = resp.Leader
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no leader answered within %v (last: %v)", ErrNoQuorum, n.cfg.NoQuorumTimeout, last)
		}
		if err := n.pause(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

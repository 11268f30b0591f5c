package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	return leaderRequest(ctx, n.rpc, addrs, rpcRequest{Kind: rpcJoin, ID: n.id, Addr: n.addr}, n.cfg.NoQuorumTimeout, n.done)
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
	return leaderRequest(ctx, n.rpc, addrs, rpcRequest{Kind: rpcRemove, ID: id}, n.cfg.NoQuorumTimeout, n.done)
}

// RemoveMember asks a running cluster, through any of the members at addrs
// (raft addresses), to remove member id, from outside the cluster: what
// `vlogd cluster remove` runs. The connection proves the secret like a
// member's. Errors as Node.Remove, plus ErrWeakSecret.
func RemoveMember(ctx context.Context, secret []byte, addrs []string, id string, timeout time.Duration) error {
	key, err := keyFromSecret(secret)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = defaultNoQuorumTimeout
	}
	d := newDialer(key, 0, slog.New(slog.DiscardHandler))
	defer d.Close()
	rc := &rpcClient{s: d, idle: map[string][]net.Conn{}}
	defer rc.close()
	return leaderRequest(ctx, rc, addrs, rpcRequest{Kind: rpcRemove, ID: id}, timeout, nil)
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
func leaderRequest(ctx context.Context, rc *rpcClient, addrs []string, req rpcRequest, timeout time.Duration, done <-chan struct{}) error {
	if len(addrs) == 0 {
		return errors.New("cluster: no member address to ask")
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	backoff := 10 * time.Millisecond
	var last error
	for i := 0; ; i++ {
		target := addrs[i%len(addrs)]
		for hops := 0; hops < 3 && target != ""; hops++ {
			resp, err := rc.call(target, req, deadline)
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
			return fmt.Errorf("%w: no leader answered within %v (last: %v)", ErrNoQuorum, timeout, last)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return ErrShutdown
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cluster: %w (last: %v)", ctx.Err(), last)
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

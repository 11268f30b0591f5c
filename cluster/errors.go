package cluster

import "errors"

var (
	// ErrAuth is returned when a peer does not prove knowledge of the
	// cluster secret (or refuses ours): the connection is closed.
	ErrAuth = errors.New("cluster: authentication failed")

	// ErrWeakSecret is returned by Open when the cluster secret is shorter
	// than 16 bytes.
	ErrWeakSecret = errors.New("cluster: secret too short")

	// ErrNoQuorum is returned by Propose, Join and Remove when no leader
	// with a quorum committed the request within Config.NoQuorumTimeout
	// (or the context's deadline, if sooner). The change was not
	// acknowledged; if it reached a majority before the leader was lost it
	// may still be applied later, so callers must not assume it was not.
	ErrNoQuorum = errors.New("cluster: no quorum")

	// ErrShutdown is returned for requests made on (or waiting on) a node
	// that has been shut down.
	ErrShutdown = errors.New("cluster: node shut down")

	// ErrRejected is returned when the leader refused a request outright
	// (for example removing a server that is not a member); nothing was
	// applied.
	ErrRejected = errors.New("cluster: request rejected")
)

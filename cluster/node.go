package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Config configures a Node. Zero durations and counts mean the default.
type Config struct {
	// ID is this node's stable name in the cluster (--node-id).
	ID string
	// RaftAddr is the TCP address the cluster transport listens on
	// (--raft-addr). Port 0 picks a free port; Addr reports it.
	RaftAddr string
	// Advertise is the address other members dial; empty means the
	// listener's own address (right unless it listens on 0.0.0.0).
	Advertise string
	// Dir holds the raft log (raft.db) and the raft snapshots.
	Dir string
	// Secret is the shared cluster secret (--cluster-secret-file), at
	// least 16 bytes; a trailing newline is ignored.
	Secret []byte
	// FSM is the state machine every committed entry is applied to.
	FSM FSM
	// Bootstrap makes a node with no raft state on disk start a new
	// one-node cluster of itself. A node with state ignores it.
	Bootstrap bool

	// NoQuorumTimeout bounds how long Propose, Join and Remove wait for a
	// leader with a quorum before ErrNoQuorum (default 3s).
	NoQuorumTimeout time.Duration
	// HandshakeTimeout bounds a peer's TLS and secret handshake (default 5s).
	HandshakeTimeout time.Duration

	// Raft timing and snapshot policy; zero keeps hashicorp/raft's default.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	SnapshotInterval   time.Duration
	SnapshotThreshold  uint64
	TrailingLogs       uint64

	// Logger receives the node's and raft's logs; nil discards them.
	Logger *slog.Logger

	openLog openLogStore // nil: openWAL
}

const defaultNoQuorumTimeout = 3 * time.Second

// Node is one member of a vlogd cluster: raft over the authenticated
// transport, driving an FSM.
type Node struct {
	cfg       Config
	id        string
	addr      string
	logger    *slog.Logger
	stream    *streamLayer
	transport *raft.NetworkTransport
	logs      logStore
	raft      *raft.Raft
	fsm       *fsmAdapter
	rpc       *rpcClient
	seq       atomic.Uint64
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open starts a node: it listens on cfg.RaftAddr, opens the raft state in
// cfg.Dir and joins raft (bootstrapping a one-node cluster when
// cfg.Bootstrap is set and there is no state yet). A node that is new to an
// existing cluster then calls Join.
func Open(cfg Config) (*Node, error) {
	if cfg.ID == "" || cfg.Dir == "" || cfg.FSM == nil {
		return nil, errors.New("cluster: open: ID, Dir and FSM are required")
	}
	key, err := keyFromSecret(cfg.Secret)
	if err != nil {
		return nil, err
	}
	if cfg.NoQuorumTimeout <= 0 {
		cfg.NoQuorumTimeout = defaultNoQuorumTimeout
	}
	if cfg.openLog == nil {
		cfg.openLog = openWAL
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("node", cfg.ID)
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: open: %w", err)
	}
	var origin [8]byte
	rand.Read(origin[:])
	n := &Node{
		cfg:    cfg,
		id:     cfg.ID,
		logger: logger,
		fsm:    &fsmAdapter{fsm: cfg.FSM, origin: binary.BigEndian.Uint64(origin[:]), waiters: map[uint64]chan applied{}},
		done:   make(chan struct{}),
	}
	n.stream, err = newStreamLayer(cfg.RaftAddr, key, cfg.HandshakeTimeout, logger)
	if err != nil {
		return nil, err
	}
	n.stream.onRPC = n.serveRPC
	n.rpc = &rpcClient{s: n.stream, idle: map[string][]net.Conn{}}
	n.addr = cfg.Advertise
	if n.addr == "" {
		n.addr = n.stream.Addr().String()
	}
	if err := n.startRaft(); err != nil {
		n.stream.Close()
		if n.logs != nil {
			n.logs.Close()
		}
		return nil, err
	}
	return n, nil
}

func (n *Node) startRaft() error {
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: slogWriter{n.logger}, Level: hclog.Info})
	logs, err := n.cfg.openLog(n.cfg.Dir)
	if err != nil {
		return err
	}
	n.logs = logs
	snaps, err := raft.NewFileSnapshotStoreWithLogger(n.cfg.Dir, 2, hl)
	if err != nil {
		return fmt.Errorf("cluster: snapshot store: %w", err)
	}
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  n.stream,
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  hl,
	})
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.id)
	rc.Logger = hl
	setIf(&rc.HeartbeatTimeout, n.cfg.HeartbeatTimeout)
	setIf(&rc.ElectionTimeout, n.cfg.ElectionTimeout)
	setIf(&rc.LeaderLeaseTimeout, n.cfg.LeaderLeaseTimeout)
	setIf(&rc.SnapshotInterval, n.cfg.SnapshotInterval)
	setIf(&rc.SnapshotThreshold, n.cfg.SnapshotThreshold)
	setIf(&rc.TrailingLogs, n.cfg.TrailingLogs)
	has, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		return fmt.Errorf("cluster: read raft state: %w", err)
	}
	r, err := raft.NewRaft(rc, n.fsm, logs, logs, snaps, n.transport)
	if err != nil {
		n.transport.Close()
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	n.raft = r
	if !has && n.cfg.Bootstrap {
		f := r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: raft.ServerID(n.id), Address: raft.ServerAddress(n.addr),
		}}})
		if err := f.Error(); err != nil {
			r.Shutdown().Error()
			n.transport.Close()
			return fmt.Errorf("cluster: bootstrap: %w", err)
		}
	}
	return nil
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// ID returns the node's ID.
func (n *Node) ID() string { return n.id }

// Addr returns the address other members dial to reach this node.
func (n *Node) Addr() string { return n.addr }

// Shutdown stops raft, closes the transport and the raft log. Waiting
// Proposes return ErrShutdown. It is safe to call more than once.
func (n *Node) Shutdown() error {
	n.closeOnce.Do(func() {
		close(n.done)
		errs := []error{}
		if err := n.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raft: %w", err))
		}
		n.rpc.close()
		if err := n.transport.Close(); err != nil {
			errs = append(errs, fmt.Errorf("transport: %w", err))
		}
		n.stream.Close()
		if err := n.logs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("raft log: %w", err))
		}
		if len(errs) > 0 {
			n.closeErr = fmt.Errorf("cluster: shutdown: %w", errors.Join(errs...))
		}
	})
	return n.closeErr
}

// wait sleeps for d, or less if the node shuts down or ctx ends.
func (n *Node) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-n.done:
		return ErrShutdown
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slogWriter carries hclog's lines (raft's logging) into slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	msg := string(bytes.TrimSpace(p))
	level := slog.LevelInfo
	switch {
	case bytes.Contains(p, []byte("[ERROR]")):
		level = slog.LevelError
	case bytes.Contains(p, []byte("[WARN]")):
		level = slog.LevelWarn
	case bytes.Contains(p, []byte("[DEBUG]")), bytes.Contains(p, []byte("[TRACE]")):
		level = slog.LevelDebug
	}
	w.l.Log(context.Background(), level, msg, "component", "raft")
	return len(p), nil
}

var _ io.Writer = slogWriter{}

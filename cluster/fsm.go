package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// FSM is the replicated state machine a Node drives: the shape memstore
// will provide. Apply runs on every member, in log order, and must be
// deterministic: everything random or time-dependent is fixed in the
// payload by the proposer; only what apply assigns in order (IDs) may be
// decided by it. Apply, Snapshot and Restore are never called concurrently
// with one another, but a SnapshotWriter runs concurrently with later
// Applies.
type FSM interface {
	// Apply applies one committed payload at raft log index index and
	// returns the result the proposer gets back from Propose.
	Apply(index uint64, payload []byte) any

	// Snapshot captures a consistent view of the state quickly (for
	// memstore: copy the immutable pointers under the lock) and returns
	// a function that streams it to w later, without holding the state
	// lock, while Applies go on.
	Snapshot() (SnapshotWriter, error)

	// Restore replaces the whole state with the snapshot read from r.
	Restore(r io.Reader) error
}

// SnapshotWriter streams a captured state; see FSM.Snapshot.
type SnapshotWriter func(w io.Writer) error

// Every log entry a Node proposes is enveloped so the proposing node can
// recognise its own entry when its FSM applies it, and hand the local
// result to the waiting Propose (read-your-writes on followers):
//
//	offset  size  field
//	0       1     envelope version = 1
//	1       8     origin: random per Node instance, big-endian
//	9       8     proposal number within origin, big-endian
//	17      n     payload handed to FSM.Apply
const (
	envelopeVersion = 1
	envelopeSize    = 17
)

func envelope(origin, seq uint64, payload []byte) []byte {
	b := make([]byte, envelopeSize, envelopeSize+len(payload))
	b[0] = envelopeVersion
	binary.BigEndian.PutUint64(b[1:], origin)
	binary.BigEndian.PutUint64(b[9:], seq)
	return append(b, payload...)
}

// errBadEnvelope is the apply result of an entry that is not a Node's
// envelope. Every member decides the same, so state stays identical.
var errBadEnvelope = errors.New("cluster: log entry without a valid envelope")

func openEnvelope(data []byte) (origin, seq uint64, payload []byte, err error) {
	if len(data) < envelopeSize || data[0] != envelopeVersion {
		return 0, 0, nil, errBadEnvelope
	}
	return binary.BigEndian.Uint64(data[1:]), binary.BigEndian.Uint64(data[9:]), data[envelopeSize:], nil
}

// applied is what a waiting Propose receives once its entry is applied here.
type applied struct {
	index  uint64
	result any
}

// fsmAdapter is the raft.FSM over a user FSM.
type fsmAdapter struct {
	fsm    FSM
	origin uint64

	mu      sync.Mutex
	waiters map[uint64]chan applied
}

func (a *fsmAdapter) wait(seq uint64) chan applied {
	ch := make(chan applied, 1)
	a.mu.Lock()
	a.waiters[seq] = ch
	a.mu.Unlock()
	return ch
}

func (a *fsmAdapter) forget(seq uint64) {
	a.mu.Lock()
	delete(a.waiters, seq)
	a.mu.Unlock()
}

// Apply implements raft.FSM.
func (a *fsmAdapter) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	origin, seq, payload, err := openEnvelope(l.Data)
	if err != nil {
		return err
	}
	res := a.fsm.Apply(l.Index, payload)
	if origin == a.origin {
		a.mu.Lock()
		ch := a.waiters[seq]
		delete(a.waiters, seq)
		a.mu.Unlock()
		if ch != nil {
			ch <- applied{index: l.Index, result: res}
		}
	}
	return res
}

// Snapshot implements raft.FSM.
func (a *fsmAdapter) Snapshot() (raft.FSMSnapshot, error) {
	w, err := a.fsm.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("cluster: snapshot: %w", err)
	}
	return fsmSnapshot(w), nil
}

// Restore implements raft.FSM.
func (a *fsmAdapter) Restore(r io.ReadCloser) error {
	defer r.Close()
	if err := a.fsm.Restore(r); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	return nil
}

type fsmSnapshot SnapshotWriter

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := SnapshotWriter(s)(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("cluster: persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}

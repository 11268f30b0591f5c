package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
)

// toyFSM is the deterministic state machine of the tests: a map of
// id → string. IDs are assigned by apply, in log order, and never reused.
type toyFSM struct {
	mu     sync.RWMutex
	items  map[uint64]string
	nextID uint64
	last   uint64 // last applied index, to catch out-of-order applies
	bad    error  // first invariant violation seen by apply
	// tags maps each applied op's tag to its result, so a test can learn
	// the fate of a proposal whose Propose failed.
	tags map[string]toyResult
}

type toyOp struct {
	Kind  string `json:"k"` // create, edit, delete, get
	Tag   string `json:"t"` // unique per proposal
	ID    uint64 `json:"i,omitempty"`
	Value string `json:"v,omitempty"`
}

type toyResult struct {
	ID    uint64
	Value string
	Found bool
}

func newToyFSM() *toyFSM {
	return &toyFSM{items: map[uint64]string{}, nextID: 1, tags: map[string]toyResult{}}
}

func encodeOp(op toyOp) []byte {
	b, err := json.Marshal(op)
	if err != nil {
		panic(err)
	}
	return b
}

func (f *toyFSM) Apply(index uint64, payload []byte) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if index <= f.last && f.bad == nil {
		f.bad = fmt.Errorf("apply index %d after %d", index, f.last)
	}
	f.last = index
	var op toyOp
	if err := json.Unmarshal(payload, &op); err != nil {
		return err
	}
	res, err := f.apply(op)
	if err != nil {
		return err
	}
	if op.Tag != "" {
		f.tags[op.Tag] = res
	}
	return res
}

func (f *toyFSM) apply(op toyOp) (toyResult, error) {
	switch op.Kind {
	case "create":
		id := f.nextID
		f.nextID++
		f.items[id] = op.Value
		return toyResult{ID: id, Value: op.Value, Found: true}, nil
	case "edit":
		if _, ok := f.items[op.ID]; !ok {
			return toyResult{ID: op.ID}, nil
		}
		f.items[op.ID] = op.Value
		return toyResult{ID: op.ID, Value: op.Value, Found: true}, nil
	case "delete":
		_, ok := f.items[op.ID]
		delete(f.items, op.ID)
		return toyResult{ID: op.ID, Found: ok}, nil
	case "get":
		v, ok := f.items[op.ID]
		return toyResult{ID: op.ID, Value: v, Found: ok}, nil
	}
	return toyResult{}, errors.New("unknown op " + op.Kind)
}

type toyState struct {
	Items  map[uint64]string    `json:"items"`
	NextID uint64               `json:"next"`
	Last   uint64               `json:"last"`
	Tags   map[string]toyResult `json:"tags"`
}

// Snapshot copies the map under the lock and encodes it later, outside it,
// as memstore will with its immutable values.
func (f *toyFSM) Snapshot() (SnapshotWriter, error) {
	f.mu.RLock()
	st := toyState{Items: maps.Clone(f.items), NextID: f.nextID, Last: f.last, Tags: maps.Clone(f.tags)}
	f.mu.RUnlock()
	return func(w io.Writer) error { return json.NewEncoder(w).Encode(st) }, nil
}

func (f *toyFSM) Restore(r io.Reader) error {
	var st toyState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items, f.nextID, f.last, f.tags = st.Items, st.NextID, st.Last, st.Tags
	if f.items == nil {
		f.items = map[uint64]string{}
	}
	if f.tags == nil {
		f.tags = map[string]toyResult{}
	}
	return nil
}

func (f *toyFSM) get(id uint64) (string, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	v, ok := f.items[id]
	return v, ok
}

func (f *toyFSM) copyState() (map[uint64]string, uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.items), f.nextID, f.bad
}

func (f *toyFSM) appliedTags() map[string]toyResult {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.tags)
}

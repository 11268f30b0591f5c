package memstore

import (
	"fmt"
	"slices"
)

// state is everything the log describes. It is guarded by Store.mu; apply is
// its only mutator, so live writes and replay change it the same way.
type state struct {
	nextVlogID uint64           // ID of the next vlog; persisted so IDs are never reused (invariant 2)
	vlogs      map[uint64]*Vlog // live vlogs by ID
	order      []*Vlog          // live vlogs, ascending ID: the newest-first listing read backwards
}

func newState() *state {
	return &state{nextVlogID: 1, vlogs: make(map[uint64]*Vlog)}
}

// result is what applying an op produced, handed back to the writer that
// submitted it.
type result struct {
	vlog *Vlog
	err  error
}

// apply performs o. It is deterministic in o and the current state, which
// is what makes replay exact (invariant 3). An op that is no longer valid
// when its turn comes (a delete of a vlog another request deleted first)
// changes nothing and reports why.
func (st *state) apply(o *op) result {
	switch o.Kind {
	case opCreateVlog:
		v := &Vlog{ID: st.nextVlogID, Title: o.Title, Body: o.Body, Created: o.At, Updated: o.At}
		st.nextVlogID++
		st.vlogs[v.ID] = v
		// IDs only grow, so the new vlog always belongs at the end.
		st.order = append(st.order, v)
		return result{vlog: v}
	case opDeleteVlog:
		if _, ok := st.vlogs[o.ID]; !ok {
			return result{err: ErrNotFound}
		}
		delete(st.vlogs, o.ID)
		st.order = removeVlog(st.order, o.ID)
		return result{}
	}
	return result{err: fmt.Errorf("memstore: unknown op kind %v", o.Kind)}
}

// removeVlog deletes id from list, which is sorted by ascending ID, in
// place. Nobody else holds the backing array: pages and snapshot views copy.
func removeVlog(list []*Vlog, id uint64) []*Vlog {
	if i := indexOf(list, id); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return list
}

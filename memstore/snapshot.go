package memstore

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// snapshotVersion is the version of the payload below. Bump it when the
// layout changes, and keep decoding every older one (testdata/ has a
// fixture of each).
const snapshotVersion = 1

// snapshotHeader starts a snapshot payload. The vlogs follow it one msgpack
// value each, in ascending ID order, so neither writing nor reading needs
// the whole state as one value.
type snapshotHeader struct {
	Version    int    `msgpack:"version"`
	NextVlogID uint64 `msgpack:"next_vlog_id"`
	Vlogs      int    `msgpack:"vlogs"`
}

// view is an immutable copy of the state's structure. The values it points
// to are immutable already, so copying the slice is enough.
type view struct {
	nextVlogID uint64
	vlogs      []*Vlog
}

func (st *state) view() view {
	return view{nextVlogID: st.nextVlogID, vlogs: slices.Clone(st.order)}
}

func (v view) encode(w io.Writer) error {
	enc := msgpack.NewEncoder(w)
	hdr := snapshotHeader{Version: snapshotVersion, NextVlogID: v.nextVlogID, Vlogs: len(v.vlogs)}
	if err := enc.Encode(&hdr); err != nil {
		return fmt.Errorf("memstore: encode snapshot header: %w", err)
	}
	for _, vl := range v.vlogs {
		if err := enc.Encode(vl); err != nil {
			return fmt.Errorf("memstore: encode vlog %d: %w", vl.ID, err)
		}
	}
	return nil
}

func decodeSnapshot(r io.Reader) (*state, error) {
	dec := msgpack.NewDecoder(r)
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	if hdr.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot format version %d not supported (want %d)", hdr.Version, snapshotVersion)
	}
	if hdr.Vlogs < 0 {
		return nil, fmt.Errorf("negative vlog count %d", hdr.Vlogs)
	}
	st := newState()
	st.nextVlogID = hdr.NextVlogID
	// The count comes from the file, so it is not trusted for allocation.
	st.order = make([]*Vlog, 0, min(hdr.Vlogs, 1<<16))
	var last uint64
	for i := 0; i < hdr.Vlogs; i++ {
		v := new(Vlog)
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decode vlog %d of %d: %w", i+1, hdr.Vlogs, err)
		}
		if v.ID <= last || v.ID >= st.nextVlogID {
			return nil, fmt.Errorf("vlog id %d out of order (previous %d, next id %d)", v.ID, last, st.nextVlogID)
		}
		last = v.ID
		st.vlogs[v.ID] = v
		st.order = append(st.order, v)
	}
	return st, nil
}

// Snapshot writes the current state to a new snapshot file and lets the
// log drop the segments it covers. The state is captured under the read
// lock (a slice copy); the writing happens outside it, so readers and
// writers carry on meanwhile.
func (s *Store) Snapshot() error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.mu.RLock()
	v, seq := s.st.view(), s.seq
	s.mu.RUnlock()

	start := time.Now()
	if err := s.log.WriteSnapshot(seq, v.encode); err != nil {
		return fmt.Errorf("memstore: snapshot at seq %d: %w", seq, err)
	}
	s.logger.Info("snapshot written", "seq", seq, "vlogs", len(v.vlogs), "dur", time.Since(start))
	return nil
}

// maybeSnapshot starts a background snapshot when enough log has built up
// since the last one. At most one runs at a time.
func (s *Store) maybeSnapshot() {
	if s.log.SizeSinceSnapshot() < s.snapBytes || !s.snapping.CompareAndSwap(false, true) {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.snapping.Store(false)
		if err := s.Snapshot(); err != nil {
			s.logger.Error("background snapshot failed", "err", err)
		}
	}()
}

package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/vmihailenco/msgpack/v5"

	"vlogd/wal"
)

// walStore is the candidate raft log over vlogd's own wal (the log format
// of the single-node mode, unchanged: this adapter only chooses the
// payloads): every StoreLogs, DeleteRange and Set is one wal record, made
// durable by wal's group commit, then applied to an in-memory copy that
// serves reads. After raft compacts its log, a wal snapshot of the
// remaining entries lets wal drop old segments.
//
// Its records (msgpack, one per wal entry):
//
//	{k: 1, l: [entries]}   append entries (after a gap: start over from them)
//	{k: 2, a: min, b: max} delete the entries min..max (a prefix or a suffix)
//	{k: 3, s: key, v: val} set a stable key
type walStore struct {
	log       *wal.Log
	compactAt int64

	mu     sync.RWMutex
	first  uint64 // index of logs[0]
	logs   []*raft.Log
	stable map[string][]byte
	seq    uint64 // the last wal seq applied to the fields above
}

type walEntry struct {
	Index uint64 `msgpack:"i"`
	Term  uint64 `msgpack:"t"`
	Type  uint8  `msgpack:"y"`
	Data  []byte `msgpack:"d"`
	Ext   []byte `msgpack:"e,omitempty"`
	At    int64  `msgpack:"at"`
}

type walRecord struct {
	Kind uint8      `msgpack:"k"`
	Logs []walEntry `msgpack:"l,omitempty"`
	Min  uint64     `msgpack:"a,omitempty"`
	Max  uint64     `msgpack:"b,omitempty"`
	Key  string     `msgpack:"s,omitempty"`
	Val  []byte     `msgpack:"v,omitempty"`
}

type walState struct {
	Logs   []walEntry        `msgpack:"l"`
	Stable map[string][]byte `msgpack:"s"`
}

const (
	walAppend = 1
	walDelete = 2
	walSet    = 3
)

// errKeyNotFound is what raft expects from a stable store for a key never
// set: it compares the message, as with raft-boltdb.
var errKeyNotFound = errors.New("not found")

func openWAL(dir string) (logStore, error) {
	l, err := wal.Open(filepath.Join(dir, "raftwal"), wal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("cluster: open raft wal: %w", err)
	}
	s := &walStore{log: l, compactAt: 16 << 20, stable: map[string][]byte{}}
	snapSeq, err := l.LoadSnapshot(func(r *wal.SnapshotReader) error {
		p, err := r.Payload()
		if err != nil {
			return err
		}
		var st walState
		if err := msgpack.NewDecoder(p).Decode(&st); err != nil {
			return err
		}
		s.stable = st.Stable
		s.applyAppend(st.Logs)
		return nil
	})
	if err != nil && !errors.Is(err, wal.ErrNoSnapshot) {
		l.Close()
		return nil, fmt.Errorf("cluster: raft wal snapshot: %w", err)
	}
	if s.stable == nil {
		s.stable = map[string][]byte{}
	}
	err = l.Replay(snapSeq, func(seq uint64, payload []byte) error {
		var rec walRecord
		if err := msgpack.Unmarshal(payload, &rec); err != nil {
			return err
		}
		s.apply(rec)
		s.seq = seq
		return nil
	})
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("cluster: raft wal replay: %w", err)
	}
	return s, nil
}

// write makes rec durable and then applies it, in log order.
func (s *walStore) write(rec walRecord) error {
	b, err := msgpack.Marshal(&rec)
	if err != nil {
		return err
	}
	_, err = s.log.Append(b, func(seq uint64) {
		s.mu.Lock()
		s.apply(rec)
		s.seq = seq
		s.mu.Unlock()
	})
	return err
}

func (s *walStore) apply(rec walRecord) {
	switch rec.Kind {
	case walAppend:
		s.applyAppend(rec.Logs)
	case walDelete:
		last := s.first + uint64(len(s.logs)) - 1
		switch {
		case len(s.logs) == 0 || rec.Max < s.first || rec.Min > last:
		case rec.Min <= s.first && rec.Max >= last:
			s.logs, s.first = nil, 0
		case rec.Min <= s.first:
			s.logs = append([]*raft.Log(nil), s.logs[rec.Max-s.first+1:]...)
			s.first = rec.Max + 1
		default:
			s.logs = s.logs[:rec.Min-s.first]
		}
	case walSet:
		s.stable[rec.Key] = rec.Val
	}
}

func (s *walStore) applyAppend(es []walEntry) {
	for _, e := range es {
		l := &raft.Log{Index: e.Index, Term: e.Term, Type: raft.LogType(e.Type), Data: e.Data, Extensions: e.Ext, AppendedAt: time.Unix(0, e.At)}
		switch next := s.first + uint64(len(s.logs)); {
		case len(s.logs) == 0 || e.Index < s.first || e.Index > next:
			s.logs, s.first = []*raft.Log{l}, e.Index
		default: // next, or an overwrite of a suffix
			s.logs = append(s.logs[:e.Index-s.first], l)
		}
	}
}

func (s *walStore) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.logs) == 0 {
		return 0, nil
	}
	return s.first, nil
}

func (s *walStore) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.logs) == 0 {
		return 0, nil
	}
	return s.first + uint64(len(s.logs)) - 1, nil
}

func (s *walStore) GetLog(index uint64, out *raft.Log) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.logs) == 0 || index < s.first || index >= s.first+uint64(len(s.logs)) {
		return raft.ErrLogNotFound
	}
	*out = *s.logs[index-s.first]
	return nil
}

func (s *walStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s *walStore) StoreLogs(logs []*raft.Log) error {
	rec := walRecord{Kind: walAppend, Logs: make([]walEntry, len(logs))}
	for i, l := range logs {
		rec.Logs[i] = walEntry{Index: l.Index, Term: l.Term, Type: uint8(l.Type), Data: l.Data, Ext: l.Extensions, At: l.AppendedAt.UnixNano()}
	}
	return s.write(rec)
}

// DeleteRange deletes a prefix (raft compacting after a snapshot) or a
// suffix (a follower dropping entries a new leader overrides).
func (s *walStore) DeleteRange(min, max uint64) error {
	if err := s.write(walRecord{Kind: walDelete, Min: min, Max: max}); err != nil {
		return err
	}
	if s.log.SizeSinceSnapshot() >= s.compactAt {
		return s.compact()
	}
	return nil
}

// compact writes a wal snapshot of what the log holds now, so wal can
// remove the segments before it.
func (s *walStore) compact() error {
	s.mu.RLock()
	st := walState{Stable: make(map[string][]byte, len(s.stable)), Logs: make([]walEntry, len(s.logs))}
	for k, v := range s.stable {
		st.Stable[k] = v
	}
	for i, l := range s.logs {
		st.Logs[i] = walEntry{Index: l.Index, Term: l.Term, Type: uint8(l.Type), Data: l.Data, Ext: l.Extensions, At: l.AppendedAt.UnixNano()}
	}
	seq := s.seq
	s.mu.RUnlock()
	return s.log.WriteSnapshot(seq, func(w *wal.SnapshotWriter) error {
		return msgpack.NewEncoder(w).Encode(&st)
	})
}

func (s *walStore) Set(key, val []byte) error {
	return s.write(walRecord{Kind: walSet, Key: string(key), Val: val})
}

func (s *walStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.stable[string(key)]
	if !ok {
		return nil, errKeyNotFound
	}
	return v, nil
}

func (s *walStore) SetUint64(key []byte, val uint64) error {
	return s.Set(key, msgpackUint(val))
}

func (s *walStore) GetUint64(key []byte) (uint64, error) {
	b, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	var v uint64
	if err := msgpack.Unmarshal(b, &v); err != nil {
		return 0, fmt.Errorf("cluster: stable key %q: %w", key, err)
	}
	return v, nil
}

func msgpackUint(v uint64) []byte {
	b, _ := msgpack.Marshal(v)
	return b
}

func (s *walStore) Close() error { return s.log.Close() }

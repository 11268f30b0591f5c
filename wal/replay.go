package wal

import (
	"fmt"
	"time"
)

// Replay calls fn, in sequence order, for every durable record with seq >
// after: typically after = the seq of the snapshot just loaded. Only
// complete batches are delivered (Invariant 3). payload is fn's to keep.
//
// Errors: fn's error stops replay and is returned wrapped, naming the seq;
// a *CorruptError if the log does not hold seq after+1 (the records between
// the snapshot and the oldest segment are missing) or if a segment turns out
// damaged; ErrClosed after Close. Call it before the first Append.
func (l *Log) Replay(after uint64, fn func(seq uint64, payload []byte) error) error {
	if l.isClosed() {
		return fmt.Errorf("wal: replay: %w", ErrClosed)
	}
	l.mu.Lock()
	segs := append([]segment(nil), l.segments...)
	activeEnd := l.activeEnd
	l.mu.Unlock()
	start, err := firstSegmentFor(segs, after)
	if err != nil {
		return fmt.Errorf("wal: replay after seq %d: %w", after, err)
	}
	for i := start; i < len(segs); i++ {
		size := int64(-1)
		if i == len(segs)-1 {
			size = activeEnd // the writer may be appending past it
		}
		if err := l.replaySegment(segs[i], size, after, fn); err != nil {
			return err
		}
	}
	return nil
}

// firstSegmentFor returns the index of the segment holding seq after+1, or
// of the active segment if the log ends at after.
func firstSegmentFor(segs []segment, after uint64) (int, error) {
	if len(segs) == 0 || segs[0].first > after+1 {
		s := segment{path: "(none)", first: 0}
		if len(segs) > 0 {
			s = segs[0]
		}
		return 0, &CorruptError{Path: s.path, Seq: after + 1,
			Reason: fmt.Sprintf("log starts at seq %d: records %d..%d are missing", s.first, after+1, s.first-1)}
	}
	i := 0
	for i+1 < len(segs) && segs[i+1].first <= after+1 {
		i++
	}
	return i, nil
}

// replaySegment delivers one segment's records after seq after. Open already
// cut any torn tail, so here every incomplete batch is corruption.
func (l *Log) replaySegment(seg segment, size int64, after uint64, fn func(uint64, []byte) error) error {
	began := time.Now()
	var fnErr error
	s, err := scanSegment(seg, size, false, true, func(recs []Record, _ int64) error {
		for _, r := range recs {
			if r.Seq <= after {
				continue
			}
			if err := fn(r.Seq, r.Data); err != nil {
				fnErr = fmt.Errorf("wal: replay seq %d: %w", r.Seq, err)
				return fnErr
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	l.logger.Info("wal: replayed segment", "path", seg.path, "seq", s.last, "dur", time.Since(began))
	return nil
}

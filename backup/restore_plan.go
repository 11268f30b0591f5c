package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"vlogd/wal"
)

// restorePlan is what Restore will copy, decided before anything is
// written.
type restorePlan struct {
	snap     *wal.SnapshotInfo // nil: the log from seq 1
	segs     []segmentPlan
	last     uint64 // the last seq restored
	lastTime int64  // the commit time of the batch holding it (0: unknown)
	skipped  []*wal.CorruptError
}

// segmentPlan is one DEST segment to restore: its first keep bytes
// verbatim, then, when the restore point falls inside a batch, that batch
// rewritten to end at the point.
type segmentPlan struct {
	path  string
	keep  int64
	cut   *wal.Batch // with Payloads: the entries up to the point
	limit int64      // bytes of the DEST file that DEST/position vouches for
}

// errStop ends a ReadBatches scan at the restore point.
var errStop = errors.New("restore point reached")

// planRestore picks the snapshot and the log range for opts from DEST.
// Damaged snapshots are skipped and listed; damage or a gap in the log the
// point needs is an error naming file and offset.
func planRestore(from string, opts RestoreOptions) (restorePlan, error) {
	var p restorePlan
	if _, err := os.Stat(from); err != nil {
		return p, err
	}
	pos, havePos, err := readPosition(from)
	if err != nil {
		return p, err
	}
	segs, err := wal.Segments(filepath.Join(from, "wal"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return p, err
	}
	snaps, err := wal.Snapshots(filepath.Join(from, "snap"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return p, err
	}
	if len(segs) == 0 && len(snaps) == 0 {
		return p, fmt.Errorf("%s holds no snapshot and no log: %w", from, ErrNoRestorePoint)
	}
	if err := p.pickSnapshot(snaps, opts); err != nil {
		return p, err
	}
	var snapSeq uint64
	if p.snap != nil {
		snapSeq = p.snap.Seq
	}
	limit := func(s wal.SegmentInfo) (int64, error) {
		fi, err := os.Stat(s.Path)
		if err != nil {
			return 0, err
		}
		switch {
		case !havePos:
			return fi.Size(), nil
		case filepath.Base(s.Path) == pos.Segment:
			return min(fi.Size(), pos.Offset), nil
		case s.First > pos.first():
			// Created by a backup that crashed before its position named it:
			// nothing in it is vouched for.
			return min(fi.Size(), wal.SegmentHeaderSize), nil
		}
		return fi.Size(), nil
	}
	if err := p.planLog(segs, snapSeq, limit, opts); err != nil {
		return p, err
	}
	return p, nil
}

// pickSnapshot chooses the newest sound snapshot at or before the point.
func (p *restorePlan) pickSnapshot(snaps []wal.SnapshotInfo, opts RestoreOptions) error {
	for i := len(snaps) - 1; i >= 0; i-- {
		s := snaps[i]
		if (opts.UntilSeq > 0 && s.Seq > opts.UntilSeq) || (!opts.Until.IsZero() && s.Time > opts.Until.UnixNano()) {
			continue
		}
		_, err := wal.CheckSnapshot(s.Path)
		var ce *wal.CorruptError
		if errors.As(err, &ce) {
			p.skipped = append(p.skipped, ce)
			continue
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", s.Path, err)
		}
		p.snap = &snaps[i]
		p.last = s.Seq
		return nil
	}
	return nil
}

// planLog walks the DEST log from the record after the snapshot to the
// restore point.
func (p *restorePlan) planLog(segs []wal.SegmentInfo, snapSeq uint64, limit func(wal.SegmentInfo) (int64, error), opts RestoreOptions) error {
	if opts.UntilSeq > 0 && opts.UntilSeq == snapSeq {
		return nil // the snapshot is the state
	}
	start := -1
	for i, s := range segs {
		if s.First <= snapSeq+1 {
			start = i
		}
	}
	if start < 0 {
		if len(segs) == 0 && opts.UntilSeq == 0 && p.snap != nil {
			return nil // no log: the snapshot is the latest state there is
		}
		where := "(no segment)"
		if len(segs) > 0 {
			where = segs[0].Path
		}
		return fmt.Errorf("the log after seq %d is not in the backup (%s): %w", snapSeq, where, ErrNoRestorePoint)
	}
	until := int64(-1)
	if !opts.Until.IsZero() {
		until = opts.Until.UnixNano()
	}
	last := snapSeq // the last seq the log gives so far (the snapshot's until it reaches past)
	var lastTime int64
	stopped := false
	for i := start; i < len(segs) && !stopped; i++ {
		seg := segs[i]
		if i > start && seg.First != last+1 {
			return fmt.Errorf("gap in the backup's log: %s starts at seq %d but the log before it ends at %d: %w",
				seg.Path, seg.First, last, ErrNoRestorePoint)
		}
		size, err := limit(seg)
		if err != nil {
			return err
		}
		sp := segmentPlan{path: seg.Path, keep: wal.SegmentHeaderSize, limit: size}
		tail, err := wal.ReadBatches(seg.Path, 0, 0, size, false, func(b wal.Batch) error {
			switch {
			case until >= 0 && b.Time > until && b.Last > snapSeq:
				// The first batch committed after the point: the log is cut
				// before it, so what is restored is a prefix of the log.
				stopped = true
				return errStop
			case opts.UntilSeq > 0 && b.Last >= opts.UntilSeq:
				stopped = true
				if b.Last > opts.UntilSeq {
					sp.cut = &b
				} else {
					sp.keep = b.End
				}
				last, lastTime = opts.UntilSeq, b.Time
				return errStop
			}
			sp.keep, last, lastTime = b.End, max(last, b.Last), b.Time
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return fmt.Errorf("the backup's log is damaged where the restore needs it: %w", err)
		}
		if !stopped && (tail.Incomplete != nil || tail.End != size) {
			at := tail.End
			reason := "bytes that are not a complete batch"
			if tail.Incomplete != nil {
				at, reason = tail.Incomplete.Offset, tail.Incomplete.Reason
			}
			return fmt.Errorf("the backup's log is damaged where the restore needs it: %s at offset %d (seq %d): %s",
				seg.Path, at, tail.Last+1, reason)
		}
		if sp.cut != nil {
			sp.cut.Last = max(last, snapSeq)
			if err := loadPayloads(seg.Path, sp.cut); err != nil {
				return err
			}
			sp.keep = sp.cut.Start
		}
		p.segs = append(p.segs, sp)
	}
	if opts.UntilSeq > 0 && last < opts.UntilSeq {
		return fmt.Errorf("the backup holds records up to seq %d, not %d: %w", last, opts.UntilSeq, ErrNoRestorePoint)
	}
	if last <= snapSeq {
		// Nothing after the snapshot (the snapshot loop may have copied a
		// snapshot newer than the log copied so far): the snapshot is the
		// state, and Open starts the log after it.
		if last < snapSeq {
			lastTime = 0 // the log does not say when the snapshot's last change was
		}
		p.segs, last = nil, snapSeq
	}
	if p.snap == nil && last == 0 {
		if opts.Until.IsZero() {
			return fmt.Errorf("the backup holds no change yet: %w", ErrNoRestorePoint)
		}
		return fmt.Errorf("the first change in the backup was committed after %s: %w", opts.Until.Format(time.RFC3339Nano), ErrNoRestorePoint)
	}
	p.last, p.lastTime = last, lastTime
	return nil
}

// loadPayloads reads the entries of the batch b that the restore keeps:
// b.First..b.Last (b.Last was lowered to the restore point).
func loadPayloads(path string, b *wal.Batch) error {
	keepLast := b.Last
	_, err := wal.ReadBatches(path, b.Start, b.First, b.End, true, func(got wal.Batch) error {
		if got.First != b.First || got.Start != b.Start {
			return fmt.Errorf("%s: batch at offset %d changed while restoring", path, b.Start)
		}
		*b = got
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("read the batch to cut at offset %d: %w", b.Start, err)
	}
	b.Payloads = b.Payloads[:keepLast-b.First+1]
	b.Last = keepLast
	return nil
}

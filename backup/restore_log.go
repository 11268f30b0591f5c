package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"vlogd/wal"
)

// restoreLog writes the planned segments into to/wal: each is the DEST
// segment's first keep bytes and, for the one the point falls inside, its
// last batch re-encoded with wal's Encoder so that it ends with a proper
// commit frame at the point (keeping the batch's commit time). Each copy is
// read back with wal.ReadBatches before it is published.
func restoreLog(ctx context.Context, segs []segmentPlan, to string, prog *progress) error {
	var total int64
	for _, s := range segs {
		total += s.keep
	}
	prog.start("log", total)
	for _, s := range segs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := restoreSegment(s, to, prog); err != nil {
			return err
		}
	}
	prog.end()
	return nil
}

func restoreSegment(s segmentPlan, to string, prog *progress) error {
	dst := filepath.Join(to, "wal", filepath.Base(s.path))
	tmp, _, err := copyToTemp(s.path, dst, s.keep, prog)
	if err != nil {
		return fmt.Errorf("copy %s: %w", s.path, err)
	}
	if s.cut != nil {
		if err := appendCutBatch(tmp, s.cut); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("cut %s at seq %d: %w", s.path, s.cut.Last, err)
		}
	}
	tail, err := wal.ReadBatches(tmp, 0, 0, -1, false, func(wal.Batch) error { return nil })
	if err == nil && (tail.Incomplete != nil || tail.End != tail.Size) {
		err = fmt.Errorf("ends in bytes that are not a complete batch at offset %d", tail.End)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("the copy of %s does not verify: %w", s.path, err)
	}
	return publish(tmp, dst)
}

// appendCutBatch appends the entries of b (already trimmed to the point)
// as one batch with b's commit time, and fsyncs.
func appendCutBatch(path string, b *wal.Batch) error {
	frames, err := wal.NewEncoder().AppendBatch(nil, b.First, b.Payloads, b.Time)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(frames)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vlogd/wal"
)

// RestoreOptions choose the point Restore rebuilds. The zero value restores
// the latest state DEST holds.
type RestoreOptions struct {
	// UntilSeq, when non-zero, restores the state right after the record
	// with this sequence number, exactly: a batch it falls inside is
	// rewritten to end there.
	UntilSeq uint64
	// Until, when non-zero, restores the state as of this time: the log is
	// cut before the first batch committed after it.
	Until time.Time
	// Progress, when non-nil, is called about once a second while files are
	// copied, and at the end of each step.
	Progress func(Progress)
}

// Progress is how far a step of a restore has come.
type Progress struct {
	Step        string // "snapshot", "log" or "blobs"
	Done, Total int64  // bytes
}

// RestoreReport says what Restore rebuilt.
type RestoreReport struct {
	From, To    string
	Snapshot    string // the DEST snapshot used ("" when the log from seq 1 was)
	SnapshotSeq uint64
	Segments    []string // the DEST segments restored, in order
	Records     uint64   // log records restored after the snapshot
	LastSeq     uint64   // the last seq restored
	// LastTime is when the batch holding LastSeq was committed; zero when
	// no restored log says (the state is a snapshot alone).
	LastTime time.Time
	// CutBatch says LastSeq fell inside a batch, which was rewritten to end
	// at it.
	CutBatch bool
	// Skipped are the damaged snapshots in DEST that were passed over.
	Skipped      []*wal.CorruptError
	Blobs        int
	BlobBytes    int64
	DamagedBlobs []string // blobs in DEST whose SHA-256 is not their name; not restored
}

// String describes the restore for `vlogd restore`, one fact a line.
func (r RestoreReport) String() string {
	var b strings.Builder
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "DAMAGED  snapshot %s: offset %d, seq %d: %s (skipped)\n", s.Path, s.Offset, s.Seq, s.Reason)
	}
	for _, p := range r.DamagedBlobs {
		fmt.Fprintf(&b, "DAMAGED  blob %s: SHA-256 does not match its name (not restored)\n", p)
	}
	fmt.Fprintf(&b, "restored %s from %s\n", r.To, r.From)
	if r.Snapshot != "" {
		fmt.Fprintf(&b, "snapshot %s (seq %d)\n", r.Snapshot, r.SnapshotSeq)
	} else {
		b.WriteString("snapshot none: the log from seq 1\n")
	}
	fmt.Fprintf(&b, "log      %d records after the snapshot from %d segments", r.Records, len(r.Segments))
	if r.CutBatch {
		b.WriteString(" (the last batch rewritten to end at the point)")
	}
	fmt.Fprintf(&b, "\nlast seq %d\n", r.LastSeq)
	if r.LastTime.IsZero() {
		b.WriteString("last change at an unknown time (no log after the snapshot)\n")
	} else {
		fmt.Fprintf(&b, "last change at %s\n", r.LastTime.UTC().Format(time.RFC3339Nano))
	}
	fmt.Fprintf(&b, "blobs    %d (%d bytes)\n", r.Blobs, r.BlobBytes)
	return b.String()
}

// Restore rebuilds the data directory to (which must be missing or empty)
// from the backup in from, up to the point opts names: the newest sound
// snapshot at or before it, the segments after it cut exactly at the point,
// and every blob (the simplest rule that restores each blob a restored
// vlog references). Every file is written under a temporary name, checked,
// fsynced and renamed; directories are fsynced. The result passes
// wal.Verify, which Restore checks before returning. Restore takes no lock
// and reads DEST's last segment only up to DEST/position, so it may run
// while a backup copies into from.
//
// Errors (wrapped with "backup: restore"): ErrNotEmpty; ErrNoRestorePoint
// when from does not reach the point; damage or a gap in the log the point
// needs, naming file and offset; ErrDamagedBlobs after everything else
// was restored; ctx's error. On any error but ErrDamagedBlobs, what was
// written to to is removed again.
func Restore(ctx context.Context, from, to string, opts RestoreOptions) (RestoreReport, error) {
	r := RestoreReport{From: from, To: to}
	created, err := prepareTarget(from, to)
	if err != nil {
		return r, fmt.Errorf("backup: restore to %s: %w", to, err)
	}
	r, err = restore(ctx, from, to, opts)
	if err != nil && !errors.Is(err, ErrDamagedBlobs) {
		removeTarget(to, created)
	}
	if err != nil {
		return r, fmt.Errorf("backup: restore %s to %s: %w", from, to, err)
	}
	return r, nil
}

// prepareTarget refuses a non-empty target and one nested with from; it
// reports whether the directory is Restore's own to remove on failure.
func prepareTarget(from, to string) (created bool, err error) {
	absFrom, err := filepath.Abs(from)
	if err != nil {
		return false, err
	}
	absTo, err := filepath.Abs(to)
	if err != nil {
		return false, err
	}
	if nested(absFrom, absTo) || nested(absTo, absFrom) {
		return false, fmt.Errorf("the target must lie outside the backup %s", absFrom)
	}
	entries, err := os.ReadDir(to)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		created = true
	case err != nil:
		return false, err
	case len(entries) > 0:
		return false, fmt.Errorf("%s holds %d entries: %w", to, len(entries), ErrNotEmpty)
	}
	if err := mkdirDurable(to); err != nil {
		return created, err
	}
	// The marker goes first and durably: until restore removes it, vlogd
	// refuses the directory, so a restore cut short by a crash or power
	// loss can never pass for a smaller site.
	if err := writeFileDurable(filepath.Join(to, wal.RestoreMarker), []byte("vlogd restore in progress\n")); err != nil {
		return created, err
	}
	for _, d := range []string{filepath.Join(to, "wal"), filepath.Join(to, "snap")} {
		if err := mkdirDurable(d); err != nil {
			return created, err
		}
	}
	return created, nil
}

// removeTarget undoes a failed restore: the target was empty (or missing)
// before, so everything in it is Restore's.
func removeTarget(to string, created bool) {
	if created {
		os.RemoveAll(to)
		return
	}
	entries, _ := os.ReadDir(to)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(to, e.Name()))
	}
}

func restore(ctx context.Context, from, to string, opts RestoreOptions) (RestoreReport, error) {
	r := RestoreReport{From: from, To: to}
	plan, err := planRestore(from, opts)
	r.Skipped = plan.skipped
	if err != nil {
		return r, err
	}
	prog := &progress{fn: opts.Progress}
	if plan.snap != nil {
		if err := restoreSnapshot(ctx, *plan.snap, to, prog); err != nil {
			return r, err
		}
		r.Snapshot, r.SnapshotSeq = plan.snap.Path, plan.snap.Seq
	}
	if err := restoreLog(ctx, plan.segs, to, prog); err != nil {
		return r, err
	}
	for _, s := range plan.segs {
		r.Segments = append(r.Segments, s.path)
		r.CutBatch = r.CutBatch || s.cut != nil
	}
	r.LastSeq, r.Records = plan.last, plan.last-r.SnapshotSeq
	if plan.lastTime != 0 {
		r.LastTime = time.Unix(0, plan.lastTime)
	}
	if err := restoreBlobs(ctx, from, to, prog, &r); err != nil {
		return r, err
	}
	// Everything is durable now (each step synced its files and
	// directories): lift the marker, durably, and check the result.
	if err := os.Remove(filepath.Join(to, wal.RestoreMarker)); err != nil {
		return r, err
	}
	if err := syncDir(to); err != nil {
		return r, err
	}
	// The promise: the result is a sound data directory.
	v, err := wal.Verify(to)
	if err != nil {
		return r, err
	}
	if !v.OK() || v.LastSeq < r.LastSeq {
		return r, fmt.Errorf("the restored directory does not verify:\n%s", v.String())
	}
	if len(r.DamagedBlobs) > 0 {
		return r, fmt.Errorf("%d blobs: %w", len(r.DamagedBlobs), ErrDamagedBlobs)
	}
	return r, nil
}

// restoreSnapshot copies the snapshot, checks the copy and publishes it.
func restoreSnapshot(ctx context.Context, s wal.SnapshotInfo, to string, prog *progress) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return err
	}
	prog.start("snapshot", fi.Size())
	name := filepath.Base(s.Path)
	dst := filepath.Join(to, "snap", name)
	tmp, _, err := copyToTemp(s.Path, dst, -1, prog)
	if err != nil {
		return fmt.Errorf("copy %s: %w", s.Path, err)
	}
	if _, err := wal.CheckSnapshotFile(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("the copy of %s does not verify: %w", s.Path, err)
	}
	prog.end()
	return publish(tmp, dst)
}

// progress counts bytes for a step and calls fn about once a second.
type progress struct {
	fn    func(Progress)
	p     Progress
	shown time.Time
}

func (p *progress) start(step string, total int64) {
	p.p = Progress{Step: step, Total: total}
	p.shown = time.Now()
}

func (p *progress) add(n int64) {
	p.p.Done += n
	if p.fn != nil && time.Since(p.shown) >= time.Second {
		p.shown = time.Now()
		p.fn(p.p)
	}
}

// Write counts bytes written through it (copyToTemp tees into it).
func (p *progress) Write(b []byte) (int, error) {
	p.add(int64(len(b)))
	return len(b), nil
}

func (p *progress) end() {
	if p.fn != nil {
		p.fn(p.p)
	}
}

package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RepairReport says what Repair changed, file by file.
type RepairReport struct {
	Dir string
	// Snapshots are the damaged snapshots moved aside.
	Snapshots []MovedSnapshot
	// Dropped are the stretches of log removed, in seq order: at most one
	// segment cut short, then whole segments.
	Dropped []Dropped
	// SnapshotSeq is the seq of the newest sound snapshot (0: none).
	SnapshotSeq uint64
	// LastSeq is the last seq the repaired directory holds: the end of the
	// kept log, or SnapshotSeq when that is further.
	LastSeq uint64
}

// MovedSnapshot is a damaged snapshot that Repair renamed aside.
type MovedSnapshot struct {
	Path   string // its name before
	Seq    uint64 // the seq it claimed to cover
	Damage *CorruptError
	Copy   string // its name now
}

// Dropped is a stretch of log bytes that Repair removed. The original file
// was copied (or renamed) to Copy first.
type Dropped struct {
	Path   string // the segment
	Offset int64  // where the dropped bytes begin; 0: the whole file was removed
	Bytes  int64  // how many bytes were dropped
	// FirstSeq is the first seq the dropped bytes were to hold; LastSeq the
	// highest seq covered by a checksum-valid commit frame found in them
	// (0 when none could be read): the acknowledged records lost, unless
	// Covered.
	FirstSeq, LastSeq uint64
	// Covered says every record in the dropped bytes is also in the newest
	// sound snapshot: nothing acknowledged was lost with them.
	Covered bool
	Reason  string        // why these bytes went
	Damage  *CorruptError // the damage found in this file, if any
	Copy    string        // where the original is kept
}

// Changed reports whether Repair modified anything.
func (r RepairReport) Changed() bool { return len(r.Snapshots)+len(r.Dropped) > 0 }

// String describes the repair one change per line, for `vlogd repair`.
func (r RepairReport) String() string {
	var b strings.Builder
	if !r.Changed() {
		fmt.Fprintf(&b, "nothing to repair in %s: every snapshot and segment is sound\n", r.Dir)
	}
	for _, s := range r.Snapshots {
		fmt.Fprintf(&b, "moved aside damaged snapshot %s (seq %d): offset %d: %s\n    original kept as %s\n",
			s.Path, s.Seq, s.Damage.Offset, s.Damage.Reason, s.Copy)
	}
	for _, d := range r.Dropped {
		what := fmt.Sprintf("removed  %s (%d bytes)", d.Path, d.Bytes)
		if d.Offset > 0 {
			what = fmt.Sprintf("cut      %s at offset %d: dropped %d bytes", d.Path, d.Offset, d.Bytes)
		}
		fmt.Fprintf(&b, "%s, %s: %s\n    original kept as %s\n", what, d.seqs(), d.Reason, d.Copy)
	}
	if r.Changed() {
		fmt.Fprintf(&b, "the data directory now ends at seq %d", r.LastSeq)
		if r.SnapshotSeq > 0 {
			fmt.Fprintf(&b, " (snapshot at seq %d)", r.SnapshotSeq)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// seqs words the seq range of dropped bytes.
func (d Dropped) seqs() string {
	var s string
	switch {
	case d.LastSeq >= d.FirstSeq && d.LastSeq > 0:
		s = fmt.Sprintf("seq %d..%d", d.FirstSeq, d.LastSeq)
	default:
		s = fmt.Sprintf("from seq %d, no complete batch readable", d.FirstSeq)
	}
	if d.Covered {
		s += ", all covered by the snapshot"
	}
	return s
}

// Repair makes a data directory that Open refuses openable again, keeping
// a copy of everything it removes. It is never run by Open: only by the
// explicit `vlogd repair` command (Invariant 4: nothing is dropped
// silently). It takes the directory's lock.
//
// Damaged snapshots are renamed aside (name.damaged-<unix time>). The log
// is cut at the end of the last complete, checksum-valid batch before the
// first damage (a bad header, a checksum failure, a torn batch in an older
// segment, a seq gap); the damaged segment is copied aside first and later
// segments are renamed aside. Segments whose records the newest sound
// snapshot already covers are not needed: damage there only removes them
// (and the ones before them), and nothing acknowledged is lost. A sound
// directory is left as it is.
//
// Afterwards the directory passes Verify, so Open and Replay succeed. The
// report names every file changed, the offset, the bytes and the seqs
// dropped. Errors: ErrLocked when a server has the directory open; one
// wrapping ErrNewerFormat when a file is from a newer vlogd (not damage:
// nothing is touched); I/O errors, wrapped with the path.
func Repair(dir string, logger *slog.Logger) (RepairReport, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r, err := repair(dir, logger, time.Now())
	if err != nil {
		return r, fmt.Errorf("wal: repair %s: %w", dir, err)
	}
	return r, nil
}

func repair(dir string, logger *slog.Logger, now time.Time) (RepairReport, error) {
	r := RepairReport{Dir: dir}
	if _, err := os.Stat(dir); err != nil {
		return r, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return r, err
	}
	defer unlockDir(lock)
	walDir, snapDir := filepath.Join(dir, "wal"), filepath.Join(dir, "snap")

	damaged, sound, err := checkSnapshotsForRepair(snapDir)
	if err != nil {
		return r, err
	}
	r.SnapshotSeq = sound
	segs, err := listSegments(walDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, err
	}
	plan, err := planLogRepair(segs, sound)
	if err != nil {
		return r, err
	}
	r.LastSeq = max(plan.last, sound)

	// Snapshots first: each is a rename, atomic on its own.
	for _, m := range damaged {
		m.Copy, err = asideName(m.Path, now)
		if err == nil {
			err = os.Rename(m.Path, m.Copy)
		}
		if err != nil {
			return r, fmt.Errorf("move aside %s: %w", m.Path, err)
		}
		logger.Warn("wal: repair moved a damaged snapshot aside", "path", m.Path, "offset", m.Damage.Offset,
			"seq", m.Seq, "copy", m.Copy, "reason", m.Damage.Reason)
		r.Snapshots = append(r.Snapshots, m)
	}
	if len(damaged) > 0 {
		if err := syncDir(snapDir, false); err != nil {
			return r, err
		}
	}
	if err := applyLogPlan(&r, plan, walDir, now, logger); err != nil {
		return r, err
	}
	// The promise is that Open succeeds now: check it the way Verify does.
	after, err := Verify(dir)
	if err != nil {
		return r, err
	}
	if !after.OK() {
		return r, fmt.Errorf("damage remains after repair:\n%s", after.String())
	}
	return r, nil
}

// checkSnapshotsForRepair verifies every snapshot and returns the damaged
// ones and the seq of the newest sound one.
func checkSnapshotsForRepair(snapDir string) (damaged []MovedSnapshot, sound uint64, err error) {
	snaps, err := listSnapshots(snapDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	for _, s := range snaps {
		f, err := os.Open(s.path)
		if err != nil {
			return nil, 0, err
		}
		_, _, err = checkSnapshot(s, f)
		f.Close()
		var ce *CorruptError
		switch {
		case err == nil:
			sound = max(sound, s.seq)
		case errors.As(err, &ce):
			damaged = append(damaged, MovedSnapshot{Path: s.path, Seq: s.seq, Damage: ce})
		default:
			return nil, 0, err // ErrNewerFormat included: not ours to touch
		}
	}
	return damaged, sound, nil
}

// logPlan is what Repair will do to the log.
type logPlan struct {
	cut     *Dropped  // the segment cut short, if any
	removed []Dropped // whole segments to rename aside
	last    uint64    // the last seq of the kept log (0: none kept)
}

// planLogRepair decides, without changing anything, where the log must be
// cut so that every remaining segment is sound and continuous, and
// continues from the snapshot at seq sound.
func planLogRepair(segs []segment, sound uint64) (logPlan, error) {
	var p logPlan
	// Segments wholly covered by the snapshot are not needed; damage in
	// them removes them and every segment before (a gap would remain).
	covered := 0
	for sound > 0 && covered+1 < len(segs) && segs[covered+1].first <= sound+1 {
		covered++
	}
	scans := make([]segmentScan, len(segs))
	damage := make([]error, len(segs))
	dropTo := -1 // segments 0..dropTo are removed
	for i, seg := range segs {
		s, err := scanSegment(seg, -1, true, false, nil)
		if errors.Is(err, ErrNewerFormat) {
			return p, err
		}
		var ce *CorruptError
		if err != nil && !errors.As(err, &ce) {
			return p, err
		}
		if err == nil && s.torn != nil {
			err = s.torn.corrupt("at the end of the segment")
		}
		scans[i], damage[i] = s, err
	}

	// The covered prefix.
	for i := 0; i < covered; i++ {
		switch {
		case damage[i] != nil:
			dropTo = i
		case i > 0 && dropTo < i-1 && segs[i].first != scans[i-1].last+1:
			dropTo = i - 1
		}
	}
	if covered > 0 && dropTo < covered-1 && damage[covered-1] == nil && segs[covered].first != scans[covered-1].last+1 {
		dropTo = covered - 1
	}
	for i := 0; i <= dropTo; i++ {
		p.removed = append(p.removed, wholeSegment(segs[i], damage[i], "covered by the snapshot at seq "+fmt.Sprint(sound), true))
	}

	// The needed rest: keep up to the first damage or gap.
	kept := covered > 0 && dropTo < covered-1 // some covered segment stays
	var last uint64
	if kept {
		last = scans[covered-1].last
	}
	for i := covered; i < len(segs); i++ {
		seg, s := segs[i], scans[i]
		if damage[i] == nil && (kept || seg.first <= sound+1) && (!kept || seg.first == last+1) {
			last, kept = s.last, true
			continue
		}
		var reason string
		switch {
		case !kept && seg.first > sound+1:
			reason = fmt.Sprintf("the log starts at seq %d but the newest sound snapshot covers only up to %d: records %d..%d are missing",
				seg.first, sound, sound+1, seg.first-1)
		case kept && seg.first != last+1:
			reason = fmt.Sprintf("sequence gap: segment starts at seq %d, the log before it ends at %d", seg.first, last)
		case s.end == 0:
			reason = "bad segment header"
		default:
			// Damage inside: keep the complete batches before it.
			ce := asCorrupt(damage[i])
			size := fileSizeOr(seg.path)
			d := Dropped{Path: seg.path, Offset: s.end, Bytes: size - s.end, FirstSeq: s.last + 1,
				Reason: "damaged at offset " + fmt.Sprint(ce.Offset) + ": " + ce.Reason, Damage: ce}
			d.LastSeq = highestCommitIn(seg.path, s.end, size, s.last+1)
			d.Covered = coveredBy(d, sound)
			p.cut, last, kept = &d, s.last, true
			p.removed = append(p.removed, removeRest(segs[i+1:], "after the cut in "+seg.path, sound)...)
			i = len(segs)
			continue
		}
		rest := removeRest(segs[i:], reason, sound)
		if damage[i] != nil {
			rest[0].Damage = asCorrupt(damage[i])
			rest[0].Reason += "; damaged: " + rest[0].Damage.Reason
		}
		p.removed = append(p.removed, rest...)
		break
	}
	p.last = last
	// A kept log that ends before the snapshot cannot continue it: those
	// segments hold nothing the snapshot lacks, so they go too, and Open
	// starts a new segment after the snapshot.
	if kept && last < sound {
		return planAllCovered(segs, dropTo, damage, sound), nil
	}
	return p, nil
}

// planAllCovered removes every segment: the kept log would end before the
// snapshot at seq sound, so the snapshot alone is the state, and Open
// starts a new segment after it.
func planAllCovered(segs []segment, dropTo int, damage []error, sound uint64) logPlan {
	var p logPlan
	for i, seg := range segs {
		reason := fmt.Sprintf("the log ends before the snapshot at seq %d", sound)
		if i <= dropTo {
			reason = fmt.Sprintf("covered by the snapshot at seq %d", sound)
		}
		d := wholeSegment(seg, damage[i], reason, true)
		d.Covered = coveredBy(d, sound)
		p.removed = append(p.removed, d)
	}
	return p
}

// removeRest plans whole segments to go after a cut.
func removeRest(segs []segment, reason string, sound uint64) []Dropped {
	var out []Dropped
	for _, seg := range segs {
		d := wholeSegment(seg, nil, reason, false)
		d.Covered = coveredBy(d, sound)
		out = append(out, d)
	}
	return out
}

// wholeSegment describes removing seg entirely.
func wholeSegment(seg segment, damage error, reason string, covered bool) Dropped {
	size := fileSizeOr(seg.path)
	d := Dropped{Path: seg.path, Bytes: size, FirstSeq: seg.first, Reason: reason, Covered: covered}
	if damage != nil {
		d.Damage = asCorrupt(damage)
		d.Reason = reason + "; damaged: " + d.Damage.Reason
	}
	d.LastSeq = highestCommitIn(seg.path, segHeaderSize, size, 1)
	return d
}

// coveredBy reports whether the dropped bytes held complete batches and
// the snapshot at seq sound holds all of them.
func coveredBy(d Dropped, sound uint64) bool {
	return d.LastSeq > 0 && d.LastSeq <= sound
}

func asCorrupt(err error) *CorruptError {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return ce
	}
	return &CorruptError{Reason: err.Error()}
}

func fileSizeOr(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// highestCommitIn returns the highest seq covered by a checksum-valid
// commit frame in path's bytes [from, size) whose batch starts at minFirst
// or later; 0 when there is none or the file cannot be read. It only
// describes what is dropped, so a read error is not fatal.
func highestCommitIn(path string, from, size int64, minFirst uint64) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	const window = 1 << 20
	buf := make([]byte, min(window+maxCommitFrame, max(size-from, 0)))
	dec := newRecordDecoder()
	var last uint64
	for pos := from; pos+frameHeaderSize+minCommitPayload <= size; pos += window {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return last
		}
		for i := 0; i < min(n, window); i++ {
			if r, ok := commitAt(dec, buf[i:n], minFirst); ok {
				last = max(last, r.Seq)
			}
		}
	}
	return last
}

// applyLogPlan carries out plan: the cut segment is copied aside (and the
// copy made durable) before anything is removed or truncated, so a crash
// midway leaves every original byte somewhere.
func applyLogPlan(r *RepairReport, plan logPlan, walDir string, now time.Time, logger *slog.Logger) error {
	if plan.cut != nil {
		d := plan.cut
		var err error
		if d.Copy, err = asideName(d.Path, now); err != nil {
			return err
		}
		if err := copyFileSynced(d.Path, d.Copy); err != nil {
			return fmt.Errorf("copy %s aside: %w", d.Path, err)
		}
		if err := syncDir(walDir, false); err != nil {
			return err
		}
	}
	for i := len(plan.removed) - 1; i >= 0; i-- {
		d := &plan.removed[i]
		var err error
		if d.Copy, err = asideName(d.Path, now); err == nil {
			err = os.Rename(d.Path, d.Copy)
		}
		if err != nil {
			return fmt.Errorf("move aside %s: %w", d.Path, err)
		}
	}
	if len(plan.removed) > 0 {
		if err := syncDir(walDir, false); err != nil {
			return err
		}
	}
	if plan.cut != nil {
		if err := truncateSynced(plan.cut.Path, plan.cut.Offset); err != nil {
			return err
		}
		r.Dropped = append(r.Dropped, *plan.cut)
	}
	r.Dropped = append(r.Dropped, plan.removed...)
	for _, d := range r.Dropped {
		logger.Warn("wal: repair dropped log bytes", "path", d.Path, "offset", d.Offset, "bytes", d.Bytes,
			"seq", d.FirstSeq, "last_seq", d.LastSeq, "covered", d.Covered, "copy", d.Copy, "reason", d.Reason)
	}
	return nil
}

// asideName is a fresh name beside path for its original:
// path.damaged-<unix time>, with a counter if that is taken.
func asideName(path string, now time.Time) (string, error) {
	base := fmt.Sprintf("%s.damaged-%d", path, now.Unix())
	name := base
	for i := 1; ; i++ {
		_, err := os.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
}

// copyFileSynced copies src to a new file dst and fsyncs it.
func copyFileSynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// truncateSynced cuts path to size and fsyncs it.
func truncateSynced(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("truncate %s to %d: %w", path, size, err)
	}
	return nil
}

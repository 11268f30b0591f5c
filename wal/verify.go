package wal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Report is what Verify found in a data directory.
type Report struct {
	Dir       string
	Snapshots []FileReport // oldest first
	Segments  []FileReport // in seq order
	// LastSeq is the last seq of the last complete batch in the log (the
	// newest snapshot's seq when there is no segment).
	LastSeq uint64
}

// FileReport is the verdict on one snapshot or segment file.
type FileReport struct {
	Path string
	// Seq is the seq a snapshot covers, or a segment's first seq.
	Seq uint64
	// LastSeq is a segment's last complete seq (zero for snapshots).
	LastSeq uint64
	Size    int64
	// Version is a sound snapshot's file format version (1 or 2).
	Version int
	// Damage is nil when the file is sound.
	Damage *CorruptError
	// Torn says Damage is a torn tail of the last segment, which Open
	// truncates on its own (Invariant 4).
	Torn bool
}

// OK reports whether every file is sound: no damage and no torn tail.
func (r Report) OK() bool {
	for _, f := range append(append([]FileReport(nil), r.Snapshots...), r.Segments...) {
		if f.Damage != nil {
			return false
		}
	}
	return true
}

// String renders the report one file per line, for `vlogd verify`.
func (r Report) String() string {
	var b strings.Builder
	line := func(kind string, f FileReport) {
		switch {
		case f.Damage == nil && f.Version != 0:
			fmt.Fprintf(&b, "ok       %s %s (seq %d..%d, %d bytes, format %d)\n", kind, f.Path, f.Seq, max(f.Seq, f.LastSeq), f.Size, f.Version)
		case f.Damage == nil:
			fmt.Fprintf(&b, "ok       %s %s (seq %d..%d, %d bytes)\n", kind, f.Path, f.Seq, max(f.Seq, f.LastSeq), f.Size)
		case f.Torn:
			fmt.Fprintf(&b, "torn     %s %s: offset %d, seq %d: %s\n", kind, f.Path, f.Damage.Offset, f.Damage.Seq, f.Damage.Reason)
		default:
			fmt.Fprintf(&b, "DAMAGED  %s %s: offset %d, seq %d: %s\n", kind, f.Path, f.Damage.Offset, f.Damage.Seq, f.Damage.Reason)
		}
	}
	for _, f := range r.Snapshots {
		line("snapshot", f)
	}
	for _, f := range r.Segments {
		line("segment ", f)
	}
	fmt.Fprintf(&b, "last seq %d\n", r.LastSeq)
	return b.String()
}

// Verify checks every snapshot and segment in dir without locking or
// modifying anything: checksums, headers, batches, seq continuity, and that
// the oldest segment continues from a sound snapshot. Damage is reported in
// the Report; the error is only for I/O problems (dir missing, unreadable).
func Verify(dir string) (Report, error) {
	r := Report{Dir: dir}
	if _, err := os.Stat(dir); err != nil {
		return r, fmt.Errorf("wal: verify %s: %w", dir, err)
	}
	if err := checkRestoreMarker(dir); err != nil {
		return r, fmt.Errorf("wal: verify: %w", err)
	}
	sound, err := r.verifySnapshots(filepath.Join(dir, "snap"))
	if err != nil {
		return r, fmt.Errorf("wal: verify %s: %w", dir, err)
	}
	if err := r.verifySegments(filepath.Join(dir, "wal"), sound); err != nil {
		return r, fmt.Errorf("wal: verify %s: %w", dir, err)
	}
	return r, nil
}

// verifySnapshots fills r.Snapshots and returns the newest sound seq.
func (r *Report) verifySnapshots(snapDir string) (newestSound uint64, err error) {
	snaps, err := listSnapshots(snapDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, s := range snaps {
		fr := FileReport{Path: s.path, Seq: s.seq}
		sr, err := openSnapshotFile(s)
		if err == nil {
			err = sr.Verify()
			fr.Size, fr.Version = sr.PayloadSize(), sr.Version
			sr.Close()
		}
		if fr.Damage, err = asDamage(s.path, s.seq, err); err != nil {
			return 0, err
		}
		if fr.Damage == nil {
			newestSound = max(newestSound, s.seq)
		}
		r.Snapshots = append(r.Snapshots, fr)
		r.LastSeq = max(r.LastSeq, s.seq)
	}
	return newestSound, nil
}

// verifySegments fills r.Segments; sound is the newest sound snapshot seq.
func (r *Report) verifySegments(walDir string, sound uint64) error {
	segs, err := listSegments(walDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var prev *FileReport
	for i, seg := range segs {
		isLast := i == len(segs)-1
		s, err := scanSegment(seg, -1, isLast, false, nil)
		fr := FileReport{Path: seg.path, Seq: seg.first, LastSeq: s.last, Size: s.size}
		if fr.Damage, err = asDamage(seg.path, seg.first, err); err != nil {
			return err
		}
		if s.torn != nil && fr.Damage == nil {
			fr.Damage, fr.Torn = &CorruptError{Path: seg.path, Offset: s.torn.Offset, Seq: s.torn.Seq,
				Reason: "torn tail (Open truncates it): " + s.torn.Reason}, true
		}
		if fr.Damage == nil {
			fr.Damage = continuityDamage(seg, prev, sound)
		}
		r.Segments = append(r.Segments, fr)
		prev = &r.Segments[len(r.Segments)-1]
		if isLast {
			r.LastSeq = max(r.LastSeq, s.last)
		}
	}
	return nil
}

// continuityDamage reports a seq gap before seg: after the previous segment,
// or, for the oldest segment, after the newest sound snapshot.
func continuityDamage(seg segment, prev *FileReport, sound uint64) *CorruptError {
	switch {
	case prev == nil && seg.first > sound+1:
		return &CorruptError{Path: seg.path, Seq: sound + 1,
			Reason: fmt.Sprintf("log starts at seq %d but the newest sound snapshot covers only up to %d", seg.first, sound)}
	case prev != nil && prev.Damage == nil && seg.first != prev.LastSeq+1:
		return &CorruptError{Path: seg.path, Seq: prev.LastSeq + 1,
			Reason: fmt.Sprintf("sequence gap: segment starts at seq %d, previous ends at %d", seg.first, prev.LastSeq)}
	}
	return nil
}

// asDamage sorts a check's error into damage to report or an I/O error.
func asDamage(path string, seq uint64, err error) (*CorruptError, error) {
	var ce *CorruptError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &ce):
		return ce, nil
	case errors.Is(err, ErrNewerFormat):
		return &CorruptError{Path: path, Seq: seq, Reason: err.Error()}, nil
	}
	return nil, err
}

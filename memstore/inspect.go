package memstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"vlogd/wal"
)

// Inspection is what Inspect found in a data directory.
type Inspection struct {
	LastSeq uint64   // last sequence number applied
	Vlogs   int      // live vlogs
	Users   int      // accounts
	Blobs   []string // media blobs the vlogs reference (videos, posters, renditions), sorted
}

// Inspect loads the state of the data directory dir read-only: it takes no
// lock and changes nothing, so it may run beside a server. It uses the
// newest snapshot that verifies and the complete batches after it; an
// incomplete batch at the end (a write in flight, or a torn tail Open would
// cut) is left out. Damage is an error naming file and offset: run wal's
// Verify for the full report.
func Inspect(dir string) (Inspection, error) {
	st, seq, err := inspectSnapshot(filepath.Join(dir, "snap"))
	if err != nil {
		return Inspection{}, err
	}
	segs, err := wal.Segments(filepath.Join(dir, "wal"))
	if err != nil {
		return Inspection{}, fmt.Errorf("memstore: inspect: %w", err)
	}
	for i, seg := range segs {
		if i+1 < len(segs) && segs[i+1].First <= seq+1 {
			continue // wholly covered by the snapshot
		}
		_, err := wal.ReadBatches(seg.Path, wal.SegmentHeaderSize, seg.First, -1, true, func(b wal.Batch) error {
			for j, payload := range b.Payloads {
				s := b.First + uint64(j)
				if s <= seq {
					continue
				}
				if s != seq+1 {
					return fmt.Errorf("memstore: inspect %s: seq %d follows %d", seg.Path, s, seq)
				}
				o, err := decodeOp(payload)
				if err != nil {
					return fmt.Errorf("memstore: inspect %s seq %d: %w", seg.Path, s, err)
				}
				st.apply(o)
				seq = s
			}
			return nil
		})
		if err != nil {
			return Inspection{}, fmt.Errorf("memstore: inspect: %w", err)
		}
	}
	in := Inspection{LastSeq: seq, Vlogs: len(st.vlogs), Users: len(st.users)}
	for _, v := range st.order {
		if v.Video != nil {
			in.Blobs = append(in.Blobs, v.Video.Blobs()...)
		}
	}
	slices.Sort(in.Blobs)
	in.Blobs = slices.Compact(in.Blobs)
	return in, nil
}

// inspectSnapshot decodes the newest snapshot in snapDir that verifies, or
// returns an empty state when there is none.
func inspectSnapshot(snapDir string) (*state, uint64, error) {
	snaps, err := wal.Snapshots(snapDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("memstore: inspect: %w", err)
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		r, err := wal.OpenSnapshot(snaps[i].Path)
		var st *state
		if err == nil {
			st, err = loadSnapshot(r, nil)
			r.Close()
		}
		var ce *wal.CorruptError
		if errors.As(err, &ce) {
			continue // verify reports it; Open would fall back the same way
		}
		if err != nil {
			return nil, 0, fmt.Errorf("memstore: inspect %s: %w", snaps[i].Path, err)
		}
		return st, snaps[i].Seq, nil
	}
	return newState(), 0, nil
}

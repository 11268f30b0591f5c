package memstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"vlogd/wal"
)

// ReferencedBlobs returns every media blob (video, poster, rendition) that anything
// kept under dir names: the vlogs of every snapshot that verifies, and every
// record of every segment, whatever its seq. A backup keeps exactly these,
// since a point-in-time restore may reach any snapshot and any record it
// holds. Damaged snapshots are skipped (a restore skips them too); a record
// that does not decode is an error, and nothing should be removed then.
func ReferencedBlobs(dir string) (map[string]bool, error) {
	refs := map[string]bool{}
	add := func(v *Video) {
		if v != nil {
			for _, h := range v.Blobs() {
				refs[h] = true
			}
		}
	}
	snaps, err := wal.Snapshots(filepath.Join(dir, "snap"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("memstore: referenced blobs: %w", err)
	}
	for _, s := range snaps {
		r, err := wal.OpenSnapshot(s.Path)
		var st *state
		if err == nil {
			st, err = loadSnapshot(r, nil)
			r.Close()
		}
		var ce *wal.CorruptError
		if errors.As(err, &ce) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("memstore: referenced blobs %s: %w", s.Path, err)
		}
		for _, v := range st.order {
			add(v.Video)
		}
	}
	segs, err := wal.Segments(filepath.Join(dir, "wal"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("memstore: referenced blobs: %w", err)
	}
	for _, seg := range segs {
		_, err := wal.ReadBatches(seg.Path, wal.SegmentHeaderSize, seg.First, -1, true, func(b wal.Batch) error {
			for j, payload := range b.Payloads {
				o, err := decodeOp(payload)
				if err != nil {
					return fmt.Errorf("seq %d: %w", b.First+uint64(j), err)
				}
				// Every blob any record names: a new video, a poster,
				// renditions (opSetPoster and the job ops name them
				// outside a Video).
				add(o.Video)
				for _, h := range []string{o.Hash, o.Poster} {
					if h != "" {
						refs[h] = true
					}
				}
				for _, r := range o.Renditions {
					refs[r.Hash] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("memstore: referenced blobs %s: %w", seg.Path, err)
		}
	}
	return refs, nil
}

package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"vlogd/wal"
)

// positionFile is DEST's record of how far the log has been copied.
const positionFile = "position"

// position says how far the log is copied: DEST/wal/Segment holds whole,
// verified batches up to byte Offset, the last ending at seq Seq. Bytes of
// that segment past Offset are an interrupted append. The zero value means
// nothing has been copied.
type position struct {
	Segment string `json:"segment"`
	Offset  int64  `json:"offset"`
	Seq     uint64 `json:"seq"`
}

// first is the first seq of the position's segment.
func (p position) first() uint64 {
	first, _ := wal.ParseSegmentName(p.Segment)
	return first
}

// readPosition reads DEST/position; ok is false when there is none yet.
// A file that does not parse is damage in DEST and is reported, never
// guessed around.
func readPosition(dest string) (p position, ok bool, err error) {
	path := filepath.Join(dest, positionFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return position{}, false, nil
	}
	if err != nil {
		return position{}, false, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return position{}, false, fmt.Errorf("%s is damaged: %w", path, err)
	}
	first, named := wal.ParseSegmentName(p.Segment)
	if !named || p.Offset < wal.SegmentHeaderSize || p.Seq+1 < first {
		return position{}, false, fmt.Errorf("%s is damaged: segment %q offset %d seq %d", path, p.Segment, p.Offset, p.Seq)
	}
	return p, true, nil
}

// writePosition replaces DEST/position durably (temporary file, fsync,
// rename, directory fsync), after the bytes it vouches for are fsynced.
func writePosition(dest string, p position) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return writeFileDurable(filepath.Join(dest, positionFile), append(b, '\n'))
}

// LastCopied returns the last seq durable in DEST, the furthest a restore
// of the latest state reaches in the log (0 before anything was copied). It
// reads DEST/position without taking DEST's lock, so it may watch a running
// backup. Errors: a damaged position file, I/O errors.
func LastCopied(dest string) (uint64, error) {
	p, _, err := readPosition(dest)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return p.Seq, nil
}

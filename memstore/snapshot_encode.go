package memstore

import (
	"encoding/binary"
	"fmt"
	"runtime"

	"vlogd/wal"
)

// chunkTarget is about how many bytes of rows go in one chunk: small enough
// that a million vlogs make hundreds of chunks to share out among the
// cores on load, large enough that the per-chunk cost (a header, a CRC, a
// hand-off) is noise.
const chunkTarget = 1 << 20

// chunkEncoder cuts each section's rows into chunks. A chunk is
//
//	uvarint section, uvarint row count, rows
//
// and holds rows of one section only, so chunks decode independently.
type chunkEncoder struct {
	w       *wal.SnapshotWriter
	sec     sectionID
	rows    []byte
	n       int
	chunk   []byte
	scratch rowWriter
}

func newChunkEncoder(w *wal.SnapshotWriter) *chunkEncoder {
	return &chunkEncoder{w: w, rows: make([]byte, 0, chunkTarget+64<<10)}
}

// section starts the rows of sec, ending the previous section's chunk.
func (e *chunkEncoder) section(sec sectionID) error {
	err := e.flush()
	e.sec = sec
	return err
}

// row adds the row fill writes to the current section.
func (e *chunkEncoder) row(fill func(w *rowWriter)) error {
	e.scratch.b = e.scratch.b[:0]
	fill(&e.scratch)
	if e.scratch.err != nil {
		return fmt.Errorf("memstore: encode section %d row %d: %w", e.sec, e.n, e.scratch.err)
	}
	e.rows = binary.AppendUvarint(e.rows, uint64(len(e.scratch.b)))
	e.rows = append(e.rows, e.scratch.b...)
	e.n++
	if len(e.rows) >= chunkTarget {
		return e.flush()
	}
	return nil
}

// flush writes the rows gathered so far as one chunk.
func (e *chunkEncoder) flush() error {
	if e.n == 0 {
		return nil
	}
	e.chunk = binary.AppendUvarint(e.chunk[:0], uint64(e.sec))
	e.chunk = binary.AppendUvarint(e.chunk, uint64(e.n))
	e.chunk = append(e.chunk, e.rows...)
	e.rows, e.n = e.rows[:0], 0
	if err := e.w.WriteChunk(e.chunk); err != nil {
		return fmt.Errorf("memstore: write section %d: %w", e.sec, err)
	}
	// Encoding is CPU work on a snapshot's behalf; let the goroutines
	// that answer requests and commit the log have the core between
	// chunks.
	runtime.Gosched()
	return nil
}

// encodeRows writes items as the rows of section sec.
func encodeRows[T any](e *chunkEncoder, sec sectionID, items []T, appendRow func(*rowWriter, T)) error {
	if err := e.section(sec); err != nil {
		return err
	}
	for _, it := range items {
		if err := e.row(func(w *rowWriter) { appendRow(w, it) }); err != nil {
			return err
		}
	}
	return nil
}

// encode writes the view as a format 2 snapshot: the meta chunk, then each
// section in the order of sectionID (doc.go).
func (v *view) encode(w *wal.SnapshotWriter) error {
	e := newChunkEncoder(w)
	m := v.meta()
	if err := encodeRows(e, sectionMeta, []*meta{&m}, appendMeta); err != nil {
		return err
	}
	if err := encodeRows(e, sectionUsers, v.users, appendUser); err != nil {
		return err
	}
	if err := encodeRows(e, sectionSessions, v.sessions, appendSession); err != nil {
		return err
	}
	if err := encodeRows(e, sectionVlogs, v.vlogs, appendVlog); err != nil {
		return err
	}
	if err := encodeRows(e, sectionComments, v.comments, appendComment); err != nil {
		return err
	}
	if err := encodeRows(e, sectionLikes, v.likes, appendLike); err != nil {
		return err
	}
	if err := encodeRows(e, sectionInvites, v.invites, appendInvite); err != nil {
		return err
	}
	return e.flush()
}

package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"sync"
)

const (
	// snapSyncChunk: a snapshot is fdatasynced every this many bytes so the
	// kernel never holds much of it dirty; otherwise the log's next fsync
	// could wait for the whole snapshot to reach the disk (Invariant 6).
	snapSyncChunk = 4 << 20
	// snapMaxDirty bounds the bytes written but not yet synced: the
	// writer waits for the syncer beyond it.
	snapMaxDirty = 3 * snapSyncChunk
	// snapAutoChunk: Write cuts a chunk once it holds this many bytes.
	snapAutoChunk = 1 << 20
)

// SnapshotWriter writes a version 2 snapshot's chunks; WriteSnapshot hands
// one to its write func. A chunk is what a reader verifies and decodes as a
// unit, so callers that decode in parallel make each chunk self-contained
// with WriteChunk. Write is for callers that just stream bytes: it gathers
// them into chunks of about 1 MiB, never splitting one Write call. A
// separate goroutine fdatasyncs the file every 4 MiB while writing goes on,
// so neither the encoding nor the log's fsyncs wait for the whole file.
type SnapshotWriter struct {
	f      *os.File
	cur    []byte // Write's chunk in progress
	count  uint64
	hdrSum uint32
	sync   *chunkSyncer // nil with NoSync
	err    error        // sticky
}

// Write appends p to the chunk in progress, cutting it once it reaches
// about 1 MiB. p longer than MaxSnapshotChunk is refused.
func (w *SnapshotWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(w.cur)+len(p) > MaxSnapshotChunk {
		if err := w.EndChunk(); err != nil {
			return 0, err
		}
		if len(p) > MaxSnapshotChunk {
			return 0, fmt.Errorf("wal: snapshot write of %d bytes exceeds the chunk maximum %d", len(p), MaxSnapshotChunk)
		}
	}
	w.cur = append(w.cur, p...)
	if len(w.cur) >= snapAutoChunk {
		return len(p), w.EndChunk()
	}
	return len(p), nil
}

// EndChunk ends the chunk Write was gathering, if any.
func (w *SnapshotWriter) EndChunk() error {
	if len(w.cur) == 0 {
		return w.err
	}
	err := w.writeFrame(w.cur)
	w.cur = w.cur[:0]
	return err
}

// WriteChunk ends any chunk in progress and writes p (1 to
// MaxSnapshotChunk bytes) as one chunk. p may be reused once it returns.
func (w *SnapshotWriter) WriteChunk(p []byte) error {
	if err := w.EndChunk(); err != nil {
		return err
	}
	if len(p) == 0 || len(p) > MaxSnapshotChunk {
		return fmt.Errorf("wal: snapshot chunk of %d bytes out of range", len(p))
	}
	return w.writeFrame(p)
}

func (w *SnapshotWriter) writeFrame(p []byte) error {
	if w.err != nil {
		return w.err
	}
	var hdr [chunkHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(p)))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(p, castagnoli))
	w.hdrSum = crc32.Update(w.hdrSum, castagnoli, hdr[:])
	w.count++
	w.err = w.write(hdr[:])
	if w.err == nil {
		w.err = w.write(p)
	}
	return w.err
}

func (w *SnapshotWriter) write(p []byte) error {
	if _, err := w.f.Write(p); err != nil {
		return err
	}
	if w.sync != nil {
		return w.sync.wrote(len(p))
	}
	return nil
}

// finish writes the end frame and waits for the syncer.
func (w *SnapshotWriter) finish() error {
	if err := w.EndChunk(); err != nil {
		return err
	}
	end := make([]byte, 4, snap2EndSize)
	end = binary.LittleEndian.AppendUint64(end, w.count)
	end = binary.LittleEndian.AppendUint32(end, w.hdrSum)
	if err := w.write(end); err != nil {
		return err
	}
	if w.sync == nil {
		return nil
	}
	if err := w.sync.stop(); err != nil {
		return err
	}
	return w.f.Sync()
}

// chunkSyncer fdatasyncs a file on its own goroutine every snapSyncChunk
// bytes written, and holds the writer back when more than snapMaxDirty
// bytes are unsynced.
type chunkSyncer struct {
	f         *os.File
	mu        sync.Mutex
	cond      *sync.Cond
	written   int64 // bytes written so far
	requested int64 // written when the last sync was asked for
	synced    int64 // written when the last completed sync began
	pending   bool  // a sync is asked for or running
	stopped   bool
	err       error
	done      chan struct{}
}

func newChunkSyncer(f *os.File) *chunkSyncer {
	s := &chunkSyncer{f: f, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.run()
	return s
}

func (s *chunkSyncer) run() {
	defer close(s.done)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for !s.pending && !s.stopped {
			s.cond.Wait()
		}
		if !s.pending {
			return
		}
		upTo := s.written
		s.mu.Unlock()
		err := fdatasync(s.f)
		s.mu.Lock()
		s.pending = false
		s.synced = upTo
		if err != nil && s.err == nil {
			s.err = err
		}
		s.cond.Broadcast()
	}
}

// wrote records n more bytes written, asks for a sync every
// snapSyncChunk bytes and waits while too much is unsynced.
func (s *chunkSyncer) wrote(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written += int64(n)
	if s.written-s.requested >= snapSyncChunk && !s.pending {
		s.requested, s.pending = s.written, true
		s.cond.Broadcast()
	}
	for s.err == nil && s.written-s.synced > snapMaxDirty {
		if !s.pending {
			s.requested, s.pending = s.written, true
			s.cond.Broadcast()
		}
		s.cond.Wait()
	}
	return s.err
}

// stop waits for a running sync and ends the goroutine.
func (s *chunkSyncer) stop() error {
	s.mu.Lock()
	s.stopped = true
	s.cond.Broadcast()
	s.mu.Unlock()
	<-s.done
	return s.err
}

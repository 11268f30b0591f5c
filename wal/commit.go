package wal

import (
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// maxBatchBytes bounds how many payload bytes one group commit gathers, so
// one huge burst does not make a single write unbounded.
const maxBatchBytes = 4 << 20

// appendReq is one waiting Append.
type appendReq struct {
	payload []byte
	apply   func(seq uint64)
	done    chan appendResult // buffered: the writer never blocks on it
}

type appendResult struct {
	seq uint64
	err error
}

// writer is the state owned by the writer goroutine.
type writer struct {
	file     File
	path     string
	size     int64 // bytes durable in file (a batch boundary)
	enc      *Encoder
	buf      []byte
	payloads [][]byte
	batch    []*appendReq
}

// Append writes payload as the next record and returns its sequence number
// once it is durable. Appends that arrive while the previous fdatasync runs
// are written together with one write and one fdatasync (group commit).
// After the sync, on the writer goroutine and in sequence order, each
// record's apply (if non-nil) is called with its seq; only then are the
// waiters released. apply must be quick and must not call Append.
//
// payload must not be modified until Append returns. Errors: ErrTooLarge
// (nothing written, log healthy); an error wrapping ErrBroken and the cause
// if this or an earlier write or fsync failed; ErrClosed after Close.
func (l *Log) Append(payload []byte, apply func(seq uint64)) (uint64, error) {
	if len(payload) > MaxRecordSize {
		return 0, fmt.Errorf("wal: append %d bytes: %w", len(payload), ErrTooLarge)
	}
	if err := l.Err(); err != nil {
		return 0, fmt.Errorf("wal: append: %w", err)
	}
	req := &appendReq{payload: payload, apply: apply, done: make(chan appendResult, 1)}
	l.closeMu.RLock()
	if l.closed {
		l.closeMu.RUnlock()
		return 0, fmt.Errorf("wal: append: %w", ErrClosed)
	}
	l.reqs <- req
	l.closeMu.RUnlock()
	res := <-req.done
	if res.err != nil {
		return 0, fmt.Errorf("wal: append: %w", res.err)
	}
	return res.seq, nil
}

// run is the writer goroutine: take one request, gather every other request
// already waiting, commit them as one batch; repeat until Close.
func (l *Log) run() {
	defer close(l.done)
	for req := range l.reqs {
		l.w.batch = l.gather(append(l.w.batch[:0], req))
		l.commit(l.w.batch)
		clear(l.w.batch) // drop references to payloads
	}
}

// gather adds the requests queued while the previous batch was syncing,
// without waiting for more: group commit never delays a lone writer.
func (l *Log) gather(batch []*appendReq) []*appendReq {
	n := len(batch[0].payload)
	for n < maxBatchBytes {
		select {
		case req, ok := <-l.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, req)
			n += len(req.payload)
		default:
			return batch
		}
	}
	return batch
}

// commit writes, syncs, applies and acknowledges one batch.
func (l *Log) commit(batch []*appendReq) {
	if err := l.Err(); err != nil {
		release(batch, 0, err)
		return
	}
	if err := l.rollIfFull(); err != nil {
		release(batch, 0, err)
		return
	}
	if err := l.checkLinked(); err != nil {
		release(batch, 0, err)
		return
	}
	first := l.lastSeq.Load() + 1
	if err := l.writeBatch(first, batch); err != nil {
		release(batch, 0, err)
		return
	}
	last := first + uint64(len(batch)) - 1
	l.lastSeq.Store(last)
	// Invariant 3: in-memory state changes in exactly log order, and only
	// for records already durable.
	for i, req := range batch {
		if req.apply != nil {
			req.apply(first + uint64(i))
		}
	}
	// Invariant 1: waiters are released only after fdatasync returned.
	release(batch, first, nil)
}

// release answers every request of a batch: seqs from first, or err.
func release(batch []*appendReq, first uint64, err error) {
	for i, req := range batch {
		if err != nil {
			req.done <- appendResult{err: err}
			continue
		}
		req.done <- appendResult{seq: first + uint64(i)}
	}
}

// writeBatch encodes the batch, writes it with one write, and fdatasyncs.
// On failure the segment is cut back to the last good offset and the log
// is broken (Invariant 5).
func (l *Log) writeBatch(first uint64, batch []*appendReq) error {
	w := &l.w
	w.payloads = w.payloads[:0]
	for _, req := range batch {
		w.payloads = append(w.payloads, req.payload)
	}
	var err error
	w.buf, err = w.enc.AppendBatch(w.buf[:0], first, w.payloads, l.opts.Now().UnixNano())
	clear(w.payloads)
	if err != nil {
		return err // an encoding failure wrote nothing; the log stays healthy
	}
	n, err := w.file.Write(w.buf)
	if err == nil && n != len(w.buf) {
		err = fmt.Errorf("%w: %d of %d bytes", errShortWrite, n, len(w.buf))
	}
	if err != nil {
		if isNoSpace(err) {
			return l.noSpace("write", err)
		}
		return l.fail("write", err)
	}
	// Invariant 6: no lock is held here; readers never wait for the disk.
	syncStart := time.Now()
	if err := w.file.Sync(); err != nil {
		return l.fail("fdatasync", err)
	}
	if l.opts.ObserveBatch != nil {
		l.opts.ObserveBatch(len(batch), time.Since(syncStart))
	}
	w.size += int64(len(w.buf))
	l.clearNoSpace()
	l.mu.Lock()
	l.activeEnd = w.size
	l.sizes.add(first+uint64(len(batch))-1, int64(len(w.buf)))
	l.mu.Unlock()
	if cap(w.buf) > 2*maxBatchBytes {
		w.buf = nil // do not pin one huge batch's buffer forever
	}
	return nil
}

// fail breaks the log after a failed write or fsync of the active segment.
// Invariant 5: the batch is not acknowledged, the segment is cut back to the
// last good offset (a short write or ENOSPC leaves no partial batch), and
// every later append is refused until restart. The cause is logged once.
func (l *Log) fail(op string, cause error) error {
	w := &l.w
	broken := fmt.Errorf("%w: %s %s at offset %d: %w", ErrBroken, op, w.path, w.size, cause)
	attrs := []any{"path", w.path, "offset", w.size, "op", op, "err", cause}
	if terr := w.file.Truncate(w.size); terr != nil {
		attrs = append(attrs, "truncate_err", terr)
	} else if serr := w.file.Sync(); serr != nil {
		attrs = append(attrs, "truncate_sync_err", serr)
	}
	l.errMu.Lock()
	l.broken = broken
	l.errMu.Unlock()
	l.logger.Error("wal: log broken; refusing appends until restart", attrs...)
	return broken
}

// rollIfFull starts a new segment when the active one has reached
// SegmentSize. A batch always lands whole in one segment.
func (l *Log) rollIfFull() error {
	w := &l.w
	if w.size < l.opts.SegmentSize {
		return nil
	}
	first := l.lastSeq.Load() + 1
	path, err := createSegment(l.walDir, first, l.opts.NoSync)
	if err != nil && isNoSpace(err) {
		// Nothing was appended and the full segment is intact: refuse
		// this batch and try the roll again with the next one.
		return l.setNoSpace(fmt.Errorf("%w: roll segment: %w", ErrNoSpace, err))
	}
	if err != nil {
		return l.breakRoll(err)
	}
	f, err := l.openSegmentFile(path, segHeaderSize)
	if err != nil {
		return l.breakRoll(err)
	}
	old := w.file
	w.file, w.path, w.size = f, path, segHeaderSize
	l.mu.Lock()
	l.segments = append(l.segments, segment{path: path, first: first})
	l.activeEnd = segHeaderSize
	l.mu.Unlock()
	if err := old.Close(); err != nil {
		l.logger.Warn("wal: close old segment", "path", path, "err", err)
	}
	return nil
}

// checkLinked breaks the log when its active segment no longer has a name
// on disk: the data directory was deleted (or the segment removed) under a
// running server. Writes would still succeed, into a file no restart can
// find, so acknowledging them would lose them. One fstat per batch, next to
// an fdatasync, costs nothing that shows.
func (l *Log) checkLinked() error {
	f, ok := l.w.file.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return nil // a test's wrapped file
	}
	fi, err := f.Stat()
	if err != nil {
		return nil // the write that follows will report a real fault
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Nlink > 0 {
		return nil
	}
	broken := fmt.Errorf("%w: segment %s was removed from the data directory: %w", ErrBroken, l.w.path, fs.ErrNotExist)
	l.errMu.Lock()
	l.broken = broken
	l.errMu.Unlock()
	l.logger.Error("wal: log broken; its data directory was removed under it; refusing appends until restart", "path", l.w.path)
	return broken
}

// breakRoll breaks the log when a new segment cannot be created: appends
// could only continue in the full segment, which would then never roll.
func (l *Log) breakRoll(cause error) error {
	broken := fmt.Errorf("%w: roll segment: %w", ErrBroken, cause)
	l.errMu.Lock()
	l.broken = broken
	l.errMu.Unlock()
	l.logger.Error("wal: log broken; refusing appends until restart", "path", l.walDir, "err", cause)
	return broken
}

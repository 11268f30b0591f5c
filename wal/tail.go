package wal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Batch is one complete batch read by ReadBatches: entry frames with
// consecutive seqs and the commit frame that covers them, every checksum
// verified.
type Batch struct {
	First, Last uint64 // the seqs of its entries
	Time        int64  // its commit frame's time, Unix nanoseconds
	Start, End  int64  // its bytes in the segment, commit frame included
	// Payloads are the entries' data, in seq order; nil unless ReadBatches
	// was asked for data.
	Payloads [][]byte
}

// Tail is where ReadBatches stopped.
type Tail struct {
	First uint64 // the segment's first seq, from its header
	End   int64  // offset just past the last complete batch read (or where reading began)
	Last  uint64 // that batch's last seq (the seq before the first expected when none was read)
	Size  int64  // the bytes considered: the size given, or the file's size
	// Incomplete is non-nil when the bytes from End to Size do not form a
	// complete batch and no valid commit frame follows them. In a live
	// segment that is a batch still being written; in a finished one, a
	// torn tail (Invariant 4). It names the offset and seq.
	Incomplete *CorruptError
}

// ReadBatches reads the complete batches of the segment at path that begin
// at offset from, calling fn for each in order. from is SegmentHeaderSize
// (or 0) to read from the start, or the End of a batch read earlier, in
// which case next must be the seq that batch was followed by. size bounds
// the bytes read; -1 means the file's current size. With withData the
// batches carry their payloads.
//
// It takes no lock and writes nothing, so it may run while a Log appends to
// the same file: a batch is delivered only once its commit frame is there
// and verifies. The header is checked on every call.
//
// Errors: a *CorruptError for a bad header, or for damage followed by a
// valid commit frame or a seq other than next (corruption, never a torn
// write); fn's error, unchanged; I/O errors, wrapped with the path. A Tail
// is returned in every case, saying how far the complete batches reached.
func ReadBatches(path string, from int64, next uint64, size int64, withData bool, fn func(Batch) error) (Tail, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tail{End: from}, fmt.Errorf("wal: read %s: %w", path, err)
	}
	defer f.Close()
	if size < 0 {
		fi, err := f.Stat()
		if err != nil {
			return Tail{End: from}, fmt.Errorf("wal: read %s: %w", path, err)
		}
		size = fi.Size()
	}
	return readBatchesAt(path, f, from, next, size, withData, fn)
}

// readBatchesAt is ReadBatches over any io.ReaderAt holding size bytes.
func readBatchesAt(path string, ra io.ReaderAt, from int64, next uint64, size int64, withData bool, fn func(Batch) error) (Tail, error) {
	t := Tail{End: from, Size: size}
	hdr := make([]byte, min(size, segHeaderSize))
	if _, err := ra.ReadAt(hdr, 0); err != nil && !errors.Is(err, io.EOF) {
		return t, fmt.Errorf("wal: read %s: %w", path, err)
	}
	first, err := parseSegmentHeader(path, hdr)
	if err != nil {
		return t, err
	}
	if named, ok := parseSegmentName(filepath.Base(path)); ok && named != first {
		return t, &CorruptError{Path: path, Seq: named,
			Reason: fmt.Sprintf("header says first seq %d, file name says %d", first, named)}
	}
	t.First = first
	if from <= segHeaderSize {
		from, next = segHeaderSize, first
	}
	if from > size {
		return t, fmt.Errorf("wal: read %s: offset %d is past its %d bytes", path, from, size)
	}
	t.End, t.Last = from, next-1

	bufSize := int(min(256<<10, max(size-from, 16)))
	body := bufio.NewReaderSize(io.NewSectionReader(ra, from, size-from), bufSize)
	dec := NewDecoder(body, path, from, size-from)
	dec.borrow = !withData
	br := &batchReader{path: path, ra: ra, size: size, dec: dec, next: next, end: from}
	for {
		recs, err := br.Next()
		var torn *tornTail
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return t, nil
		case errors.As(err, &torn):
			t.Incomplete = &CorruptError{Path: path, Offset: torn.At, Seq: torn.Seq, Reason: torn.Reason}
			return t, nil
		default:
			return t, err
		}
		b := Batch{First: recs[0].Seq, Last: recs[len(recs)-1].Seq, Time: br.time, Start: br.start, End: br.end}
		if withData {
			b.Payloads = make([][]byte, len(recs))
			for i, r := range recs {
				b.Payloads[i] = r.Data
			}
		}
		if err := fn(b); err != nil {
			return t, err
		}
		t.End, t.Last = b.End, b.Last
	}
}

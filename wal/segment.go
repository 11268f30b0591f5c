package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segMagic      = "VLOGWAL\x00"
	formatVersion = 1
	// segHeaderSize: magic(8) + version(4) + first seq(8) + CRC-32C(4).
	segHeaderSize = 24
	segExt        = ".wal"
	tmpExt        = ".tmp"
)

// segment is one file in DIR/wal, known by the first seq it holds.
type segment struct {
	path  string
	first uint64
}

// segmentName is the file name of the segment whose first record is first.
func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segExt) }

// parseSegmentName returns the first seq encoded in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segExt)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	first, err := strconv.ParseUint(hex, 16, 64)
	return first, err == nil
}

// listSegments returns the segments in walDir in seq order. Other files are
// ignored (temporary files are removed by Open).
func listSegments(walDir string) ([]segment, error) {
	entries, err := os.ReadDir(walDir)
	if err != nil {
		return nil, err
	}
	var segs []segment
	for _, e := range entries {
		if first, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			segs = append(segs, segment{path: filepath.Join(walDir, e.Name()), first: first})
		}
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmpUint64(a.first, b.first) })
	return segs, nil
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// appendSegmentHeader appends the 24-byte segment header to dst.
func appendSegmentHeader(dst []byte, first uint64) []byte {
	start := len(dst)
	dst = append(dst, segMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, formatVersion)
	dst = binary.LittleEndian.AppendUint64(dst, first)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// parseSegmentHeader checks a segment header and returns its first seq.
func parseSegmentHeader(path string, b []byte) (uint64, error) {
	if len(b) < segHeaderSize {
		return 0, &CorruptError{Path: path, Reason: fmt.Sprintf("segment header has %d bytes, want %d", len(b), segHeaderSize)}
	}
	if string(b[:8]) != segMagic {
		return 0, &CorruptError{Path: path, Reason: fmt.Sprintf("bad magic %q", b[:8])}
	}
	if got, want := crc32.Checksum(b[:20], castagnoli), binary.LittleEndian.Uint32(b[20:24]); got != want {
		return 0, &CorruptError{Path: path, Reason: fmt.Sprintf("header checksum %08x, want %08x", got, want)}
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != formatVersion {
		if v > formatVersion {
			return 0, versionError(path, v)
		}
		return 0, &CorruptError{Path: path, Reason: fmt.Sprintf("unknown format version %d", v)}
	}
	first := binary.LittleEndian.Uint64(b[12:20])
	if first == 0 {
		return 0, &CorruptError{Path: path, Reason: "first seq 0"}
	}
	return first, nil
}

// createSegment makes walDir/<first>.wal holding only a header. It is written
// to a temporary file, fsynced, renamed and the directory fsynced, so a
// segment on disk always has a complete header.
func createSegment(walDir string, first uint64, noSync bool) (string, error) {
	path := filepath.Join(walDir, segmentName(first))
	tmp := path + tmpExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	_, err = f.Write(appendSegmentHeader(nil, first))
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(walDir, noSync)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("create segment %s: %w", path, err)
	}
	return path, nil
}

// syncDir fsyncs a directory so that renames and removals in it are durable.
func syncDir(dir string, noSync bool) error {
	if noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// tornTail describes an incomplete or damaged final batch with no valid
// commit after it: a crash during append. Only in the last segment may it
// be truncated (Invariant 4).
type tornTail struct {
	Path   string
	Offset int64  // truncate here: the start of the incomplete batch
	At     int64  // the first damaged or missing frame
	Seq    uint64 // the first seq of the incomplete batch
	Reason string
}

func (t *tornTail) Error() string {
	return fmt.Sprintf("%s: torn tail at offset %d (damage at %d, seq %d): %s", t.Path, t.Offset, t.At, t.Seq, t.Reason)
}

// corrupt turns a torn tail found where truncation is not allowed (an older
// segment, or a strict re-read) into corruption.
func (t *tornTail) corrupt(where string) *CorruptError {
	return &CorruptError{Path: t.Path, Offset: t.At, Seq: t.Seq, Reason: fmt.Sprintf("incomplete batch %s: %s", where, t.Reason)}
}

// batchReader yields the complete batches of one segment body and classifies
// what ends it: io.EOF (clean), *tornTail, or *CorruptError.
type batchReader struct {
	path  string
	ra    io.ReaderAt // the whole segment, for the commit search
	size  int64
	dec   *Decoder
	next  uint64 // seq the next entry must carry
	end   int64  // offset just past the last complete batch
	batch []Record
	hdrs  []byte // the batch's entry frame headers, which the commit's Sum covers
	start int64  // offset where the batch last returned by Next starts
	time  int64  // its commit frame's time
}

// newBatchReader reads the segment body. Without keepData, entries' Data is
// left nil: scans that only check the log skip the copy.
func newBatchReader(path string, ra io.ReaderAt, size int64, first uint64, keepData bool) *batchReader {
	// The buffer is never larger than the segment: reading a small file
	// must not allocate much (FuzzDecoder checks this).
	bufSize := int(min(256<<10, max(size, 16)))
	body := bufio.NewReaderSize(io.NewSectionReader(ra, segHeaderSize, size-segHeaderSize), bufSize)
	dec := NewDecoder(body, path, segHeaderSize, size-segHeaderSize)
	dec.borrow = !keepData
	return &batchReader{path: path, ra: ra, size: size, dec: dec, next: first, end: segHeaderSize}
}

// Next returns the entries of the next complete batch. The slice is reused
// by the following call; the records' Data is not.
func (b *batchReader) Next() ([]Record, error) {
	b.batch, b.hdrs = b.batch[:0], b.hdrs[:0]
	b.start = b.end
	for {
		f, err := b.dec.Next()
		if errors.Is(err, io.EOF) {
			if len(b.batch) == 0 {
				return nil, io.EOF
			}
			return nil, b.damaged(b.dec.Offset(), "batch ends without a commit frame")
		}
		if err != nil {
			return nil, b.frameError(err)
		}
		switch f.Type {
		case TypeEntry:
			if f.Seq != b.next {
				// A valid frame with the wrong seq: a gap if a commit follows,
				// stale bytes past a torn write if none does.
				return nil, b.damaged(f.Offset, fmt.Sprintf("entry seq %d, want %d", f.Seq, b.next))
			}
			b.hdrs = append(b.hdrs, f.hdr[:]...)
			b.batch = append(b.batch, f.Record)
			b.next++
		case TypeCommit:
			if err := b.checkCommit(f.Offset, f.Record); err != nil {
				return nil, err
			}
			b.end, b.time = b.dec.Offset(), f.Time
			return b.batch, nil
		}
	}
}

// checkCommit verifies that a commit frame covers exactly the batch read.
// Its own checksum verified, so a mismatch is damage, never a torn write;
// only a commit for older seqs may be stale bytes past a torn write, and
// goes through damaged like any unreadable frame.
func (b *batchReader) checkCommit(off int64, f Record) error {
	first := b.next - uint64(len(b.batch))
	reason := ""
	switch {
	case len(b.batch) == 0:
		reason = fmt.Sprintf("commit for seq %d..%d with no entries before it", f.First, f.Seq)
	case f.First != first || f.Seq != b.next-1:
		reason = fmt.Sprintf("commit covers seq %d..%d, batch holds %d..%d", f.First, f.Seq, first, b.next-1)
	case f.Sum != crc32.Checksum(b.hdrs, castagnoli):
		reason = fmt.Sprintf("commit checksum %08x, batch frames sum to %08x", f.Sum, crc32.Checksum(b.hdrs, castagnoli))
	default:
		return nil
	}
	if f.First < first {
		return b.damaged(off, reason)
	}
	return &CorruptError{Path: b.path, Offset: off, Seq: first, Reason: reason}
}

// frameError classifies a decoder error: I/O errors pass through; a torn
// or damaged frame becomes a tornTail or a CorruptError.
func (b *batchReader) frameError(err error) error {
	var ce *CorruptError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return b.damaged(b.dec.Offset(), "incomplete frame")
	case errors.As(err, &ce):
		return b.damaged(ce.Offset, ce.Reason)
	}
	return fmt.Errorf("read %s at offset %d: %w", b.path, b.dec.Offset(), err)
}

// damaged decides between a torn tail and corruption for damage at offset
// at. Invariant 4: if a valid commit frame for this batch or a later one
// lies anywhere after the damage, the damaged bytes were once part of a
// committed (and acknowledged) batch: corruption. Otherwise the batch never
// completed: a torn tail, whose bytes may have landed in any order.
func (b *batchReader) damaged(at int64, reason string) error {
	first := b.next - uint64(len(b.batch))
	if off, err := findCommit(b.ra, at+1, b.size, first); err != nil {
		return fmt.Errorf("read %s: %w", b.path, err)
	} else if off >= 0 {
		return &CorruptError{Path: b.path, Offset: at, Seq: b.next,
			Reason: fmt.Sprintf("%s, before a valid commit at offset %d", reason, off)}
	}
	return &tornTail{Path: b.path, Offset: b.end, At: at, Seq: first, Reason: reason}
}

// findCommit returns the offset of the first valid commit frame at or after
// from whose batch starts at seq minFirst or later, or -1. Stale bytes from
// older files carry lower seqs and are ignored. It scans byte by byte in
// windows; only commit-sized lengths are checksummed, so it stays linear.
func findCommit(ra io.ReaderAt, from, size int64, minFirst uint64) (int64, error) {
	const window = 1 << 20
	buf := make([]byte, min(window+maxCommitFrame, max(size-from, 0)))
	dec := newRecordDecoder()
	for pos := from; pos+frameHeaderSize+minCommitPayload <= size; pos += window {
		n, err := ra.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return -1, err
		}
		for i := 0; i < min(n, window); i++ {
			if isCommitFrame(dec, buf[i:n], minFirst) {
				return pos + int64(i), nil
			}
		}
	}
	return -1, nil
}

// isCommitFrame reports whether b starts with a valid commit frame whose
// batch starts at minFirst or later.
func isCommitFrame(dec *recordDecoder, b []byte, minFirst uint64) bool {
	_, ok := commitAt(dec, b, minFirst)
	return ok
}

// commitAt decodes the valid commit frame b starts with, if there is one
// whose batch starts at minFirst or later.
func commitAt(dec *recordDecoder, b []byte, minFirst uint64) (Record, bool) {
	if len(b) < frameHeaderSize+minCommitPayload {
		return Record{}, false
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < minCommitPayload || n > maxCommitPayload || len(b) < frameHeaderSize+n {
		return Record{}, false
	}
	payload := b[frameHeaderSize : frameHeaderSize+n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return Record{}, false
	}
	r, err := dec.decode(payload)
	if err != nil || r.Type != TypeCommit || r.First < minFirst {
		return Record{}, false
	}
	return r, true
}

// segmentScan is what reading one segment found.
type segmentScan struct {
	first uint64 // from the header
	last  uint64 // last seq of the last complete batch (first-1 if none)
	end   int64  // offset just past the last complete batch
	size  int64  // bytes read (the file size, or the limit given)
	torn  *tornTail
}

// scanSegment reads the segment at path up to size bytes (-1: the whole
// file) and calls fn for each complete batch with the offset it ends at.
// With tornOK a torn tail is reported in the result; otherwise it is a
// *CorruptError. Records carry Data only with keepData. fn's error is
// returned unchanged.
func scanSegment(seg segment, size int64, tornOK, keepData bool, fn func(recs []Record, end int64) error) (segmentScan, error) {
	f, err := os.Open(seg.path)
	if err != nil {
		return segmentScan{}, err
	}
	defer f.Close()
	if size < 0 {
		fi, err := f.Stat()
		if err != nil {
			return segmentScan{}, err
		}
		size = fi.Size()
	}
	return scanSegmentAt(seg, f, size, tornOK, keepData, fn)
}

// scanSegmentAt is scanSegment over any io.ReaderAt (tests and fuzzing use
// bytes.Reader).
func scanSegmentAt(seg segment, ra io.ReaderAt, size int64, tornOK, keepData bool, fn func(recs []Record, end int64) error) (segmentScan, error) {
	hdr := make([]byte, min(size, segHeaderSize))
	if _, err := ra.ReadAt(hdr, 0); err != nil && !errors.Is(err, io.EOF) {
		return segmentScan{}, err
	}
	first, err := parseSegmentHeader(seg.path, hdr)
	if err != nil {
		return segmentScan{}, err
	}
	if seg.first != 0 && first != seg.first {
		return segmentScan{}, &CorruptError{Path: seg.path, Seq: seg.first,
			Reason: fmt.Sprintf("header says first seq %d, file name says %d", first, seg.first)}
	}
	s := segmentScan{first: first, last: first - 1, end: segHeaderSize, size: size}
	br := newBatchReader(seg.path, ra, size, first, keepData)
	var torn *tornTail
	for {
		recs, err := br.Next()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return s, nil
		case errors.As(err, &torn):
			if !tornOK {
				return s, torn.corrupt("before the end of the log")
			}
			s.torn = torn
			return s, nil
		default:
			return s, err
		}
		s.last, s.end = recs[len(recs)-1].Seq, br.end
		if fn != nil {
			if err := fn(recs, br.end); err != nil {
				return s, err
			}
		}
	}
}

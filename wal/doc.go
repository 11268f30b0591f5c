// Package wal owns vlogd's data directory on disk: the write-ahead log
// (record framing, segments, group commit, fdatasync, replay, torn-tail
// handling) and the snapshot files. It knows nothing about vlogs: a record
// is an opaque []byte that the caller (memstore) encodes. It imports nothing
// else of vlogd's.
//
// # Data directory
//
//	DIR/LOCK                              flock'ed while a Log is open
//	DIR/wal/<first-seq %016x>.wal         segments, named by their first seq
//	DIR/snap/<seq %016x>-<unix-nanos %016x>.snap   snapshots, a new name each time
//	DIR/wal/*.tmp, DIR/snap/*.tmp         unfinished creations, removed by Open
//	DIR/*/<name>.damaged-<unix time>      originals set aside by Repair; never read
//
// # Segment file (format version 1)
//
// All integers are little-endian. A segment starts with a 24-byte header:
//
//	offset  size  field
//	0       8     magic "VLOGWAL\x00"
//	8       4     format version, uint32 = 1
//	12      8     first seq, uint64 (equals the file name)
//	20      4     CRC-32C (Castagnoli) of bytes 0..19
//
// A segment is created as a temporary file holding just the header,
// fsynced, renamed into place and the directory fsynced, so every segment
// on disk has a complete header. The header is followed by frames:
//
//	offset  size  field
//	0       4     payload length n, uint32, 4 <= n <= 64 MiB
//	4       4     CRC-32C of the payload
//	8       n     payload: a msgpack array (github.com/vmihailenco/msgpack/v5)
//
// The payload is one of two records, each a msgpack array whose integers use
// msgpack's smallest encoding:
//
//	entry:  [1, seq uint, data bin]                         a caller's record
//	commit: [2, first uint, last uint, sum uint32, time uint]
//
// Frames are written in batches (one batch per group commit): entry frames
// with consecutive seqs, then one commit frame whose first and last are the
// batch's seqs and whose sum is the CRC-32C of the batch's entry frame
// headers (length and CRC, 8 bytes each) in order; as each header holds its
// payload's CRC, the commit covers every byte of the batch. time is the
// wall clock when the batch was written, in Unix nanoseconds (at most
// 2^63-1); point-in-time restore (`vlogd restore --until TIME`) cuts the
// log before the first batch committed after TIME. The clock may step back,
// so times are not guaranteed to increase. Seqs start at 1 and increase by
// one across batches and segments, with no gap. A batch never spans two
// segments; a segment rolls after SegmentSize bytes.
//
// The time field was added to format version 1 before vlogd's first
// release; a commit frame without it (4 fields) is refused as malformed.
//
// # Recovery (Invariant 4)
//
// Only complete batches count: entries are applied once their commit frame
// is read and matches them. When a frame cannot be read (incomplete, length
// out of range or past the end of the file, checksum mismatch, malformed
// msgpack, unexpected seq) the rest of the segment is searched for a valid
// commit frame of this or a later batch:
//
//   - none, in the last segment: a torn tail, the remains of a crash during
//     append whose sectors may have landed in any order. Open truncates the
//     segment to the end of the last complete batch and logs a warning
//     naming file and offset. The batch was never acknowledged.
//   - one found, or damage in an older segment, or a gap in seqs, or a bad
//     header: corruption. Open fails with a *CorruptError naming file,
//     offset and seq, and changes nothing.
//
// A frame's length is checked against the maximum and against the bytes
// left in the file before anything is allocated for it.
//
// # Snapshot file (format version 2)
//
// A snapshot is a sequence of chunks, each with its own length and
// CRC-32C, so that a reader verifies and decodes them on every core:
//
//	offset  size  field
//	0       8     magic "VLOGSNAP"
//	8       4     format version, uint32 = 2
//	12      8     seq covered, uint64 (equals the file name)
//	20      4     CRC-32C of bytes 0..19
//	24            chunks, each:
//	                0  4  payload length n, uint32, 1 <= n <= 64 MiB
//	                4  4  CRC-32C of the payload
//	                8  n  payload
//	              end frame:
//	                0  4  zero (where a chunk's length would be)
//	                4  8  number of chunks, uint64
//	                12 4  CRC-32C of every chunk's 8-byte header, in order
//
// The file ends right after the end frame. As each chunk header holds its
// payload's CRC, the end frame covers every byte, and a chunk lost, added
// or reordered is detected before any is decoded. What a chunk holds is the
// caller's (memstore's doc describes its sections); a caller that streams
// bytes through Write gets chunks of about 1 MiB cut between its writes,
// and Snapshot hands back their concatenation.
//
// # Snapshot file (format version 1, read only)
//
//	offset  size  field
//	0       8     magic "VLOGSNAP"
//	8       4     format version, uint32 = 1
//	12      8     seq covered, uint64 (equals the file name)
//	20      m     payload, exactly as the caller's write func produced it
//	20+m    4     CRC-32C of bytes 0..20+m-1
//
// # Writing snapshots
//
// A snapshot is written to a temporary file while a second goroutine
// fdatasyncs it every 4 MiB (the writer waits when 12 MiB are unsynced), so
// the kernel never holds much of it dirty and the log's fsyncs never wait
// for a whole snapshot to reach the disk; then it is fsynced, renamed to a
// name no earlier snapshot had, and the directory fsynced. The two newest
// are kept; if the newest fails a checksum the older one is used with the
// log after it, so segments are removed only once both kept snapshots
// cover them.
//
// # Repair
//
// Open never drops damage it cannot classify as a torn tail. Repair, run
// only by the explicit `vlogd repair` command and under the directory's
// lock, does: damaged snapshots are renamed aside
// (NAME.damaged-<unix time>); the log is cut at the end of the last
// complete, checksum-valid batch before the first damage, the damaged
// segment copied aside (fsynced) before it is truncated and later segments
// renamed aside. Segments wholly covered by the newest sound snapshot are
// not needed, so damage there only sets them aside and loses nothing. The
// RepairReport names every file, offset, byte count and seq range dropped,
// and a repaired directory passes Verify.
//
// # Reading beside a running Log
//
// Segments, Snapshots, ReadBatches, OpenSnapshot and CheckSnapshot read a data directory
// without its lock and never write, for tools that run beside a server
// (`vlogd backup`) or on a copy (`vlogd restore`). ReadBatches delivers a
// batch only once its commit frame is there and verifies, so bytes the
// writer has not finished are never mistaken for records.
//
// # Durability (Invariants 1, 5 and 6)
//
// Append returns only after the batch holding its record has been written
// with one write and fdatasync has returned. A failed fdatasync (whatever
// its errno), or a write that fails with an I/O error (EIO and anything
// else not listed below), cuts the segment back to the last good offset and
// breaks the log: every later Append fails with ErrBroken until restart,
// because after a failed fsync the kernel may have dropped the dirty pages,
// and its page cache can no longer be trusted to match the disk.
// No lock that readers need is held while the disk is written.
//
// # A full disk
//
// A write refused for lack of space is not an I/O error: the kernel stored
// nothing past what it reports, and no fsync has failed. The rule:
//
//  1. A batch write that fails with ENOSPC or EDQUOT, or stores fewer bytes
//     than asked without an error (a short write), is not acknowledged and
//     its records are not applied.
//  2. The segment is truncated to the end of the last durable batch and
//     fdatasynced, reopened at that offset, and read back: it must end
//     exactly there, with a whole, checksum-valid batch holding the last
//     acknowledged seq.
//  3. Only when all of step 2 succeeds does Append return ErrNoSpace, which
//     is not sticky: Full reports it, and the next Append tries again and
//     succeeds as soon as space returns, without a restart. If any step
//     fails, the log breaks as above.
//  4. A segment roll that fails for lack of space refuses its batch with
//     ErrNoSpace the same way; the full segment is untouched, and the roll
//     is tried again with the next batch.
//  5. An fdatasync that fails, even with ENOSPC, breaks the log (fail-stop):
//     the data it was to make durable may be gone from the page cache.
package wal

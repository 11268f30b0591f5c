// Package media owns vlogd's uploaded media files on disk: a
// content-addressed blob store in one directory of the data directory
// (DATA/blobs). It streams uploads to disk while hashing them, decides their
// type from their bytes, caps their size while reading, serves them back by
// hash, verifies them, and extracts poster frames with ffmpeg when it is
// installed. It knows nothing about vlogs, HTTP or the log, and imports
// nothing else of vlogd's.
//
// # Why a package of its own
//
// Media are not in the write-ahead log: a video is far too big to be a log
// record, and replaying it on every start would be absurd. They are kept as
// blobs named by the SHA-256 of their content, and the ordering is what
// keeps them consistent with the log (DESIGN.md, "wal and snapshots"): a
// blob is written and fsynced, renamed into place and its directory fsynced
// *before* the caller appends the WAL record that references it. So a
// record never points at a missing blob, whenever the process dies. A crash
// during an upload leaves at most a temporary file, never a half blob under
// a content address; Open removes such files at the next start. A blob no
// record references (an upload whose record was never written, or a vlog
// deleted since) is harmless and is collected by the caller after
// compaction with Hashes and Remove.
//
// # Layout
//
//	DIR/<hash[0:2]>/<hash>   a blob: hash is 64 lowercase hex digits of SHA-256
//	DIR/*.tmp                an upload or poster in progress; removed by Open
//
// Because a blob is only ever reached through a name that must be exactly
// 64 lowercase hex digits, no client-chosen string can name a path outside
// DIR: path traversal is impossible by construction, not by filtering.
//
// # Types
//
// The media type is always decided from the leading bytes (DetectType),
// never from a file name or a client's Content-Type: HTML renamed to .mp4 is
// refused. Only the types a caller passes to Put are stored.
package media

// Package backup owns vlogd's continuous backup and point-in-time restore:
// it copies a live data directory to a backup directory (DEST) as the data
// directory changes, keeps enough history there to go back in time, and
// rebuilds a data directory from it.
//
// # Why a package of its own
//
// A backup is a second copy of the data directory with its own rules, run
// beside a server it must never disturb: it takes no lock of the server's
// (DATA/LOCK), never writes to the data directory, and reads the log only
// through wal's read-only helpers (wal.ReadBatches, wal.Segments,
// wal.Snapshots, wal.CheckSnapshot). wal owns the bytes of one data
// directory and the lock that guards it; memstore owns what the records
// mean. Neither should know about watching a directory, resuming a copy
// after a crash, retention windows or a second location, so that lives
// here. It imports wal and github.com/fsnotify/fsnotify, and nothing of
// vlogd's above the log: it copies blobs by their content address without
// knowing which vlog uses them.
//
// # How it copies (Litestream-style)
//
// Backup.Run watches DATA/wal, DATA/snap and DATA/blobs (and its shard
// directories) with fsnotify. Events are only hints that something changed:
// inotify coalesces events and can overflow, so a rescan every second (by
// default) is the backstop, and every pass works out what to copy from the
// files themselves, never from the events. A pass:
//
//  1. notes how large each source segment is now;
//  2. copies every blob not yet in DEST, checking its SHA-256 against its
//     name while copying. A record that names a blob is written only after
//     the blob is durable (media's rule), so every blob referenced by the
//     log bytes noted in step 1 is copied before those bytes;
//  3. reads the new bytes of the log with wal.ReadBatches and copies only
//     whole batches whose checksums verify, after fdatasyncing the source
//     segment so that DEST never holds a batch the primary could still lose
//     to a power cut (the two histories would fork). The copy is appended to
//     DEST's segment, fsynced, read back and verified, and only then is the
//     new position recorded in DEST/position (temporary file, fsync, rename,
//     directory fsync).
//
// Snapshots are copied by a second loop (they can be large and must not
// hold up the log): the source is verified, copied to a temporary file,
// verified again, fsynced and renamed. Every file and directory written is
// fsynced.
//
// # Crashes and restarts
//
// DEST/position is the truth about the log in DEST: bytes of the last
// segment past it are an append that a crash interrupted, and Open trims
// them. Restore never reads past it either, so `vlogd restore` may run
// while a backup is copying. Resuming compares DEST's copy with the source
// at the position; if they differ (the data directory was restored,
// repaired or replaced) the backup stops with ErrDiverged rather than mix
// two histories.
//
// # DEST layout
//
//	DEST/LOCK                  flock'ed by the one backup writing DEST
//	DEST/position              last segment, offset and seq copied (JSON)
//	DEST/wal/<first-seq>.wal   byte-for-byte prefixes of the source segments
//	DEST/snap/<seq>-<time>.snap copies of the source snapshots
//	DEST/blobs/<2 hex>/<hash>  copies of the media blobs
//
// # Retention
//
// Options.Keep (default 7 days) is the window point-in-time restore must
// reach: the newest snapshot written before the window began, every
// snapshot after it and the log after it are kept; older snapshots and the
// segments they cover are removed. Which blobs the kept snapshots and
// records reference is memstore's knowledge, not ours: with
// Options.ReferencedBlobs (vlogd passes memstore.ReferencedBlobs) the blobs
// none of them names are removed once older than Options.BlobGrace (an
// hour, as in the live store: a blob is copied before the record naming
// it). Without it every blob is kept. After anything was removed, DEST's
// size and free space are logged (Backup.Usage).
//
// # Restore
//
// Restore rebuilds a data directory from DEST up to the latest copied
// record, a sequence number or a time: the newest sound snapshot at or
// before that point (damaged ones are skipped and reported), the segments
// after it, cut exactly at the point (a batch the point falls inside is
// rewritten shorter with wal's Encoder), and every blob. The result passes
// wal.Verify.
package backup

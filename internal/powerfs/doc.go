// Package powerfs is a FUSE file system for tests that forgets, on a
// simulated power loss, everything a disk would not have kept. It exists to
// prove vlogd's durability against power failure, which a SIGKILL cannot:
// after SIGKILL the kernel still holds every write the process made, so a
// missing fsync, a missing directory fsync after a create or rename, or a
// rename that reached the disk before the data it names all go unseen.
// Jepsen's LazyFS plays the same role for other databases.
//
// The vlogd binary never imports this package; only tests do.
//
// # The model
//
// The file system keeps two states of every file and directory in memory:
// the volatile state (its own page cache: what reads see) and the durable
// state (what the disk holds). Every operation changes only the volatile
// state and is remembered as pending until it becomes durable, by these
// rules:
//
//  1. File bytes and size (write, truncate) become durable only when that
//     file is fsynced or fdatasynced. Syncing one file makes nothing else
//     durable.
//  2. Names (create, mkdir, rename, unlink, rmdir) become durable only when
//     the directory holding the name is fsynced. A rename between two
//     directories is two changes, one in each; each becomes durable with
//     its own directory's fsync.
//  3. A file's identity (its inode) and its bytes are separate from its
//     names: a name made durable before the file's bytes names whatever
//     bytes were durable then (for a new file: none, an empty file), which
//     is what ext4 and XFS give after a rename that beat the data's fsync.
//  4. A directory whose own name is not durable is lost with everything in
//     it, however often its entries were synced.
//
// PowerLoss applies the loss: the volatile state is replaced by the durable
// one (reached from the root through durable names only), the file system
// is unmounted and mounted again, so the kernel's caches are gone too and
// the next process sees exactly what a disk would have kept. With Loss
// options it may also keep a random part of the pending state, as a disk
// that wrote back some dirty pages before the power went:
//
//   - Partial: each pending file write or truncate survives, independently,
//     with probability one half (writes may land out of order, leaving holes
//     of zeros); each directory keeps a random prefix of its pending name
//     changes, in order, as a journal would (a rename within one directory
//     is one change: it lands whole or not at all).
//   - Torn: the last pending write of each file lands only in part: a
//     random prefix of it, cut on a 512-byte sector boundary.
//
// # The backing directory
//
// The file system is mounted over a real directory, the disk: at Mount its
// tree is read as the durable state, and after every PowerLoss (and at
// Unmount) the durable state, and only it, is written back to it. Between
// two power losses the backing directory is not touched.
//
// A capacity (SetCapacity) makes writes that would grow the file system
// beyond it fail with ENOSPC (after writing what fits, as a real file
// system does), so tests can fill the disk and free it again.
//
// Not modelled: hard links, symbolic links, extended attributes, file
// locks across processes (the kernel emulates flock locally), and
// ownership (every file belongs to the mounting user).
package powerfs

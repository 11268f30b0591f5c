// Package memstore owns vlogd's data model in memory: vlogs (and, as the
// site grows, users, sessions, comments and likes), the indexes that page
// through them, and the policy that compacts the write-ahead log into
// snapshots.
//
// Every change is an operation (op.go) that is encoded with msgpack and
// appended to the log in package wal before it becomes visible. The log
// calls back into the store once the record is durable, in sequence order,
// and only then does the store apply the operation to its maps. Replaying the
// log after a restart calls the very same apply function, so the state after
// recovery is exactly the state that was acknowledged (DESIGN.md invariants
// 1–3). Because apply runs in log order, it is also where the final say on
// validity lies: two concurrent sign-ups for one name both reach the log, and
// the second one deterministically applies as a refusal, live and on replay.
//
// Values handed to readers (*Vlog and friends) are immutable: an edit
// replaces the pointer in the map instead of mutating it, so a reader may keep
// a value after the lock is released, and a snapshot can capture the whole
// state by copying pointers.
//
// memstore knows nothing about HTTP; it does not touch the data directory
// itself beyond handing it to the log.
//
// # Snapshot payload (format 2)
//
// A snapshot file (wal/doc.go) is a sequence of chunks, each checksummed
// by wal. memstore puts one section's rows in each chunk:
//
//	chunk = uvarint section, uvarint row count (>= 1), rows
//	row   = uvarint length, fields
//	field = uvarint key (number<<1 | wire), value
//	        wire 0: a uvarint
//	        wire 1: a uvarint length, then that many bytes
//
// Fields may come in any order; an absent field is its zero value, and a
// field this build does not know is skipped (a newer vlogd may add one).
// Signed integers and times are zig-zag encoded (times as Unix
// nanoseconds; the zero time is absent). A field marked msgpack holds
// the value encoded with github.com/vmihailenco/msgpack/v5.
//
// Sections, in file order (each a run of one or more chunks; a section
// with no rows has no chunk; a section number this build does not know
// stops the load, since dropping state is never right):
//
//	1 meta (exactly one row, the first chunk):
//	    1 format (= 2)  2 next vlog ID  3 next user ID  4 next comment ID
//	    5..9 rows in sections users, sessions, vlogs, comments, likes
//	    10 next invite ID  11 rows in section invites
//	2 users, ascending ID:   1 ID  2 name  3 password hash  4 created
//	                         5 owner  6 disabled (booleans: 1, or absent)
//	3 sessions:              1 token hash  2 user ID  3 created  4 expires
//	4 vlogs, ascending ID:   1 ID  2 author ID  3 title  4 body  5 created
//	                         6 updated (absent: equal to created)
//	                         7 video (msgpack of Video)
//	5 comments, ascending ID: 1 ID  2 vlog ID  3 author ID  4 body  5 created
//	6 likes:                 1 vlog ID  2 user ID
//	11 invites, ascending ID: 1 ID  2 by (user ID)  3 created  4 expires
//	                         5 used by (user ID)  6 used  7 revoked
//
// Author names are not stored with vlogs and comments: they are the
// user's (names never change), and loading shares the user's string.
// Section numbers follow the op kinds' allocation (11–19 for accounts and
// invites, 20–29 for video jobs, 30–39 for the cluster, 40–49 for anything
// else) so that work in parallel never picks the same number.
//
// Loading reads and checks the chunks on every core and decodes each into
// a slice of rows (one allocation per chunk for the rows, one for their
// text: every string is a substring of the chunk); merging them into the
// maps and lists then runs in file order on one goroutine, which is where
// the checks between rows live (IDs ascending and below the next IDs,
// references to users and vlogs that exist, counts equal to the meta row's).
//
// Format 1, one msgpack stream in a version 1 file (a header map, then
// users, sessions, vlogs, comments and likes, one msgpack map each), is
// still read; testdata/data/v1 holds one.
package memstore

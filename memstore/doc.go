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
package memstore

package memstore

// Generation returns a number that grows whenever a change that a reader
// could see is applied: every operation except signing in and out. It is
// what a render cache keys its freshness on: a page rendered after reading
// Generation g reflects at least every change up to g, so it is fresh
// exactly while Generation still returns g. The number is bumped in the
// same critical section as the change itself, before the writer is
// answered, so a read that starts after a write was acknowledged sees a
// larger number (read-your-writes). New operation kinds bump it by
// default; only kinds listed in private leave it alone.
//
// It is not persisted: it starts at zero on every Open, which a cache in
// the same process cannot tell apart from no change.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// applied is called, with s.mu held for writing, right after o was applied
// to the state.
func (s *Store) applied(o *op) {
	if !o.Kind.private() {
		s.gen.Add(1)
	}
}

// private reports whether operations of kind k change nothing that any page
// shows: sessions are looked up per request, never rendered into shared
// pages.
func (k opKind) private() bool {
	return k == opCreateSession || k == opDeleteSession
}

package memstore

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// The search index is not in the snapshot: it is built after recovery, in
// the background and on every core, while the site already answers. Until
// it is ready, changes to it queue up (indexBuilding) and searches wait for
// it, so no search ever sees a partial index.

// indexMode is how the index takes changes.
type indexMode uint8

const (
	// indexDeferred drops changes: during recovery (the build that follows
	// reads the recovered state) and in read-only inspection.
	indexDeferred indexMode = iota
	// indexBuilding queues changes for the build to replay when it ends.
	indexBuilding
	// indexLive applies changes at once.
	indexLive
)

// indexChange is a change queued while the index is built.
type indexChange struct {
	old, v *Vlog // add: old nil; remove: v nil
}

// startIndex builds the search index of the recovered state in the
// background; searches wait on s.indexReady meanwhile.
func (s *Store) startIndex() {
	s.mu.Lock()
	ix := s.st.index
	ix.mode = indexBuilding
	list := s.st.order[:len(s.st.order):len(s.st.order)]
	s.st.orderShared = true
	s.mu.Unlock()

	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(s.indexReady)
		start := time.Now()
		postings := buildPostings(list)
		words := len(postings)
		s.mu.Lock()
		queued := ix.finish(postings, s.st.vlogs)
		s.mu.Unlock()
		s.logger.Info("search index built", "vlogs", len(list), "words", words,
			"queued_changes", queued, "dur", time.Since(start))
		// The build's scratch (each range's lists, grown by doubling) is
		// garbage now, as large as the index itself; hand it back to the
		// system rather than keep it resident until the scavenger gets to
		// it.
		debug.FreeOSMemory()
	}()
}

// finish installs the built postings, replays the changes queued while
// they were built, and makes the index live. It returns how many changes
// were queued.
func (ix *searchIndex) finish(postings map[string][]uint32, live map[uint64]*Vlog) int {
	ix.postings = postings
	ix.mode = indexLive
	for _, ch := range ix.pending {
		switch {
		case ch.old == nil:
			ix.add(ch.v)
		case ch.v == nil:
			ix.remove(ch.old, live)
		default:
			ix.update(ch.old, ch.v)
		}
	}
	n := len(ix.pending)
	ix.pending = nil
	return n
}

// buildPostings indexes list (ascending ID) on all cores but one, which
// it leaves to the server starting up and answering meanwhile: each worker
// indexes a contiguous range, and the ranges' lists are joined in order,
// each into a slice of exactly its length.
func buildPostings(list []*Vlog) map[string][]uint32 {
	return buildShards(list, min(max(1, runtime.GOMAXPROCS(0)-1), max(1, len(list)/4096)))
}

// buildShards indexes list in the given number of ranges at once.
func buildShards(list []*Vlog, shards int) map[string][]uint32 {
	parts := make([]map[string][]uint32, shards)
	var wg sync.WaitGroup
	for i := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := len(list)*i/shards, len(list)*(i+1)/shards
			parts[i] = indexRange(list[lo:hi])
		}()
	}
	wg.Wait()
	out := make(map[string][]uint32, len(parts[0]))
	for w := range parts[0] {
		out[w] = nil
	}
	for _, p := range parts[1:] {
		for w := range p {
			out[w] = nil
		}
	}
	for w := range out {
		n := 0
		for _, p := range parts {
			n += len(p[w])
		}
		joined := make([]uint32, 0, n)
		for _, p := range parts {
			joined = append(joined, p[w]...)
		}
		out[w] = joined
	}
	return out
}

// indexRange indexes vlogs in ascending ID order. A vlog's repeated words
// are caught by the list already ending with its ID. Words map to a
// position in lists, so that looking a word up allocates nothing.
func indexRange(list []*Vlog) map[string][]uint32 {
	pos := make(map[string]int32)
	var lists [][]uint32
	var buf []byte
	var id uint32
	add := func(w []byte) {
		i, ok := pos[string(w)]
		if !ok {
			pos[string(w)] = int32(len(lists))
			lists = append(lists, []uint32{id})
			return
		}
		if l := lists[i]; l[len(l)-1] != id {
			lists[i] = append(l, id)
		}
	}
	for _, v := range list {
		id = uint32(v.ID)
		buf = eachWord(v.Title, buf, add)
		buf = eachWord(v.Body, buf, add)
	}
	m := make(map[string][]uint32, len(pos))
	for w, i := range pos {
		m[w] = lists[i]
	}
	return m
}

package memstore

import (
	"slices"
	"sort"
)

// Search limits: words longer than maxWordRunes are not indexed (nobody
// searches for them), and a query uses at most maxQueryWords words.
const (
	maxWordRunes  = 64
	maxQueryWords = 10
)

// searchIndex is an inverted index: each word maps to the IDs of the vlogs
// whose title or body contain it, in ascending order (as uint32: apply
// refuses vlog IDs beyond that). New vlogs have the largest ID yet, so
// indexing one appends. A deleted vlog's entries are left in place and
// skipped at query time (a lookup in the vlog map); each list counts them
// and is compacted once they are half of it, which keeps a delete O(words)
// instead of O(words × list length). Edits update the lists of the words
// that changed. mode says whether changes apply now, wait for the build
// after recovery, or are dropped (search_build.go).
type searchIndex struct {
	postings map[string][]uint32
	stale    map[string]int
	mode     indexMode
	pending  []indexChange
}

func newSearchIndex() *searchIndex {
	return &searchIndex{postings: make(map[string][]uint32), stale: make(map[string]int)}
}

// add indexes v under each of its words.
func (ix *searchIndex) add(v *Vlog) {
	switch ix.mode {
	case indexDeferred:
		return
	case indexBuilding:
		ix.pending = append(ix.pending, indexChange{v: v})
		return
	}
	for _, w := range vlogWords(v) {
		ix.insert(w, uint32(v.ID))
	}
}

func (ix *searchIndex) insert(w string, id uint32) {
	list := ix.postings[w]
	if n := len(list); n == 0 || list[n-1] < id {
		ix.postings[w] = append(list, id)
		return
	}
	i, found := slices.BinarySearch(list, id)
	if !found {
		ix.postings[w] = slices.Insert(list, i, id)
	}
}

// update re-indexes a vlog whose text changed from old to v, touching only
// the lists of words that came or went.
func (ix *searchIndex) update(old, v *Vlog) {
	switch ix.mode {
	case indexDeferred:
		return
	case indexBuilding:
		ix.pending = append(ix.pending, indexChange{old: old, v: v})
		return
	}
	before, after := wordSet(vlogWords(old)), wordSet(vlogWords(v))
	for w := range before {
		if !after[w] {
			list := ix.postings[w]
			if i, found := slices.BinarySearch(list, uint32(v.ID)); found {
				ix.postings[w] = slices.Delete(list, i, i+1)
			}
		}
	}
	for w := range after {
		if !before[w] {
			ix.insert(w, uint32(v.ID))
		}
	}
}

func wordSet(ws []string) map[string]bool {
	set := make(map[string]bool, len(ws))
	for _, w := range ws {
		set[w] = true
	}
	return set
}

// remove notes that v is gone. live tells which IDs still exist, for
// compaction.
func (ix *searchIndex) remove(v *Vlog, live map[uint64]*Vlog) {
	switch ix.mode {
	case indexDeferred:
		return
	case indexBuilding:
		ix.pending = append(ix.pending, indexChange{old: v})
		return
	}
	for _, w := range vlogWords(v) {
		ix.stale[w]++
		if list := ix.postings[w]; ix.stale[w]*2 >= len(list) {
			ix.postings[w] = slices.DeleteFunc(list, func(id uint32) bool { return live[uint64(id)] == nil })
			delete(ix.stale, w)
			if len(ix.postings[w]) == 0 {
				delete(ix.postings, w)
			}
		}
	}
}

// search returns a page of the vlogs containing every word of query,
// newest first. Its cost is a walk of the shortest word's list from the
// cursor, testing each ID against the other lists by binary search, until
// the page is full: it does not grow with the number of vlogs that match
// only some words.
func (ix *searchIndex) search(query string, c Cursor, limit int, live map[uint64]*Vlog) Page {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	qw := words(query)
	if len(qw) > maxQueryWords {
		qw = qw[:maxQueryWords]
	}
	if len(qw) == 0 {
		return Page{}
	}
	lists := make([][]uint32, len(qw))
	for i, w := range qw {
		lists[i] = ix.postings[w]
		if len(lists[i]) == 0 {
			return Page{}
		}
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
	first, rest := lists[0], lists[1:]
	match := func(i int) *Vlog {
		id := first[i]
		v := live[uint64(id)]
		if v == nil {
			return nil
		}
		for _, l := range rest {
			if _, ok := slices.BinarySearch(l, id); !ok {
				return nil
			}
		}
		return v
	}
	// Walk older (down from the cursor) or newer (up from it), collecting
	// limit matches, and look one match further to know if there is more.
	var p Page
	var found []*Vlog
	moreBeyond, moreBehind := false, false
	if c.After != 0 {
		start := sort.Search(len(first), func(i int) bool { return uint64(first[i]) > c.After })
		for i := start; i < len(first); i++ {
			if v := match(i); v != nil {
				if len(found) == limit {
					moreBeyond = true
					break
				}
				found = append(found, v)
			}
		}
		slices.Reverse(found)
		moreBehind = anyMatch(start-1, -1, match)
		if len(found) > 0 {
			if moreBeyond {
				p.Newer = found[0].ID
			}
			if moreBehind {
				p.Older = found[len(found)-1].ID
			}
		}
	} else {
		start := len(first) - 1
		if c.Before != 0 {
			start = sort.Search(len(first), func(i int) bool { return uint64(first[i]) >= c.Before }) - 1
		}
		for i := start; i >= 0; i-- {
			if v := match(i); v != nil {
				if len(found) == limit {
					moreBeyond = true
					break
				}
				found = append(found, v)
			}
		}
		moreBehind = anyMatch(start+1, len(first), match)
		if len(found) > 0 {
			if moreBeyond {
				p.Older = found[len(found)-1].ID
			}
			if moreBehind {
				p.Newer = found[0].ID
			}
		}
	}
	p.Vlogs = found
	return p
}

// count returns how many live vlogs contain every word of query, and how
// many of those have an ID above newerThan. It walks the rarest word's
// list once, so it costs O(matches of that word), unlike search.
func (ix *searchIndex) count(query string, newerThan uint64, live map[uint64]*Vlog) (total, newer int) {
	qw := words(query)
	if len(qw) > maxQueryWords {
		qw = qw[:maxQueryWords]
	}
	if len(qw) == 0 {
		return 0, 0
	}
	lists := make([][]uint32, len(qw))
	for i, w := range qw {
		if lists[i] = ix.postings[w]; len(lists[i]) == 0 {
			return 0, 0
		}
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
next:
	for _, id := range lists[0] {
		if live[uint64(id)] == nil {
			continue
		}
		for _, l := range lists[1:] {
			if _, ok := slices.BinarySearch(l, id); !ok {
				continue next
			}
		}
		total++
		if uint64(id) > newerThan {
			newer++
		}
	}
	return total, newer
}

// anyMatch reports whether match holds for some index from i towards end
// (exclusive), stepping by one in end's direction.
func anyMatch(i, end int, match func(int) *Vlog) bool {
	step := 1
	if end < i {
		step = -1
	}
	for ; i != end; i += step {
		if match(i) != nil {
			return true
		}
	}
	return false
}

// Search returns one page of the vlogs whose title or body contain every
// word of query (case-insensitive, whole words), newest first.
//
// Right after Open the index may still be being built (search_build.go):
// Search then waits for it, so that it never answers from part of it.
func (s *Store) Search(query string, c Cursor, limit int) Page {
	<-s.indexReady
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.index.search(query, c, limit, s.st.vlogs)
}

// SearchCount returns how many vlogs match query as Search matches them,
// and how many of those are newer than (have an ID above) newerThan: with
// the first vlog of a result page, the number of results before that page.
// It costs a pass over the matches of the query's rarest word.
// Like Search, it waits for the index after Open.
func (s *Store) SearchCount(query string, newerThan uint64) (total, newer int) {
	<-s.indexReady
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.index.count(query, newerThan, s.st.vlogs)
}

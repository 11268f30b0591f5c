package memstore

import "sort"

// DefaultPageSize is the number of vlogs on a page when the caller asks for
// none in particular.
const DefaultPageSize = 20

// Cursor picks a page of a newest-first listing. The zero Cursor is the
// newest page. Before asks for the vlogs older than that ID, After for those
// newer than it. Cursors are IDs rather than offsets so that vlogs created or
// deleted while someone pages never shift what they see: no duplicates, no
// gaps.
type Cursor struct {
	Before uint64
	After  uint64
}

// Page is one page of a newest-first listing.
type Page struct {
	Vlogs []*Vlog
	// Older is the Before cursor of the next (older) page; 0 when this page
	// holds the oldest vlog.
	Older uint64
	// Newer is the After cursor of the previous (newer) page; 0 when this
	// page holds the newest vlog.
	Newer uint64
	// Total is the length of the whole listing and Offset the number of
	// its vlogs that come before this page (are newer), so a page can say
	// "vlogs 21–40 of 62". Search pages leave both 0: counting matches
	// costs more than finding a page of them, so SearchCount does it on
	// request.
	Total, Offset int
}

// pageOf cuts one page out of list, which is sorted by ascending ID. It costs
// a binary search plus the page itself, whatever the length of list.
func pageOf(list []*Vlog, c Cursor, limit int) Page {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	var lo, hi int // the page is list[lo:hi], shown in reverse
	switch {
	case c.After != 0:
		lo = sort.Search(len(list), func(i int) bool { return list[i].ID > c.After })
		hi = min(len(list), lo+limit)
	case c.Before != 0:
		hi = sort.Search(len(list), func(i int) bool { return list[i].ID >= c.Before })
		lo = max(0, hi-limit)
	default:
		hi = len(list)
		lo = max(0, hi-limit)
	}
	p := Page{Vlogs: make([]*Vlog, 0, hi-lo), Total: len(list), Offset: len(list) - hi}
	for i := hi - 1; i >= lo; i-- {
		p.Vlogs = append(p.Vlogs, list[i])
	}
	if lo > 0 && hi > lo {
		p.Older = list[lo].ID
	}
	if hi < len(list) && hi > lo {
		p.Newer = list[hi-1].ID
	}
	return p
}

// indexOf returns the position of id in list (sorted by ascending ID), or -1.
func indexOf(list []*Vlog, id uint64) int {
	i := sort.Search(len(list), func(i int) bool { return list[i].ID >= id })
	if i < len(list) && list[i].ID == id {
		return i
	}
	return -1
}

package web

import (
	"container/list"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"vlogd/httpraw"
)

// DefaultPageCacheBytes is the render cache's budget when Options leave it 0.
const DefaultPageCacheBytes = 64 << 20

// pageKey names one cached response. The host and scheme are part of it
// because the feed and the API write absolute URLs built from them; the
// target is the request-target as received, so two spellings of one page
// are two entries, each correct.
type pageKey struct {
	host, target string
	tls          bool
}

// storedPage is a response kept as bytes: the identity body, its gzip
// form, and the fields they go out with. It never changes once built, so
// many connections may send it at once.
type storedPage struct {
	key pageKey
	gen uint64 // the store's Generation read before rendering began

	fields   []httpraw.Field // what the handler set besides framing and validators
	identity representation
	gzip     representation // body nil: not worth compressing
	// immutable marks a content-addressed URL: cached by anyone for a year.
	immutable bool
}

// representation is one encoding of a stored page's content.
type representation struct {
	body   []byte
	etag   string // strong, distinct for each representation
	length string // the Content-Length value, formatted once
}

// size is what a page is charged against the budget: its bodies, its
// strings and a fixed overhead for the entry and its bookkeeping.
func (p *storedPage) size() int64 {
	n := len(p.identity.body) + len(p.gzip.body) + len(p.key.host) + len(p.key.target) + 256
	for _, f := range p.fields {
		n += len(f.Name) + len(f.Value) + 32
	}
	return int64(n)
}

// pageCache holds stored pages under a byte budget, evicting the least
// recently used. A page is fresh while the store's Generation equals the
// one it was rendered at; stale pages are dropped when found.
type pageCache struct {
	budget int64

	mu    sync.Mutex
	size  int64
	lru   *list.List // of *storedPage, most recently used at the front
	index map[pageKey]*list.Element

	hits, misses, evictions atomic.Uint64
	bytes                   atomic.Int64
}

func newPageCache(budget int64) *pageCache {
	return &pageCache{budget: budget, lru: list.New(), index: make(map[pageKey]*list.Element)}
}

// get returns the page stored under k if it was rendered at generation
// gen, or nil. A page from an older generation is removed.
func (c *pageCache) get(k pageKey, gen uint64) *storedPage {
	c.mu.Lock()
	e, ok := c.index[k]
	if !ok {
		c.mu.Unlock()
		c.misses.Add(1)
		return nil
	}
	p := e.Value.(*storedPage)
	if p.gen != gen {
		if p.gen < gen {
			// Stale for good. (A newer page than this reader's
			// generation was stored by a reader that started later: it
			// stays for them.)
			c.remove(e)
		}
		c.mu.Unlock()
		c.misses.Add(1)
		return nil
	}
	c.lru.MoveToFront(e)
	c.mu.Unlock()
	c.hits.Add(1)
	return p
}

// put stores p, replacing an older rendering of the same page, and evicts
// from the back until the budget holds. A page larger than the whole
// budget is not stored. A rendering older than the one already stored
// (two readers raced) is dropped.
func (c *pageCache) put(p *storedPage) {
	sz := p.size()
	if sz > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.index[p.key]; ok {
		if e.Value.(*storedPage).gen > p.gen {
			return
		}
		c.remove(e)
	}
	c.index[p.key] = c.lru.PushFront(p)
	c.size += sz
	for c.size > c.budget {
		c.remove(c.lru.Back())
		c.evictions.Add(1)
	}
	c.bytes.Store(c.size)
}

// remove drops e; c.mu is held.
func (c *pageCache) remove(e *list.Element) {
	p := c.lru.Remove(e).(*storedPage)
	delete(c.index, p.key)
	c.size -= p.size()
	c.bytes.Store(c.size)
}

// len returns how many pages are stored, fresh or not.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// writeMetrics writes the cache's series in the Prometheus text format.
func (c *pageCache) writeMetrics(w io.Writer) {
	fmt.Fprintf(w, "# HELP vlogd_page_cache_hits_total Requests answered from the render cache.\n# TYPE vlogd_page_cache_hits_total counter\nvlogd_page_cache_hits_total %d\n", c.hits.Load())
	fmt.Fprintf(w, "# HELP vlogd_page_cache_misses_total Cacheable requests that found no fresh page and were rendered.\n# TYPE vlogd_page_cache_misses_total counter\nvlogd_page_cache_misses_total %d\n", c.misses.Load())
	fmt.Fprintf(w, "# HELP vlogd_page_cache_evictions_total Pages dropped to stay within the byte budget.\n# TYPE vlogd_page_cache_evictions_total counter\nvlogd_page_cache_evictions_total %d\n", c.evictions.Load())
	fmt.Fprintf(w, "# HELP vlogd_page_cache_bytes Bytes held by the render cache.\n# TYPE vlogd_page_cache_bytes gauge\nvlogd_page_cache_bytes %d\n", c.bytes.Load())
	fmt.Fprintf(w, "# HELP vlogd_page_cache_budget_bytes The render cache's byte budget.\n# TYPE vlogd_page_cache_budget_bytes gauge\nvlogd_page_cache_budget_bytes %d\n", c.budget)
}

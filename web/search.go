package web

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// maxQueryRunes bounds a search query; longer ones are refused.
const maxQueryRunes = 200

// search finds vlogs containing every word of ?q=, newest first, paged.
func (s *Site) search(w httpraw.ResponseWriter, r *httpraw.Request) {
	q := strings.TrimSpace(r.Query().Get("q"))
	c, ok := parseCursor(r)
	if !ok || !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQueryRunes {
		s.errorPage(w, r, 400, "That search is malformed or too long.")
		return
	}
	if q == "" {
		s.render(w, r, 200, "vlog_list", listView{Heading: "Search", Empty: "Type some words in the search box above and press Search."})
		return
	}
	p := s.store.Search(q, c, memstore.DefaultPageSize)
	var first uint64
	if len(p.Vlogs) > 0 {
		first = p.Vlogs[0].ID
	}
	total, newer := s.store.SearchCount(q, first)
	lv := s.listView(p, plural(total, "result", "results")+" for “"+q+"”", "No vlog contains all of those words.", pageLink("/search", url.Values{"q": {q}}))
	lv.Count = countText("Results", newer, len(p.Vlogs), total)
	lv.Words = queryWords(q)
	s.render(w, r, 200, "vlog_list", lv)
}

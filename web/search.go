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
	heading, empty := "Search", "Type some words in the search box above."
	var p memstore.Page
	if q != "" {
		p = s.store.Search(q, c, memstore.DefaultPageSize)
		heading, empty = "Results for “"+q+"”", "No vlog contains all of those words."
	}
	s.render(w, r, 200, "vlog_list", s.listView(p, heading, empty, pageLink("/search", url.Values{"q": {q}})))
}

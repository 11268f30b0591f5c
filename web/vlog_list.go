package web

import (
	"fmt"
	"net/url"
	"strconv"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogItem is one vlog in a listing, with its counts.
type vlogItem struct {
	*memstore.Vlog
	Likes    int
	Comments int
}

// listView is the data of every vlog listing: home, a user's page, search
// results.
type listView struct {
	Heading string
	Empty   string  // shown when there are no items
	Invite  *invite // a link after Empty, or nil
	Items   []vlogItem
	Older   string // link to the next (older) page, or ""
	Newer   string // link to the previous (newer) page, or ""
	// Count says where the page is in the listing: "vlogs 21–40 of 62".
	Count string
	// Words are the searched words, marked in titles and excerpts.
	Words []string
	// Account is the user whose page this is, for the owner's disable
	// button; nil on other listings.
	Account *memstore.User
}

// invite is a call to action in an empty listing: Text is the link's text
// and After what follows it in the sentence.
type invite struct {
	Href, Text, After string
}

// countText is "vlogs 21–40 of 62" for a page of n items after offset
// others, of total; "" for an empty listing.
func countText(noun string, offset, n, total int) string {
	if n == 0 || total == 0 {
		return ""
	}
	return fmt.Sprintf("%s %d–%d of %d", noun, offset+1, offset+n, total)
}

// link is an anchor's address and words.
type link struct{ Href, Text string }

// listView turns a page into the template's data. link builds the address
// of another page of the same listing from its cursor.
func (s *Site) listView(p memstore.Page, heading, empty string, link func(key string, id uint64) string) listView {
	lv := listView{Heading: heading, Empty: empty}
	for _, v := range p.Vlogs {
		lv.Items = append(lv.Items, vlogItem{Vlog: v, Likes: s.store.LikeCount(v.ID), Comments: s.store.CommentCount(v.ID)})
	}
	if p.Older != 0 {
		lv.Older = link("before", p.Older)
	}
	if p.Newer != 0 {
		lv.Newer = link("after", p.Newer)
	}
	lv.Count = countText("Vlogs", p.Offset, len(p.Vlogs), p.Total)
	return lv
}

// pageLink returns a link function for listings at path with the fixed
// query q (may be nil).
func pageLink(path string, q url.Values) func(string, uint64) string {
	return func(key string, id uint64) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set(key, strconv.FormatUint(id, 10))
		return path + "?" + v.Encode()
	}
}

// vlogList shows one page of vlogs, newest first. ?before=ID and ?after=ID
// pick older and newer pages.
func (s *Site) vlogList(w httpraw.ResponseWriter, r *httpraw.Request) {
	c, ok := parseCursor(r)
	if !ok {
		s.errorPage(w, r, 400, "That page link is malformed.")
		return
	}
	p := s.store.Vlogs(c, memstore.DefaultPageSize)
	lv := s.listView(p, "Vlogs", "No vlogs yet.", pageLink("/", nil))
	switch {
	case s.store.UserCount() == 0 && s.signup == SignupClosed:
		lv.Empty = "This site is new and has no accounts yet. Its owner makes the first one on the server with: vlogd user add NAME"
	case s.store.UserCount() == 0:
		// A new site: the first account is its owner's.
		lv.Empty = "This site is new and has no owner yet."
		lv.Invite = &invite{Href: "/signup", Text: "Sign up to become its owner", After: " and write the first vlog."}
	default:
		lv.Invite = &invite{Href: "/vlogs/new", Text: "Write the first vlog", After: "."}
	}
	s.render(w, r, 200, "vlog_list", lv)
}

// parseCursor reads ?before= or ?after= (at most one, a positive ID).
func parseCursor(r *httpraw.Request) (memstore.Cursor, bool) {
	q := r.Query()
	var c memstore.Cursor
	for key, dst := range map[string]*uint64{"before": &c.Before, "after": &c.After} {
		vals, present := q[key]
		if !present {
			continue
		}
		if len(vals) != 1 {
			return c, false
		}
		id, ok := parseID(vals[0])
		if !ok {
			return c, false
		}
		*dst = id
	}
	return c, c.Before == 0 || c.After == 0
}

// parseID accepts an ID exactly as the site prints it: a positive decimal
// number without sign or leading zeros.
func parseID(s string) (uint64, bool) {
	if s == "" || s[0] == '0' || len(s) > 20 {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

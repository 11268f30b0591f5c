package web

import (
	"strconv"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogList shows one page of vlogs, newest first. ?before=ID and ?after=ID
// pick older and newer pages.
func (s *Site) vlogList(w httpraw.ResponseWriter, r *httpraw.Request) {
	c, ok := parseCursor(r)
	if !ok {
		s.errorPage(w, r, 400, "That page link is malformed.")
		return
	}
	s.render(w, r, 200, "vlog_list", s.store.Vlogs(c, memstore.DefaultPageSize))
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

// parseID accepts a vlog ID exactly as the site prints it: a positive
// decimal number without sign or leading zeros.
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

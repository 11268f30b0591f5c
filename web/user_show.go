package web

import (
	"vlogd/httpraw"
	"vlogd/memstore"
)

// userShow lists one user's vlogs, newest first, paged like the home page.
func (s *Site) userShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	u, err := s.store.UserByName(r.Param("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, ok := parseCursor(r)
	if !ok {
		s.errorPage(w, r, 400, "That page link is malformed.")
		return
	}
	p := s.store.VlogsBy(u.ID, c, memstore.DefaultPageSize)
	lv := s.listView(p, "Vlogs by "+u.Name, u.Name+" has not posted anything yet.", pageLink("/users/"+u.Name, nil))
	lv.Account = u
	s.render(w, r, 200, "vlog_list", lv)
}

package web

import (
	"strconv"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogShow shows one vlog.
func (s *Site) vlogShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	s.render(w, r, 200, "vlog_show", v)
}

// vlogParam loads the vlog named by the {id} of the route, answering 404
// itself when the id is malformed or unknown.
func (s *Site) vlogParam(w httpraw.ResponseWriter, r *httpraw.Request) (*memstore.Vlog, bool) {
	id, ok := parseID(r.Param("id"))
	if !ok {
		s.notFound(w, r)
		return nil, false
	}
	v, err := s.store.Vlog(id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return v, true
}

// vlogPath is the address of a vlog's page.
func vlogPath(id uint64) string { return "/vlogs/" + strconv.FormatUint(id, 10) }

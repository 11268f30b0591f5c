package web

import "vlogd/httpraw"

// routes is the whole URL space of the site, in one place.
func (s *Site) routes() *httpraw.Mux {
	m := httpraw.NewMux()
	m.NotFound = httpraw.HandlerFunc(s.notFound)
	m.MethodNotAllowed = httpraw.HandlerFunc(s.methodNotAllowed)

	m.HandleFunc("GET /", s.vlogList)
	m.HandleFunc("GET /vlogs/new", s.vlogNew)
	m.HandleFunc("POST /vlogs", s.vlogCreate)
	m.HandleFunc("GET /vlogs/{id}", s.vlogShow)
	m.HandleFunc("POST /vlogs/{id}/delete", s.vlogDelete)
	m.HandleFunc("GET /static/{path...}", s.staticFile)
	return m
}

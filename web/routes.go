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
	m.HandleFunc("GET /vlogs/{id}/edit", s.vlogEdit)
	m.HandleFunc("POST /vlogs/{id}/edit", s.vlogUpdate)
	m.HandleFunc("POST /vlogs/{id}/delete", s.vlogDelete)

	m.HandleFunc("GET /signup", s.userNew)
	m.HandleFunc("POST /signup", s.userCreate)
	m.HandleFunc("GET /login", s.sessionNew)
	m.HandleFunc("POST /login", s.sessionCreate)
	m.HandleFunc("POST /logout", s.sessionDelete)
	m.HandleFunc("GET /media/{hash}", s.mediaShow)
	m.HandleFunc("GET /static/{path...}", s.staticFile)
	return m
}

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
	m.HandleFunc("GET /vlogs/{id}/delete", s.vlogDeleteConfirm)
	m.HandleFunc("POST /vlogs/{id}/delete", s.vlogDelete)
	m.HandleFunc("POST /vlogs/{id}/like", s.vlogLike)
	m.HandleFunc("POST /vlogs/{id}/comments", s.commentCreate)
	m.HandleFunc("GET /vlogs/{id}/comments/{cid}/delete", s.commentDeleteConfirm)
	m.HandleFunc("POST /vlogs/{id}/comments/{cid}/delete", s.commentDelete)
	m.HandleFunc("GET /users/{name}", s.userShow)
	m.HandleFunc("GET /search", s.search)
	m.HandleFunc("GET /feed.atom", s.feed)
	m.HandleFunc("GET /api/vlogs", s.apiVlogList)
	m.HandleFunc("GET /api/vlogs/{id}", s.apiVlogShow)
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /metrics", s.metrics)

	m.HandleFunc("GET /signup", s.userNew)
	m.HandleFunc("POST /signup", s.userCreate)
	m.HandleFunc("GET /login", s.sessionNew)
	m.HandleFunc("POST /login", s.sessionCreate)
	m.HandleFunc("POST /logout", s.sessionDelete)
	m.HandleFunc("GET /invites", s.inviteList)
	m.HandleFunc("POST /invites", s.inviteCreate)
	m.HandleFunc("POST /invites/{id}/revoke", s.inviteRevoke)
	m.HandleFunc("POST /users/{name}/disable", s.userDisable)
	m.HandleFunc("GET /media/{hash}", s.mediaShow)
	m.HandleFunc("GET /static/{path...}", s.staticFile)
	m.HandleFunc("GET /favicon.ico", s.favicon)
	m.HandleFunc("GET /vlogs/{id}/embed", s.vlogEmbed)
	m.HandleFunc("GET /oembed", s.oembed)
	return m
}

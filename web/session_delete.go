package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// sessionDelete signs out: the session is destroyed on the server, not
// just forgotten by the browser, so a copied cookie stops working too.
func (s *Site) sessionDelete(w httpraw.ResponseWriter, r *httpraw.Request) {
	_, v, ok := s.postForm(w, r)
	if !ok {
		return
	}
	if v.token != "" {
		if err := s.store.DeleteSession(tokenHash(v.token)); err != nil && !errors.Is(err, memstore.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w, r)
	seeOther(w, "/")
}

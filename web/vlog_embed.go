package web

import (
	"bytes"
	"strconv"

	"vlogd/httpraw"
)

// embedCSP is the policy of the embeddable player: like every page's,
// except that any site may frame it. It is the only page that may be
// framed; it has no forms and acts on nothing, so there is nothing to
// click-jack.
const embedCSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *; object-src 'none'"

// vlogEmbed serves a bare player for other sites' iframes: the video (or
// how far its conversion is) and a link to the vlog.
func (s *Site) vlogEmbed(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	data := vlogPage{Vlog: v, Player: newPlayer(v.Title, v.Video, false), Base: s.baseURL}
	var buf bytes.Buffer
	if err := s.pages["embed"].Execute(&buf, data); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", embedCSP)
	h.Del("X-Frame-Options")
	w.WriteHeader(200)
	w.Write(buf.Bytes())
}

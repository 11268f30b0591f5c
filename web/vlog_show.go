package web

import (
	"net/url"
	"strconv"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// vlogPage is the data of a vlog's page: the vlog, its comments and likes,
// and after a refused comment, the message and the text typed.
type vlogPage struct {
	Vlog          *memstore.Vlog
	Player        *player // nil without a video
	Base          string  // the site's origin as the client named it, for links shared elsewhere
	Comments      []*memstore.Comment
	Likes         int
	Liked         bool
	CommentBody   string
	CommentErrors formErrors
}

func (s *Site) vlogPage(r *httpraw.Request, v *memstore.Vlog) vlogPage {
	p := vlogPage{Vlog: v, Comments: s.store.Comments(v.ID), Likes: s.store.LikeCount(v.ID)}
	u := s.viewer(r).user
	if u != nil {
		p.Liked = s.store.Liked(v.ID, u.ID)
	}
	p.Player = newPlayer(v.Title, v.Video, u != nil && u.ID == v.AuthorID)
	p.Base = s.baseURL
	return p
}

// vlogShow shows one vlog with its video, likes and comments.
func (s *Site) vlogShow(w httpraw.ResponseWriter, r *httpraw.Request) {
	v, ok := s.vlogParam(w, r)
	if !ok {
		return
	}
	s.render(w, r, 200, "vlog_show", s.vlogPage(r, v))
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

// vlogAction starts every plain form POST on a vlog (delete, like,
// comment): the form must come from this site (Origin, CSRF token), the
// vlog must exist, and the visitor must be signed in, or they are sent to
// sign in and come back to the vlog. When ok is false it has answered.
func (s *Site) vlogAction(w httpraw.ResponseWriter, r *httpraw.Request) (form url.Values, v *memstore.Vlog, u *memstore.User, ok bool) {
	if form, _, ok = s.postForm(w, r); !ok {
		return nil, nil, nil, false
	}
	if v, ok = s.vlogParam(w, r); !ok {
		return nil, nil, nil, false
	}
	if u = s.requireUser(w, r, vlogPath(v.ID)); u == nil {
		return nil, nil, nil, false
	}
	return form, v, u, true
}

package web

import "vlogd/httpraw"

// vlogForm is the data of the create form: what the person typed and, after
// a refused submit, the message for each field.
type vlogForm struct {
	Title  string
	Body   string
	Errors map[string]string
}

// vlogNew shows the empty form.
func (s *Site) vlogNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.render(w, r, 200, "vlog_form", vlogForm{})
}

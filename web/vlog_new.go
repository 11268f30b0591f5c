package web

import "vlogd/httpraw"

// vlogForm is the data of the create and edit forms: what the person typed
// and, after a refused submit, the message for each field. ID is 0 on the
// create form.
type vlogForm struct {
	ID       uint64
	Title    string
	Body     string
	HasVideo bool // the vlog being edited has a video
	Errors   formErrors
	Kept     *keptVideo // a video kept from the refused try, or nil
}

// keptVideo is a video sent with a form that was refused, held for the
// next try under Token.
type keptVideo struct {
	Token, Name, Size string
}

// vlogNew shows the empty form to a signed-in user.
func (s *Site) vlogNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	if s.requireUser(w, r, "/vlogs/new") == nil {
		return
	}
	s.render(w, r, 200, "vlog_form", vlogForm{})
}

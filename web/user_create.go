package web

import (
	"errors"

	"vlogd/httpraw"
	"vlogd/memstore"
)

// authForm is the data of the sign-up and sign-in forms.
type authForm struct {
	Username string
	Next     string
	Errors   map[string]string // sign-up: per field
	Error    string            // sign-in: one message for the whole form
}

// userNew shows the sign-up form.
func (s *Site) userNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.render(w, r, 200, "user_form", authForm{Next: safeNext(r.Query().Get("next"))})
}

// userCreate makes an account, signs it in and sends it where it was going.
func (s *Site) userCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	name, password := form.Get("username"), form.Get("password")
	data := authForm{Username: name, Next: safeNext(form.Get("next"))}
	refuse := func(field, msg string) {
		data.Errors = map[string]string{field: msg}
		s.render(w, r, 422, "user_form", data)
	}
	var ve *memstore.ValidationError
	if err := memstore.ValidateUsername(name); errors.As(err, &ve) {
		refuse(ve.Field, ve.Msg)
		return
	}
	if msg := validatePassword(password); msg != "" {
		refuse("password", msg)
		return
	}
	hash, err := hashPassword(password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.CreateUser(name, hash)
	if errors.As(err, &ve) {
		refuse(ve.Field, ve.Msg)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.signIn(w, r, u); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, data.Next)
}

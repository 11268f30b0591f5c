package web

import (
	"vlogd/httpraw"
	"vlogd/memstore"
)

// authForm is the data of the sign-up and sign-in forms.
type authForm struct {
	Username string
	Next     string
	Errors   formErrors // every problem at once, in the order of the fields
}

// userNew shows the sign-up form.
func (s *Site) userNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.render(w, r, 200, "user_form", authForm{Next: safeNext(r.Query().Get("next"))})
}

// userCreate makes an account, signs it in and sends it where it was going,
// or shows the form again with every problem of the name and the password.
func (s *Site) userCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	name, password := form.Get("username"), form.Get("password")
	data := authForm{Username: name, Next: safeNext(form.Get("next"))}
	if !data.Errors.addInvalid(memstore.ValidateUsername(name), nil, nil) {
		if _, err := s.store.UserByName(name); err == nil {
			data.Errors.add("username", "Username is already taken.")
		}
	}
	if msg := validatePassword(password); msg != "" {
		data.Errors.add("password", "Password "+msg+".")
	}
	if data.Errors != nil {
		s.render(w, r, 422, "user_form", data)
		return
	}
	hash, err := hashPassword(password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.CreateUser(name, hash)
	if data.Errors.addInvalid(err, nil, nil) {
		// Taken between the check above and now.
		s.render(w, r, 422, "user_form", data)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.logger.Info("signed up", "user", u.Name, "client", s.clientAddr(r))
	if err := s.signIn(w, r, u); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, data.Next)
}

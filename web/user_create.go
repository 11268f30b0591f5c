package web

import (
	"vlogd/httpraw"
	"vlogd/memstore"
)

// authForm is the data of the sign-up and sign-in forms.
type authForm struct {
	Username string
	Next     string
	Invite   string     // sign-up: the invite code the form carries
	First    bool       // sign-up: this account will own the site
	Errors   formErrors // every problem at once, in the order of the fields
}

// userNew shows the sign-up form, or the page saying why sign-up is
// refused under the site's policy.
func (s *Site) userNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	code := r.Query().Get("invite")
	ticket, refused := s.signupAllowed(code)
	if refused != "" {
		s.errorPage(w, r, 403, refused)
		return
	}
	s.render(w, r, 200, "user_form", authForm{Next: safeNext(r.Query().Get("next")), Invite: code, First: ticket.firstOnly || s.store.UserCount() == 0})
}

// userCreate makes an account, signs it in and sends it where it was going,
// or shows the form again with every problem of the name and the password.
// The policy is checked before the password is hashed, so refused
// sign-ups cost nothing.
func (s *Site) userCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	name, password, code := form.Get("username"), form.Get("password"), form.Get("invite")
	ticket, refused := s.signupAllowed(code)
	if refused != "" {
		s.errorPage(w, r, 403, refused)
		return
	}
	data := authForm{Username: name, Next: safeNext(form.Get("next")), Invite: code, First: ticket.firstOnly}
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
	hash, err := s.hash(password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.store.AddUser(memstore.NewUser{Name: name, PasswordHash: hash, InviteID: ticket.invite, FirstOnly: ticket.firstOnly})
	if data.Errors.addInvalid(err, nil, nil) {
		// Taken between the check above and now.
		s.render(w, r, 422, "user_form", data)
		return
	}
	if msg := signupRefusal(err); msg != "" {
		// The invite was spent, or someone else became the owner, meanwhile.
		s.errorPage(w, r, 403, msg)
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

package web

import (
	"strconv"
	"strings"
	"time"

	"vlogd/httpraw"
)

// sessionNew shows the sign-in form.
func (s *Site) sessionNew(w httpraw.ResponseWriter, r *httpraw.Request) {
	s.render(w, r, 200, "session_form", authForm{Next: safeNext(r.Query().Get("next"))})
}

// sessionCreate signs a user in. Wrong names and wrong passwords get the
// same answer after the same work, and repeated failures per name and per
// address are throttled with 429.
func (s *Site) sessionCreate(w httpraw.ResponseWriter, r *httpraw.Request) {
	form, _, ok := s.postForm(w, r)
	if !ok {
		return
	}
	name, password := form.Get("username"), form.Get("password")
	data := authForm{Username: name, Next: safeNext(form.Get("next"))}
	if name == "" {
		data.Errors.add("username", "Enter your username.")
	}
	if password == "" {
		data.Errors.add("password", "Enter your password.")
	}
	if data.Errors != nil {
		s.render(w, r, 422, "session_form", data)
		return
	}
	nameKey, addrKey := strings.ToLower(name), s.clientAddr(r)

	// An attempt counts against both throttles as it starts, before the
	// costly hash: a flood of concurrent attempts is cut off at the limit
	// instead of being counted only once it has failed.
	wait := s.loginByAddr.attempt(addrKey)
	if wait == 0 {
		if wait = s.loginByName.attempt(nameKey); wait > 0 {
			s.loginByAddr.forgive(addrKey) // refused before it started
		}
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.errorPage(w, r, 429, "Too many failed sign-ins. Please wait "+strconv.Itoa((secs+59)/60)+" minute(s) and try again.")
		return
	}

	hash := s.dummyHash
	u, lookupErr := s.store.UserByName(name)
	if lookupErr == nil {
		hash = u.PasswordHash
	}
	// The hash is always computed, even for an unknown name, so timing
	// does not tell which names exist.
	match, err := s.check(hash, password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if lookupErr != nil || !match {
		data.Errors.add("username", "Wrong username or password.")
		s.render(w, r, 422, "session_form", data)
		return
	}
	// Only the right password learns that the account is disabled.
	if u.Disabled {
		s.errorPage(w, r, 403, "This account has been disabled by the site's owner.")
		return
	}
	s.loginByName.reset(nameKey)
	s.loginByAddr.forgive(addrKey)
	if err := s.signIn(w, r, u); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, data.Next)
}

package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"vlogd/memstore"
)

// SignupPolicy says who may make an account on the site.
type SignupPolicy string

const (
	// SignupInvite lets in whoever holds an unused, unexpired invite link
	// from the owner. The default.
	SignupInvite SignupPolicy = "invite"
	// SignupOpen lets anyone make an account.
	SignupOpen SignupPolicy = "open"
	// SignupClosed refuses every new account made through the site;
	// `vlogd user add` still works.
	SignupClosed SignupPolicy = "closed"
)

// ParseSignupPolicy reads "open", "invite" or "closed"; "" is
// SignupInvite.
func ParseSignupPolicy(s string) (SignupPolicy, error) {
	switch p := SignupPolicy(s); p {
	case "":
		return SignupInvite, nil
	case SignupInvite, SignupOpen, SignupClosed:
		return p, nil
	}
	return "", fmt.Errorf("web: sign-up policy %q: want open, invite or closed", s)
}

// A sign-up the policy refuses gets a page saying why, with 403.
const (
	msgSignupClosed = "This site does not take new accounts. If you run it, add one with: vlogd user add NAME"
	msgInviteOnly   = "Accounts on this site are by invitation only. Ask the site's owner for an invite link."
	msgInviteBad    = "This invite link cannot be used: it was used already, has expired, was withdrawn, or was copied incompletely. Ask the site's owner for a new one."
)

// signupTicket is what the policy allows a sign-up: which invite it
// spends, or that it may only make the site's first account.
type signupTicket struct {
	invite    uint64
	firstOnly bool
}

// signupAllowed decides whether a sign-up carrying the invite code may
// proceed; refused is the message for a 403 page, "" when allowed. The
// store checks the ticket again when the account is written.
func (s *Site) signupAllowed(code string) (t signupTicket, refused string) {
	empty := s.store.UserCount() == 0
	switch {
	case s.signup == SignupClosed:
		return t, msgSignupClosed
	case s.signup == SignupOpen:
		return t, ""
	case empty:
		// The would-be owner of a new site needs no invite; the store
		// lets only the first such sign-up through.
		return signupTicket{firstOnly: true}, ""
	case code == "":
		return t, msgInviteOnly
	}
	id, ok := s.parseInviteCode(code)
	if !ok {
		return t, msgInviteBad
	}
	if inv, err := s.store.Invite(id); err != nil || !inv.Usable(s.now()) {
		return t, msgInviteBad
	}
	return signupTicket{invite: id}, ""
}

// signupRefusal maps the store's verdict on a ticket to the page's words.
func signupRefusal(err error) string {
	switch {
	case errors.Is(err, memstore.ErrInvalidInvite):
		return msgInviteBad
	case errors.Is(err, memstore.ErrNotFirst):
		return msgInviteOnly
	}
	return ""
}

// inviteMACLen is how much of the invite's HMAC its code carries: 128
// bits, beyond guessing.
const inviteMACLen = 16

// inviteCode is the secret part of an invite link: the invite's ID and an
// HMAC of it keyed with the server's secret. The log holds only the ID,
// so a copy of it does not let anyone in; the owner's page can show the
// link again at any time.
func (s *Site) inviteCode(id uint64) string {
	return strconv.FormatUint(id, 10) + "." + base64.RawURLEncoding.EncodeToString(s.inviteMAC(id))
}

func (s *Site) inviteMAC(id uint64) []byte {
	mac := hmac.New(sha256.New, s.inviteKey)
	mac.Write([]byte("invite\x00" + strconv.FormatUint(id, 10)))
	return mac.Sum(nil)[:inviteMACLen]
}

// parseInviteCode returns the invite ID of a well-formed code whose HMAC
// is right. Decoding is strict so that exactly one spelling of a code is
// accepted.
func (s *Site) parseInviteCode(code string) (uint64, bool) {
	idText, macText, ok := strings.Cut(code, ".")
	if !ok || len(macText) != base64.RawURLEncoding.EncodedLen(inviteMACLen) {
		return 0, false
	}
	id, ok := parseID(idText)
	if !ok {
		return 0, false
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(macText)
	if err != nil || !hmac.Equal(mac, s.inviteMAC(id)) {
		return 0, false
	}
	return id, true
}

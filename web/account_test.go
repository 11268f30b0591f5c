package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vlogd/memstore"
)

// withPolicy runs the site under a sign-up policy with a clock the test
// moves (the site's and the store's).
func withPolicy(p SignupPolicy, now func() time.Time) siteOption {
	return func(c *siteConfig) {
		c.web.Signup = p
		c.web.Now = now
		c.store.Now = now
	}
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock               { return &testClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }
func (c *testClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var inviteLinkRE = regexp.MustCompile(`class="invite-link" type="text" readonly value="([^"]+)"`)

// makeInvite has the owner make an invite and returns its link's path
// and query, as the invites page shows it.
func (c *client) makeInvite(tb testing.TB) string {
	tb.Helper()
	resp, body := c.post(tb, "/invites", url.Values{"days": {"7"}})
	if resp.StatusCode != 303 {
		tb.Fatalf("make invite: status %d\n%s", resp.StatusCode, body)
	}
	_, page := c.get(tb, "/invites")
	m := inviteLinkRE.FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("no invite link on /invites:\n%s", page)
	}
	u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil || u.Scheme+"://"+u.Host != c.ts.URL {
		tb.Fatalf("invite link %q is not on the site's base URL %s", m[1], c.ts.URL)
	}
	return u.RequestURI()
}

// signUpWith tries a sign-up with an invite code (may be "") and returns
// the response.
func (ts *testSite) signUpWith(tb testing.TB, name, invite string) (*client, *http.Response, string) {
	tb.Helper()
	c := ts.newClient(tb)
	form := url.Values{"username": {name}, "password": {testPassword}}
	if invite != "" {
		form.Set("invite", invite)
	}
	resp, body := c.post(tb, "/signup", form)
	return c, resp, body
}

func inviteOf(tb testing.TB, link string) string {
	tb.Helper()
	u, err := url.Parse(link)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Query().Get("invite")
}

func TestInviteOnlySignup(t *testing.T) {
	clock := newTestClock()
	ts := mustServeSite(t, withPolicy(SignupInvite, clock.now))
	visitor := ts.newClient(t)

	// An empty site invites its would-be owner.
	_, home := visitor.get(t, "/")
	wantContains(t, home, "has no owner yet.", `<a href="/signup">Sign up to become its owner</a>`)
	resp, form := visitor.get(t, "/signup")
	wantStatus(t, resp, 200)
	wantContains(t, form, "will be its owner")
	owner, resp, body := ts.signUpWith(t, "owner", "")
	if resp.StatusCode != 303 {
		t.Fatalf("the first sign-up: %d\n%s", resp.StatusCode, body)
	}
	if u, err := ts.Store.UserByName("owner"); err != nil || !u.Owner {
		t.Fatalf("first account = %+v, %v; want the owner", u, err)
	}
	_, home = owner.get(t, "/")
	wantContains(t, home, `<a href="/invites">Invites</a>`, `<a href="/vlogs/new">Write the first vlog</a>`)

	// Now an invite is needed.
	resp, body = visitor.get(t, "/signup")
	wantStatus(t, resp, 403)
	wantContains(t, body, "by invitation only")
	if _, resp, body = ts.signUpWith(t, "crasher", ""); resp.StatusCode != 403 || !strings.Contains(body, "by invitation only") {
		t.Fatalf("sign-up without an invite: %d\n%s", resp.StatusCode, body)
	}

	link := owner.makeInvite(t)
	resp, body = visitor.get(t, link)
	wantStatus(t, resp, 200)
	wantContains(t, body, `name="invite" value="`+inviteOf(t, link)+`"`)
	guest, resp, body := ts.signUpWith(t, "guest", inviteOf(t, link))
	if resp.StatusCode != 303 {
		t.Fatalf("sign-up with an invite: %d\n%s", resp.StatusCode, body)
	}
	if _, body := guest.get(t, "/vlogs/new"); !strings.Contains(body, "Signed in as") {
		t.Fatal("the invited account is not signed in")
	}
	_, page := owner.get(t, "/invites")
	wantContains(t, page, "used by guest")

	// Used twice, tampered with, expired, withdrawn: refused, nothing made.
	if _, resp, body = ts.signUpWith(t, "second", inviteOf(t, link)); resp.StatusCode != 403 || !strings.Contains(body, "cannot be used") {
		t.Fatalf("second use of an invite: %d\n%s", resp.StatusCode, body)
	}
	fresh := inviteOf(t, owner.makeInvite(t))
	tampered := fresh[:len(fresh)-2] + "AA"
	if tampered == fresh {
		tampered = fresh[:len(fresh)-2] + "BB"
	}
	for _, code := range []string{tampered, "1.", "99." + strings.Split(fresh, ".")[1], "junk"} {
		if _, resp, _ = ts.signUpWith(t, "forger", code); resp.StatusCode != 403 {
			t.Fatalf("sign-up with invite %q: %d, want 403", code, resp.StatusCode)
		}
	}
	clock.advance(7*24*time.Hour + time.Second)
	resp, body = visitor.get(t, "/signup?invite="+url.QueryEscape(fresh))
	if resp.StatusCode != 403 || !strings.Contains(body, "expired") {
		t.Fatalf("expired invite page: %d\n%s", resp.StatusCode, body)
	}
	if _, resp, _ = ts.signUpWith(t, "late", fresh); resp.StatusCode != 403 {
		t.Fatalf("sign-up with an expired invite: %d, want 403", resp.StatusCode)
	}
	withdrawn := owner.makeInvite(t)
	inv := ts.Store.Invites()[0]
	if resp, _ := owner.post(t, "/invites/"+itoa(inv.ID)+"/revoke", nil); resp.StatusCode != 303 {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if _, resp, _ = ts.signUpWith(t, "withdrawn", inviteOf(t, withdrawn)); resp.StatusCode != 403 {
		t.Fatalf("sign-up with a withdrawn invite: %d, want 403", resp.StatusCode)
	}
	if n := ts.Store.UserCount(); n != 2 {
		t.Fatalf("%d accounts, want 2 (owner and guest)", n)
	}

	// Only the owner sees or makes invites.
	resp, _ = guest.get(t, "/invites")
	wantStatus(t, resp, 403)
	resp, _ = guest.post(t, "/invites", url.Values{"days": {"7"}})
	wantStatus(t, resp, 403)
	resp, _ = visitor.get(t, "/invites")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous /invites: %d %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestClosedSignup(t *testing.T) {
	ts := mustServeSite(t, withPolicy(SignupClosed, nil))
	c := ts.newClient(t)
	_, home := c.get(t, "/")
	wantContains(t, home, "vlogd user add NAME")
	resp, body := c.get(t, "/signup")
	wantStatus(t, resp, 403)
	wantContains(t, body, "does not take new accounts")
	if _, resp, _ = ts.signUpWith(t, "first", ""); resp.StatusCode != 403 {
		t.Fatalf("sign-up on a closed site: %d, want 403", resp.StatusCode)
	}
	// An account made on the server can sign in; nobody else can join.
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Store.AddUser(memstore.NewUser{Name: "boss", PasswordHash: hash, ClaimOwner: true}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.post(t, "/login", url.Values{"username": {"boss"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatalf("sign in as the added owner: %d", resp.StatusCode)
	}
	link := c.makeInvite(t)
	if _, resp, _ = ts.signUpWith(t, "invited", inviteOf(t, link)); resp.StatusCode != 403 {
		t.Fatalf("invite on a closed site: %d, want 403", resp.StatusCode)
	}
	if n := ts.Store.UserCount(); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
}

func TestOpenSignup(t *testing.T) {
	ts := mustServeSite(t, withPolicy(SignupOpen, nil))
	for _, name := range []string{"first", "second", "third"} {
		if _, resp, body := ts.signUpWith(t, name, ""); resp.StatusCode != 303 {
			t.Fatalf("open sign-up %s: %d\n%s", name, resp.StatusCode, body)
		}
	}
	if o, err := ts.Store.Owner(); err != nil || o.Name != "first" {
		t.Fatalf("owner = %v, %v; want first", o, err)
	}
}

func TestOwnerModeratesAndDisables(t *testing.T) {
	ts := mustServeSite(t)
	owner := ts.signUp(t, "owner")
	bob := ts.signUp(t, "bob")
	carol := ts.signUp(t, "carol")
	spam := bob.createVlog(t, "spam", "buy now")
	keep := bob.createVlog(t, "keep", "fine")
	if resp, _ := carol.post(t, keep+"/comments", url.Values{"body": {"rude"}}); resp.StatusCode != 303 {
		t.Fatal("comment failed")
	}
	cid := ts.Store.Comments(2)[0].ID

	// A member cannot; the owner can, and sees the buttons.
	resp, _ := carol.post(t, spam+"/delete", nil)
	wantStatus(t, resp, 403)
	_, page := owner.get(t, keep)
	wantContains(t, page, `href="`+keep+`/delete"`, `href="`+keep+`/comments/`+itoa(cid)+`/delete"`)
	if strings.Contains(page, keep+"/edit") {
		t.Fatal("the owner is offered to edit someone else's vlog")
	}
	for _, confirm := range []string{keep + "/delete", keep + "/comments/" + itoa(cid) + "/delete"} {
		if resp, _ := owner.get(t, confirm); resp.StatusCode != 200 {
			t.Fatalf("owner's confirmation page %s: %d, want 200", confirm, resp.StatusCode)
		}
		if resp, _ := carol.get(t, confirm); confirm == keep+"/delete" && resp.StatusCode != 403 {
			t.Fatalf("member's confirmation page %s: %d, want 403", confirm, resp.StatusCode)
		}
	}
	if resp, _ := owner.post(t, keep+"/comments/"+itoa(cid)+"/delete", nil); resp.StatusCode != 303 {
		t.Fatalf("owner deletes a comment: %d", resp.StatusCode)
	}
	if resp, _ := owner.post(t, spam+"/delete", nil); resp.StatusCode != 303 {
		t.Fatalf("owner deletes a vlog: %d", resp.StatusCode)
	}
	if resp, _ := owner.get(t, spam); resp.StatusCode != 404 {
		t.Fatalf("deleted vlog: %d, want 404", resp.StatusCode)
	}
	if n := ts.Store.CommentCount(2); n != 0 {
		t.Fatalf("%d comments left, want 0", n)
	}

	// Disabling ends bob's session at once and keeps him out.
	resp, _ = carol.post(t, "/users/bob/disable", url.Values{"disabled": {"1"}})
	wantStatus(t, resp, 403)
	_, page = owner.get(t, "/users/bob")
	wantContains(t, page, `action="/users/bob/disable"`, "Disable account")
	if resp, _ := owner.post(t, "/users/bob/disable", url.Values{"disabled": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	resp, _ = bob.get(t, "/vlogs/new")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("disabled account's old session: %d %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
	again := ts.newClient(t)
	resp, body := again.post(t, "/login", url.Values{"username": {"bob"}, "password": {testPassword}})
	if resp.StatusCode != 403 || !strings.Contains(body, "disabled") {
		t.Fatalf("disabled account signs in: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = again.post(t, "/login", url.Values{"username": {"bob"}, "password": {"a wrong password"}})
	wantStatus(t, resp, 422) // a wrong password learns nothing about the account
	if resp, _ := owner.post(t, "/users/owner/disable", url.Values{"disabled": {"1"}}); resp.StatusCode != 403 {
		t.Fatalf("owner disables itself: %d, want 403", resp.StatusCode)
	}
	if resp, _ := owner.post(t, "/users/bob/disable", url.Values{"disabled": {"0"}}); resp.StatusCode != 303 {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	if resp, _ := again.post(t, "/login", url.Values{"username": {"bob"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatalf("enabled account signs in: %d", resp.StatusCode)
	}
}

func TestPasswordsMustBeVisible(t *testing.T) {
	ts := mustServeSite(t)
	for _, pw := range []string{strings.Repeat("\x00", 10), "abc\x00defghijkl", "tab\tin the middle", strings.Repeat(" ", 12), "line\nbreak xyz", "\xff\xfe invalid utf8"} {
		_, resp, body := ts.signUpWithPassword(t, "someone", pw)
		if resp.StatusCode != 422 || !strings.Contains(body, `id="password-error"`) {
			t.Fatalf("password %q: %d, want 422 with a password error", pw, resp.StatusCode)
		}
	}
	if n := ts.Store.UserCount(); n != 0 {
		t.Fatalf("%d accounts made, want 0", n)
	}
	if _, resp, _ := ts.signUpWithPassword(t, "someone", "écoute mon cœur"); resp.StatusCode != 303 {
		t.Fatalf("a password with spaces and accents: %d, want 303", resp.StatusCode)
	}
}

func (ts *testSite) signUpWithPassword(tb testing.TB, name, pw string) (*client, *http.Response, string) {
	tb.Helper()
	c := ts.newClient(tb)
	resp, body := c.post(tb, "/signup", url.Values{"username": {name}, "password": {pw}})
	return c, resp, body
}

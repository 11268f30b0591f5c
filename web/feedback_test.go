package web

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// After each change the next page says what happened, once, to the person
// who did it and to nobody else.
func TestFlashAfterRedirect(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob, anon := ts.signUp(t, "alice"), ts.signUp(t, "bob"), ts.newClient(t)

	loc := alice.createVlog(t, "Day one", "")
	// Others looking meanwhile see nothing and take nothing.
	for _, c := range []*client{bob, anon} {
		if _, page := c.get(t, loc); strings.Contains(page, `class="flash"`) {
			t.Fatalf("another visitor sees a flash:\n%s", page)
		}
	}
	_, page := alice.get(t, loc)
	wantContains(t, page, `<p class="flash" role="status">Your vlog is published.</p>`)
	if _, page = alice.get(t, loc); strings.Contains(page, `class="flash"`) {
		t.Fatal("the flash shows twice")
	}

	steps := []struct {
		name, path string
		form       url.Values
		location   string
		flash      string
	}{
		{"edit", loc + "/edit", url.Values{"title": {"Day one!"}}, loc, "Your changes are saved."},
		{"like", loc + "/like", url.Values{"like": {"1"}}, loc + "#like", "You like this vlog."},
		{"unlike", loc + "/like", url.Values{"like": {"0"}}, loc + "#like", "You no longer like this vlog."},
		{"comment", loc + "/comments", url.Values{"body": {"hi"}}, loc + "#comment-1", "Your comment is posted."},
		{"delete comment", loc + "/comments/1/delete", nil, loc + "#comments", "The comment was deleted."},
		{"delete vlog", loc + "/delete", nil, "/", "“Day one!” was deleted."},
	}
	for _, st := range steps {
		resp, body := alice.post(t, st.path, st.form)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != st.location {
			t.Fatalf("%s: status %d Location %q, want 303 %q\n%s", st.name, resp.StatusCode, resp.Header.Get("Location"), st.location, body)
		}
		target, _, _ := strings.Cut(st.location, "#")
		_, page := alice.get(t, target)
		wantContains(t, page, `<p class="flash" role="status">`+st.flash+`</p>`)
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob, anon := ts.signUp(t, "alice"), ts.signUp(t, "bob"), ts.newClient(t)
	loc := alice.createVlog(t, "Keep <me>", "")
	bob.post(t, loc+"/comments", url.Values{"body": {"bob was here"}})

	resp, page := alice.get(t, loc+"/delete")
	wantStatus(t, resp, 200)
	wantContains(t, page, "<h1>Delete “Keep &lt;me&gt;”?</h1>", "1 comment", `<form class="confirm-form" method="post" action="/vlogs/1/delete">`, `<a href="/vlogs/1">Cancel, keep it</a>`)
	resp, _ = bob.get(t, loc+"/delete")
	wantStatus(t, resp, 403)
	resp, _ = anon.get(t, loc+"/delete")
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous: %d %q, want 303 to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A comment may be deleted by its author and by the vlog's.
	for _, c := range []*client{bob, alice} {
		resp, page = c.get(t, loc+"/comments/1/delete")
		wantStatus(t, resp, 200)
		wantContains(t, page, "Delete this comment?", "bob was here", `action="/vlogs/1/comments/1/delete"`)
	}
	carol := ts.signUp(t, "carol")
	resp, _ = carol.get(t, loc+"/comments/1/delete")
	wantStatus(t, resp, 403)
	resp, _ = alice.get(t, loc+"/comments/9/delete")
	wantStatus(t, resp, 404)
	if ts.Store.VlogCount() != 1 || ts.Store.CommentCount(1) != 1 {
		t.Fatal("asking deleted something")
	}
}

func TestListCountsAndSearchMarks(t *testing.T) {
	ts := mustServeSite(t)
	_, page := ts.newClient(t).get(t, "/")
	wantContains(t, page, "has no owner yet", `<a href="/signup">Sign up to become its owner</a> and write the first vlog.`)

	alice := ts.signUp(t, "alice")
	for i := range 45 {
		body := "plain"
		if i%2 == 0 {
			body = "a Lake <b>view</b>"
		}
		alice.createVlog(t, "Trip "+strconv.Itoa(i), body)
	}
	_, page = alice.get(t, "/")
	wantContains(t, page, "Vlogs 1–20 of 45", `<nav class="pager" aria-label="Pages">`)
	_, page = alice.get(t, "/?before=26")
	wantContains(t, page, "Vlogs 21–40 of 45")
	_, page = alice.get(t, "/users/alice?before=6")
	wantContains(t, page, "Vlogs 41–45 of 45")

	_, page = alice.get(t, "/search?q=lake+VIEW")
	wantContains(t, page, "<h1>23 results for “lake VIEW”</h1>", "Results 1–20 of 23",
		`a <mark>Lake</mark> &lt;b&gt;<mark>view</mark>&lt;/b&gt;`)
	_, page = alice.get(t, "/search?q=lake&before=7")
	wantContains(t, page, "Results 21–23 of 23")
	_, page = alice.get(t, "/search?q=%3Cscript%3E+trip")
	wantContains(t, page, "<h1>0 results for “&lt;script&gt; trip”</h1>")
	if strings.Contains(page, "<script>") {
		t.Fatal("the query is not escaped")
	}
}

// Addresses in bodies and comments are links; anything else stays text.
func TestBodiesLinkAddresses(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.createVlog(t, "links", "see https://example.com/a?b=1&c=2. and javascript:alert(1) or http://x.test/\"onmouseover=")
	alice.post(t, loc+"/comments", url.Values{"body": {"(via http://example.org/path)"}})
	_, page := alice.get(t, loc)
	wantContains(t, page,
		`see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">https://example.com/a?b=1&amp;c=2</a>. and javascript:alert(1) or <a href="http://x.test/" rel="nofollow ugc noopener">http://x.test/</a>&#34;onmouseover=`,
		`(via <a href="http://example.org/path" rel="nofollow ugc noopener">http://example.org/path</a>)`)
	if strings.Contains(page, `href="javascript`) {
		t.Fatal("a javascript: address became a link")
	}
	// Without a script, times read in UTC inside machine-readable <time>.
	if !regexp.MustCompile(`<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d UTC</time>`).MatchString(page) {
		t.Fatalf("no UTC <time datetime> on the page:\n%s", page)
	}
}

package web

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"vlogd/memstore"
	"vlogd/wal"
)

func TestComments(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob, carol := ts.signUp(t, "alice"), ts.signUp(t, "bob"), ts.signUp(t, "carol")
	loc := alice.createVlog(t, "talk", "")

	resp, _ := bob.post(t, loc+"/comments", url.Values{"body": {"first <b>!</b>"}})
	wantStatus(t, resp, 303)
	if got := resp.Header.Get("Location"); got != loc+"#comment-1" {
		t.Fatalf("Location = %q, want back to the comments", got)
	}
	carol.post(t, loc+"/comments", url.Values{"body": {"second"}})
	_, page := carol.get(t, loc)
	wantContains(t, page, "2 comments", "first &lt;b&gt;!&lt;/b&gt;", `<a class="author" href="/users/bob">bob</a>`)
	if strings.Index(page, "first &lt;b&gt;") > strings.Index(page, ">second<") {
		t.Fatal("comments are not oldest first")
	}

	for _, tt := range []struct{ body, msg string }{
		{"   ", "Comment is required."},
		{strings.Repeat("x", memstore.MaxCommentRunes+1), "Comment must be at most 5,000 characters."},
	} {
		resp, page := bob.post(t, loc+"/comments", url.Values{"body": {tt.body}})
		wantStatus(t, resp, 422)
		wantContains(t, page, tt.msg)
		if len(tt.body) > 100 {
			wantContains(t, page, tt.body[:100]) // the text is kept
		}
	}
	if resp, _ := ts.newClient(t).post(t, loc+"/comments", url.Values{"body": {"anon"}}); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous comment: %d %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := bob.post(t, "/vlogs/999/comments", url.Values{"body": {"x"}}); resp.StatusCode != 404 {
		t.Fatalf("comment on an unknown vlog: %d, want 404", resp.StatusCode)
	}

	comments := ts.Store.Comments(1)
	// bob may not delete carol's comment; carol may; alice (the vlog's
	// author) may delete bob's.
	del := func(c *client, id uint64) int {
		resp, _ := c.post(t, loc+"/comments/"+strconv.FormatUint(id, 10)+"/delete", nil)
		return resp.StatusCode
	}
	if code := del(bob, comments[1].ID); code != 403 {
		t.Fatalf("bob deleting carol's comment: %d, want 403", code)
	}
	if code := del(carol, comments[1].ID); code != 303 {
		t.Fatalf("carol deleting her comment: %d, want 303", code)
	}
	if code := del(alice, comments[0].ID); code != 303 {
		t.Fatalf("alice deleting a comment on her vlog: %d, want 303", code)
	}
	if n := ts.Store.CommentCount(1); n != 0 {
		t.Fatalf("%d comments left", n)
	}
}

func TestLikes(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	loc := alice.createVlog(t, "likeable", "")
	_, page := bob.get(t, loc)
	wantContains(t, page, "0 likes", `action="/vlogs/1/like"`, `name="like" value="1"`)

	for range 2 { // a double click likes once
		resp, _ := bob.post(t, loc+"/like", url.Values{"like": {"1"}})
		wantStatus(t, resp, 303)
	}
	_, page = bob.get(t, loc)
	wantContains(t, page, "1 like<", "♥ Liked", `name="like" value="0"`)
	alice.post(t, loc+"/like", nil) // no field: toggles on
	_, list := alice.get(t, "/")
	wantContains(t, list, `<span class="likes">2 likes</span>`)
	bob.post(t, loc+"/like", url.Values{"like": {"0"}})
	if n := ts.Store.LikeCount(1); n != 1 {
		t.Fatalf("LikeCount = %d, want 1", n)
	}
	if resp, _ := bob.post(t, "/vlogs/999/like", nil); resp.StatusCode != 404 {
		t.Fatalf("like of an unknown vlog: %d, want 404", resp.StatusCode)
	}
	if resp, _ := ts.newClient(t).post(t, loc+"/like", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next=%2Fvlogs%2F1" {
		t.Fatalf("anonymous like: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestUserPage(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	a, _ := ts.Store.UserByName("alice")
	for i := range 25 {
		if _, err := ts.Store.CreateVlog(a.ID, memstore.VlogInput{Title: "alice " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	bob.createVlog(t, "bob's only", "")
	_, page := alice.get(t, "/users/ALICE") // names are case-insensitive
	wantContains(t, page, "Vlogs by alice", `rel="next" href="/users/alice?before=6"`)
	if strings.Contains(page, "bob&#39;s only") {
		t.Fatal("bob's vlog on alice's page")
	}
	_, page = alice.get(t, "/users/alice?before=6")
	wantContains(t, page, `href="/vlogs/5"`, `rel="prev" href="/users/alice?after=5"`)
	for path, want := range map[string]int{"/users/nobody": 404, "/users/alice?before=abc": 400} {
		if resp, _ := alice.get(t, path); resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestSearchPage(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	for i := range 25 {
		alice.createVlog(t, "Trip "+strconv.Itoa(i), "mountain lake")
	}
	alice.createVlog(t, "Other", "sea")
	_, page := alice.get(t, "/search?q=Mountain+LAKE")
	wantContains(t, page, `25 results for “Mountain LAKE”`, `Results 1–20 of 25`, `name="q" value="Mountain LAKE"`, `href="/vlogs/25"`, `rel="next" href="/search?before=6&amp;q=Mountain&#43;LAKE"`)
	if strings.Contains(page, `href="/vlogs/26"`) {
		t.Fatal("a vlog without the words is in the results")
	}
	_, page = alice.get(t, "/search?q=Mountain+LAKE&before=6")
	wantContains(t, page, `href="/vlogs/5"`, `href="/vlogs/1"`, `rel="prev"`)
	_, page = alice.get(t, "/search?q=volcano")
	wantContains(t, page, "No vlog contains all of those words.")
	// Every page has the search box.
	_, page = alice.get(t, "/")
	wantContains(t, page, `<form class="search" role="search" method="get" action="/search">`)
	if resp, _ := alice.get(t, "/search?q="+strings.Repeat("a", maxQueryRunes+1)); resp.StatusCode != 400 {
		t.Fatalf("overlong query: %d, want 400", resp.StatusCode)
	}
}

func TestAtomFeed(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	for i := range 22 {
		alice.createVlog(t, "post "+strconv.Itoa(i)+" <&>", "body "+strconv.Itoa(i))
	}
	alice.uploadVlog(t, "with video", fixture(t, "clip.webm"), "c.webm")
	_, home := alice.get(t, "/")
	wantContains(t, home, `<link rel="alternate" type="application/atom+xml" title="vlogd: newest vlogs" href="/feed.atom">`)

	resp, body := alice.get(t, "/feed.atom")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Fatalf("Content-Type = %q", ct)
	}
	// RFC 4287 §4.1.1–4.1.2: the elements a feed and its entries must have.
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Author  struct {
				Name string `xml:"name"`
			} `xml:"author"`
			Links []struct {
				Rel    string `xml:"rel,attr"`
				Type   string `xml:"type,attr"`
				Href   string `xml:"href,attr"`
				Length string `xml:"length,attr"`
			} `xml:"link"`
			Content string `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, body)
	}
	if feed.ID == "" || feed.Title == "" || feed.Updated == "" || len(feed.Entries) != 20 {
		t.Fatalf("feed id %q title %q updated %q with %d entries, want all set and 20", feed.ID, feed.Title, feed.Updated, len(feed.Entries))
	}
	for i, e := range feed.Entries {
		if e.ID == "" || e.Title == "" || e.Updated == "" || e.Author.Name != "alice" || len(e.Links) == 0 || !strings.HasPrefix(e.Links[0].Href, "http://") {
			t.Fatalf("entry %d lacks a required element: %+v", i, e)
		}
	}
	first := feed.Entries[0]
	if first.Title != "with video" || len(first.Links) != 2 || first.Links[1].Rel != "enclosure" || first.Links[1].Type != "video/webm" || first.Links[1].Length == "" {
		t.Fatalf("newest entry %+v, want the video vlog with an enclosure", first)
	}
	if feed.Entries[1].Title != "post 21 <&>" {
		t.Fatalf("second entry title %q, want the escaped text back", feed.Entries[1].Title)
	}
}

func TestJSONAPI(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	for i := range 21 {
		alice.createVlog(t, "v"+strconv.Itoa(i), "body")
	}
	alice.uploadVlog(t, "clip", fixture(t, "clip.webm"), "c.webm")
	bob.post(t, "/vlogs/22/like", nil)
	bob.post(t, "/vlogs/22/comments", url.Values{"body": {"nice"}})

	resp, body := bob.get(t, "/api/vlogs")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var list struct {
		Vlogs []map[string]any `json:"vlogs"`
		Next  *string          `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Vlogs) != 20 || list.Next == nil || *list.Next != "/api/vlogs?before=3" {
		t.Fatalf("list: %d vlogs, next %v", len(list.Vlogs), list.Next)
	}
	_, body = bob.get(t, *list.Next)
	json.Unmarshal([]byte(body), &list)
	if len(list.Vlogs) != 2 || list.Next != nil {
		t.Fatalf("last page: %d vlogs, next %v", len(list.Vlogs), list.Next)
	}

	_, body = bob.get(t, "/api/vlogs/22")
	var one map[string]any
	if err := json.Unmarshal([]byte(body), &one); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "title", "body", "author", "created", "updated", "likes", "comments", "video"} {
		if _, ok := one[key]; !ok {
			t.Errorf("GET /api/vlogs/22 lacks %q: %s", key, body)
		}
	}
	if one["likes"] != 1.0 || one["comments"] != 1.0 || one["author"] != "alice" || !strings.Contains(one["video"].(string), "/media/") {
		t.Fatalf("GET /api/vlogs/22 = %s", body)
	}
	for path, want := range map[string]int{"/api/vlogs/999": 404, "/api/vlogs/x": 404, "/api/vlogs?before=x": 400, "/api/vlogs?before=0": 400} {
		resp, body := bob.get(t, path)
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s = %d %q %s, want %d as JSON", path, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
		}
	}
}

// failingFile makes every log write fail once armed, like a disk that
// died (EIO).
type failingFile struct {
	wal.File
	armed *atomic.Bool
}

func (f failingFile) Write(p []byte) (int, error) {
	if f.armed.Load() {
		return 0, syscall.EIO
	}
	return f.File.Write(p)
}

// When the log fails, writes answer 503 with a clear page, reads keep
// working, and /healthz says why.
func TestLogFailureRefusesWritesOnly(t *testing.T) {
	var armed atomic.Bool
	ts := mustServeSite(t, func(c *siteConfig) {
		c.store.WrapLogFile = func(_ string, f wal.File) wal.File { return failingFile{File: f, armed: &armed} }
	})
	alice := ts.signUp(t, "alice")
	loc := alice.createVlog(t, "before the failure", "still readable")
	if resp, body := alice.get(t, "/healthz"); resp.StatusCode != 200 || !strings.HasPrefix(body, "ok\nstorage: ") {
		t.Fatalf("healthz = %d %q, want 200 ok", resp.StatusCode, body)
	}
	armed.Store(true)
	resp, page := alice.post(t, "/vlogs", url.Values{"title": {"lost?"}})
	wantStatus(t, resp, 503)
	wantContains(t, page, "cannot save changes right now: the write-ahead log failed; writes are refused until restart")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// Sticky: even with the disk "back", writes stay refused until restart.
	armed.Store(false)
	if resp, _ := alice.post(t, "/vlogs", url.Values{"title": {"again"}}); resp.StatusCode != 503 {
		t.Fatalf("second write after a failure: %d, want 503", resp.StatusCode)
	}
	if resp, page := alice.get(t, loc); resp.StatusCode != 200 || !strings.Contains(page, "still readable") {
		t.Fatalf("read after the failure: %d", resp.StatusCode)
	}
	resp, body := alice.get(t, "/healthz")
	if resp.StatusCode != 503 || !strings.HasPrefix(body, "unavailable: the write-ahead log failed") || strings.Contains(body, "/") {
		t.Fatalf("healthz after the failure = %d %q", resp.StatusCode, body)
	}
	if err := ts.Store.Healthy(); !errors.Is(err, memstore.ErrUnavailable) {
		t.Fatalf("Healthy() = %v", err)
	}
}

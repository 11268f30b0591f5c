package web

import (
	"strings"
	"testing"
)

// Every page names its icon, and /favicon.ico answers with it instead of
// a 404 browsers log as an error.
func TestFavicon(t *testing.T) {
	ts := mustServeSite(t)
	c := ts.newClient(t)
	resp, body := c.get(t, "/favicon.ico")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") || !strings.Contains(body, "<svg") {
		t.Fatalf("/favicon.ico: %q\n%s", ct, body)
	}
	_, home := c.get(t, "/")
	wantContains(t, home, `<link rel="icon" href="/static/favicon.`)
}

// A vlog's page carries a meta description and OpenGraph and Twitter
// card tags with absolute addresses.
func TestShareTags(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.uploadVlog(t, "Sunset <b>", fixture(t, "clip.mp4"), "clip.mp4")
	_, page := ts.newClient(t).get(t, loc)
	wantContains(t, page,
		`<meta name="description" content="with a clip">`,
		`<meta property="og:title" content="Sunset &lt;b&gt;">`,
		`<meta property="og:type" content="video.other">`,
		`<meta property="og:url" content="`+ts.URL+loc+`">`,
		`<meta property="og:image" content="`+ts.URL+`/static/poster.svg">`,
		`<meta property="og:video" content="`+ts.URL+`/media/`,
		`<meta property="og:video:type" content="video/mp4">`,
		`<meta name="twitter:card" content="summary_large_image">`)
	text := alice.createVlog(t, "Words only", "Just text.")
	_, page = alice.get(t, text)
	wantContains(t, page, `<meta property="og:type" content="article">`, `<meta name="twitter:card" content="summary">`,
		`<meta name="description" content="Just text.">`)
}

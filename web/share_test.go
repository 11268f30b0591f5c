package web

import (
	"encoding/json"
	"net/url"
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
		`<meta name="twitter:card" content="summary_large_image">`,
		`<link rel="alternate" type="application/json+oembed" href="/oembed?format=json&amp;url=`)
	text := alice.createVlog(t, "Words only", "Just text.")
	_, page = alice.get(t, text)
	wantContains(t, page, `<meta property="og:type" content="article">`, `<meta name="twitter:card" content="summary">`,
		`<meta name="description" content="Just text.">`)
}

// /vlogs/{id}/embed is a bare player that other sites may frame (and the
// only such page); /oembed describes it for a vlog's address.
func TestEmbedAndOEmbed(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.uploadVlog(t, `Sunset "quoted"`, fixture(t, "clip.mp4"), "clip.mp4")
	c := ts.newClient(t)
	resp, page := c.get(t, loc+"/embed")
	wantStatus(t, resp, 200)
	if resp.Header.Get("X-Frame-Options") != "" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("embed headers: XFO %q CSP %q", resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy"))
	}
	wantContains(t, page, `<video class="player`, `<source src="/media/`, `href="`+ts.URL+loc+`"`)
	if strings.Contains(page, "site-header") {
		t.Error("the embed page carries the site's header")
	}
	resp, _ = c.get(t, loc)
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatal("the vlog page itself may be framed")
	}

	resp, body := c.get(t, "/oembed?format=json&url="+url.QueryEscape(ts.URL+loc))
	wantStatus(t, resp, 200)
	var o oembedResponse
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		t.Fatal(err)
	}
	if o.Type != "video" || o.Version != "1.0" || o.AuthorName != "alice" || o.Width <= 0 || o.Height <= 0 ||
		!strings.Contains(o.HTML, `src="`+ts.URL+loc+`/embed"`) || !strings.Contains(o.HTML, `title="Sunset &#34;quoted&#34;"`) {
		t.Fatalf("oEmbed = %+v", o)
	}
	for q, want := range map[string]int{
		"url=" + url.QueryEscape("https://elsewhere.example/vlogs/1"): 404,
		"url=" + url.QueryEscape(ts.URL+"/vlogs/99"):                  404,
		"format=xml&url=" + url.QueryEscape(ts.URL+loc):               501,
	} {
		if resp, _ := c.get(t, "/oembed?"+q); resp.StatusCode != want {
			t.Errorf("GET /oembed?%s = %d, want %d", q, resp.StatusCode, want)
		}
	}
}

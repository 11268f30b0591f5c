package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"vlogd/memstore"
)

// An anonymous reader in Chromium reloads a vlog: the browser revalidates
// with the page's ETag and gets a 304 (no body sent), and after a comment
// is written meanwhile, the next reload shows it.
func TestBrowserReloadRevalidates(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	u, err := ts.Store.CreateUser("rita", "$argon2id$not-a-real-hash")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ts.Store.CreateVlog(u.ID, memstore.VlogInput{Title: "Tide tables", Body: "Low water at noon."})
	if err != nil {
		t.Fatal(err)
	}
	notModified := func() uint64 { return ts.Site.m.requests[3].Load() } // only 304s: readers get no redirects here
	comments := `document.querySelectorAll('.comment').length`

	mustDo(t, ctx, "open the vlog",
		chromedp.Navigate(ts.URL+vlogPath(v.ID)),
		chromedp.WaitVisible(css(`article.vlog h1`)),
	)
	if n := mustGet(t, ctx, chromedp.Evaluate[int](comments)); n != 0 {
		t.Fatalf("a new vlog shows %d comments", n)
	}
	before := notModified()
	mustDo(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(css(`article.vlog h1`)))
	if got := notModified(); got != before+1 {
		t.Fatalf("reload without a change: %d responses were 304, want 1", got-before)
	}
	if h := mustGet(t, ctx, chromedp.Text(css(`article.vlog h1`))); h != "Tide tables" {
		t.Fatalf("after a 304 the page shows %q", h)
	}

	if _, err := ts.Store.AddComment(v.ID, u.ID, "Spring tide next week."); err != nil {
		t.Fatal(err)
	}
	before = notModified()
	mustDo(t, ctx, "reload after a comment", chromedp.Reload(), chromedp.WaitVisible(css(`.comment .comment-body`)))
	if got := mustGet(t, ctx, chromedp.Text(css(`.comment .comment-body`))); got != "Spring tide next week." {
		t.Fatalf("after the comment the page shows %q", got)
	}
	if got := notModified(); got != before {
		t.Fatalf("the changed page was answered 304 %d times", got-before)
	}

	before = notModified()
	mustDo(t, ctx, "reload again", chromedp.Reload(), chromedp.WaitVisible(css(`.comment .comment-body`)))
	if got := notModified(); got != before+1 {
		t.Fatalf("second reload: %d responses were 304, want 1", got-before)
	}
	if n := mustGet(t, ctx, chromedp.Evaluate[int](comments)); n != 1 {
		t.Fatalf("after a 304 the page shows %d comments, want 1", n)
	}
}

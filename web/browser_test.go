package web

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"vlogd/internal/testdeadline"

	"github.com/chromedp/chromedp"
)

// MustStartBrowser starts headless Chromium with a fresh profile and returns
// a context that drives one tab. Without Chromium on PATH the test skips,
// except under CI, where browser tests must run.
func MustStartBrowser(tb testing.TB) context.Context {
	tb.Helper()
	var execPath string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			execPath = p
			break
		}
	}
	if execPath == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("Chromium not found on PATH, and CI is set: browser tests must run (apt-get install chromium)")
		}
		tb.Skip("Chromium not found on PATH (install Debian's chromium package to run browser tests)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// The browser gives up with the test, not after a guess at how long
	// Chromium takes on this machine.
	ctx, cancelTimeout := context.WithDeadline(ctx, testdeadline.Time(tb))
	tb.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start Chromium %s: %v", execPath, err)
	}
	return ctx
}

// mustDo runs browser steps, failing the test with what was being done.
func mustDo(tb testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// mustGet runs one browser action that returns a value.
func mustGet[T any](tb testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// The path a new user takes: open the list, click New, get sent to sign
// in, sign up instead, land on the form, publish, edit, comment, like, go
// back to the list, open the vlog from it, delete it, sign out.
func TestBrowserSignUpCreateEditDelete(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	mustDo(t, ctx, "sign up on the way to the form",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Click(css(`a[href="/vlogs/new"]`)),
		chromedp.WaitVisible(css(`form[action="/login"]`)),
		chromedp.Click(css(`main a[href^="/signup"]`)),
		chromedp.WaitVisible(css(`form[action="/signup"]`)),
		chromedp.SendKeys(css(`#username`), "carol"),
		chromedp.SendKeys(css(`#password`), testPassword),
		chromedp.Click(css(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`#title`)),
	)
	if loc := mustGet(t, ctx, chromedp.Location()); loc != ts.URL+"/vlogs/new" {
		t.Fatalf("after signing up: at %q, want back at /vlogs/new", loc)
	}
	if who := mustGet(t, ctx, chromedp.Text(css(`.whoami`))); who != "Signed in as carol" {
		t.Fatalf("header says %q", who)
	}

	mustDo(t, ctx, "create through the form",
		chromedp.SendKeys(css(`#title`), "My first vlog"),
		chromedp.SendKeys(css(`#body`), "Hello from Chromium.\nSecond line."),
		chromedp.Click(css(`form.vlog-form button[type="submit"]`)),
		chromedp.WaitVisible(css(`article.vlog h1`)),
	)
	location := mustGet(t, ctx, chromedp.Location())
	heading := mustGet(t, ctx, chromedp.Text(css(`article.vlog h1`)))
	body := mustGet(t, ctx, chromedp.Text(css(`.vlog-body`)))
	// The stylesheet applied: the body keeps its line breaks.
	preWrap := mustGet(t, ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('.vlog-body')).whiteSpace === 'pre-wrap'`))
	if location != ts.URL+"/vlogs/1" || heading != "My first vlog" || body != "Hello from Chromium.\nSecond line." || !preWrap {
		t.Fatalf("after publishing: at %q, heading %q, body %q, stylesheet applied %v", location, heading, body, preWrap)
	}

	mustDo(t, ctx, "edit",
		chromedp.Click(css(`a[href="/vlogs/1/edit"]`)),
		chromedp.WaitVisible(css(`form[action="/vlogs/1/edit"]`)),
		chromedp.SetValue(css(`#title`), "My edited vlog"),
		chromedp.Click(css(`form.vlog-form button[type="submit"]`)),
		chromedp.WaitVisible(css(`.edited`)),
	)
	if heading := mustGet(t, ctx, chromedp.Text(css(`article.vlog h1`))); heading != "My edited vlog" {
		t.Fatalf("after editing: heading %q", heading)
	}

	mustDo(t, ctx, "comment",
		chromedp.SendKeys(css(`#comment-body`), "First comment <b>not bold</b>"),
		chromedp.Click(css(`form.comment-form button[type="submit"]`)),
		chromedp.WaitVisible(css(`.comment .comment-body`)),
	)
	if got := mustGet(t, ctx, chromedp.Text(css(`.comment .comment-body`))); got != "First comment <b>not bold</b>" {
		t.Fatalf("comment shows %q", got)
	}
	mustDo(t, ctx, "like",
		chromedp.Click(css(`form.like-form button`)),
		chromedp.WaitVisible(css(`button.liked`)),
	)
	if got := mustGet(t, ctx, chromedp.Text(css(`.like-count`))); got != "1 like" {
		t.Fatalf("like count shows %q, want 1 like", got)
	}

	mustDo(t, ctx, "back to the list",
		chromedp.Click(css(`main a[href="/"]`)),
		chromedp.WaitVisible(css(`.vlog-list`)),
	)
	listText := mustGet(t, ctx, chromedp.Text(css(`.vlog-list`)))
	mustDo(t, ctx, "open from the list",
		chromedp.Click(css(`.vlog-list a[href="/vlogs/1"]`)),
		chromedp.WaitVisible(css(`article.vlog h1`)),
	)
	location = mustGet(t, ctx, chromedp.Location())
	if !strings.Contains(listText, "My edited vlog") || !strings.Contains(listText, "carol") || location != ts.URL+"/vlogs/1" {
		t.Fatalf("list %q; opened %q", listText, location)
	}

	mustDo(t, ctx, "delete, confirming",
		chromedp.Click(css(`a[href="/vlogs/1/delete"]`)),
		chromedp.WaitVisible(css(`form[action="/vlogs/1/delete"]`)),
		chromedp.Click(css(`form[action="/vlogs/1/delete"] button`)),
		chromedp.WaitVisible(css(`.empty`)),
	)
	if got := mustGet(t, ctx, chromedp.Text(css(`.flash`))); got != "“My edited vlog” was deleted." {
		t.Fatalf("after delete the page says %q", got)
	}
	location = mustGet(t, ctx, chromedp.Location())
	empty := mustGet(t, ctx, chromedp.Text(css(`.empty`)))
	if location != ts.URL+"/" || !strings.Contains(empty, "No vlogs") || ts.Store.VlogCount() != 0 {
		t.Fatalf("after delete: at %q, %q, %d vlogs stored", location, empty, ts.Store.VlogCount())
	}

	mustDo(t, ctx, "sign out",
		chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`a[href="/signup"]`)),
	)
}

// Markup in a title or body shows as text in a real browser and never
// runs, on every page that shows it.
func TestBrowserUserMarkupNeverRuns(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	mustDo(t, ctx, "sign up",
		chromedp.Navigate(ts.URL+"/signup"),
		chromedp.SendKeys(css(`#username`), "mallory"),
		chromedp.SendKeys(css(`#password`), testPassword),
		chromedp.Click(css(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`.whoami`)),
	)
	for i, evil := range xssCorpus {
		// Each payload also sets a marker, in case it runs quietly.
		evil = strings.ReplaceAll(evil, "alert(", "window.__xss=(")
		mustDo(t, ctx, "create",
			chromedp.Navigate(ts.URL+"/vlogs/new"),
			chromedp.SetValue(css(`#title`), evil),
			chromedp.SetValue(css(`#body`), evil),
			chromedp.Click(css(`form.vlog-form button[type="submit"]`)),
			chromedp.WaitVisible(css(`article.vlog h1`)),
		)
		id := strconv.Itoa(i + 1)
		pages := []struct{ path, sel string }{
			{"/vlogs/" + id, `article.vlog h1`},
			{"/", `.vlog-list h2 a`},
			{"/vlogs/" + id + "/edit", `#title`},
		}
		for _, p := range pages {
			mustDo(t, ctx, "open "+p.path, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(css(p.sel)))
			ran := mustGet(t, ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`))
			shown := mustGet(t, ctx, chromedp.Evaluate[string](`(e => e.value ?? e.textContent)(document.querySelector(`+strconv.Quote(p.sel)+`))`))
			if ran || shown != evil {
				t.Fatalf("GET %s: script ran = %v, shown %q; want %q as text", p.path, ran, shown, evil)
			}
		}
	}
}

package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
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

// The path a new user takes: open the list, click New, publish, read it,
// go back, open it from the list, delete it.
func TestBrowserCreateOpenDelete(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	mustDo(t, ctx, "create through the form",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Click(css(`a[href="/vlogs/new"]`)),
		chromedp.WaitVisible(css(`#title`)),
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
	if !strings.Contains(listText, "My first vlog") || location != ts.URL+"/vlogs/1" {
		t.Fatalf("list %q; opened %q", listText, location)
	}

	mustDo(t, ctx, "delete",
		chromedp.Click(css(`form[action="/vlogs/1/delete"] button`)),
		chromedp.WaitVisible(css(`.empty`)),
	)
	location = mustGet(t, ctx, chromedp.Location())
	empty := mustGet(t, ctx, chromedp.Text(css(`.empty`)))
	if location != ts.URL+"/" || !strings.Contains(empty, "No vlogs") || ts.Store.VlogCount() != 0 {
		t.Fatalf("after delete: at %q, %q, %d vlogs stored", location, empty, ts.Store.VlogCount())
	}
}

// Markup in a title or body shows as text in a real browser and never
// runs.
func TestBrowserUserMarkupNeverRuns(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	const evil = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`
	mustDo(t, ctx, "create through the form",
		chromedp.Navigate(ts.URL+"/vlogs/new"),
		chromedp.SetValue(chromedp.CSS(`#title`), evil),
		chromedp.SetValue(chromedp.CSS(`#body`), evil),
		chromedp.Click(chromedp.CSS(`form.vlog-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.vlog h1`)),
	)
	for path, sel := range map[string]string{"/vlogs/1": `article.vlog h1`, "/": `.vlog-list h2 a`} {
		mustDo(t, ctx, "open "+path, chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
		heading := mustGet(t, ctx, chromedp.Text(chromedp.CSS(sel)))
		ran := mustGet(t, ctx, chromedp.Evaluate[bool](`window.__xss !== undefined`))
		if ran || heading != evil {
			t.Fatalf("GET %s: script ran = %v, heading %q; want the markup shown as text", path, ran, heading)
		}
	}
}

package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeScript reads axe-core as `npm ci` in internal/browsertools installs
// it. Without it the test skips, except under CI, where .ci/run installs
// it and the accessibility tests must run.
func axeScript(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join("..", "internal", "browsertools", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("axe-core not installed (%v), and CI is set: run npm ci in internal/browsertools", err)
		}
		tb.Skipf("axe-core not installed (%v): run npm ci in internal/browsertools", err)
	}
	return string(b)
}

// axeViolation is the part of an axe result a failure message needs.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun checks the page in the tab with every WCAG 2.0–2.2 A and AA rule
// and every best-practice rule, and fails the test for each violation.
func axeRun(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	if !mustGet(t, ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)) {
		mustDo(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](axe))
	}
	const run = `axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
		resultTypes: ["violations"]
	}).then(r => JSON.stringify(r.violations))`
	out := mustGet(t, ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	t.Logf("axe: %s", what)
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("%s: axe result: %v", what, err)
	}
	for _, v := range violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, n.HTML+"\n      "+strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		t.Errorf("%s: axe %s (%s): %s\n    %s", what, v.ID, v.Impact, v.Help, strings.Join(nodes, "\n    "))
	}
}

// axeSelfCheck proves that axe runs and reports: an image without a text
// alternative, added to the page for a moment, must be a violation.
func axeSelfCheck(t *testing.T, ctx context.Context, axe string) {
	t.Helper()
	if !mustGet(t, ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)) {
		mustDo(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](axe))
	}
	const run = `(() => {
		const img = document.createElement("img");
		img.src = "/static/poster.svg";
		document.querySelector("main").append(img);
		return axe.run(document, {runOnly: {type: "tag", values: ["wcag2a"]}, resultTypes: ["violations"]})
			.then(r => { img.remove(); return r.violations.map(v => v.id).join(" "); });
	})()`
	if ids := mustGet(t, ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise)); !strings.Contains(ids, "image-alt") {
		t.Fatalf("axe self-check: an image without alt gave violations %q, want image-alt", ids)
	}
}

// colorScheme makes the tab's prefers-color-scheme light or dark.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// Every page, signed out and signed in, in light and dark mode, with the
// forms also in their error state, has no axe violation at all.
func TestBrowserAxeEveryPage(t *testing.T) {
	axe := axeScript(t)
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	for _, scheme := range []string{"light", "dark"} {
		mustDo(t, ctx, "emulate "+scheme, colorScheme(scheme))
		if got := mustGet(t, ctx, chromedp.Evaluate[bool](`matchMedia("(prefers-color-scheme: dark)").matches`)); got != (scheme == "dark") {
			t.Fatalf("emulating %s: dark matches = %v", scheme, got)
		}
		mustDo(t, ctx, "empty site", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(css(`.empty`)))
		if scheme == "light" {
			axeSelfCheck(t, ctx, axe)
		}
		axeRun(t, ctx, axe, scheme+" empty site /")
		if scheme == "dark" {
			break // the rest of the dark pass follows the data set up below
		}
	}

	// Content: two authors, more than a page of vlogs, one with a video,
	// comments with links and markup.
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	withVideo := bob.uploadVlog(t, "A clip to watch", fixture(t, "clip.webm"), "clip.webm")
	for i := range 22 {
		alice.createVlog(t, "Trip "+string(rune('A'+i)), "By the lake, see https://example.com/lake.\nSecond line <b>not bold</b>.")
	}
	bob.post(t, withVideo+"/comments", postForm("body", "Nice, like http://example.org/x"))
	alice.post(t, withVideo+"/comments", postForm("body", "Thanks!"))

	pagesOut := []string{"/", "/?before=10", withVideo, "/vlogs/2", "/users/alice", "/search?q=lake", "/search?q=nothing+here", "/search", "/login", "/signup", "/no/such/page"}
	pagesIn := []string{"/", withVideo, "/vlogs/new", "/vlogs/2/edit", "/vlogs/2/delete", withVideo + "/comments/2/delete", "/users/bob"}
	errorForms := []struct{ path, form string }{
		{"/signup", `form[action="/signup"]`},
		{"/login", `form[action="/login"]`},
	}
	errorFormsIn := []struct{ path, form string }{
		{"/vlogs/new", `form.vlog-form`},
		{withVideo, `form.comment-form`},
	}
	checkErrorState := func(scheme, path, form string) {
		mustDo(t, ctx, "refused form "+path,
			chromedp.Navigate(ts.URL+path),
			chromedp.Click(css(form+` button[type="submit"]`)),
			chromedp.WaitVisible(css(`.error-summary`)),
		)
		if id := mustGet(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`)); id != "error-summary" {
			t.Errorf("%s: after the refused form focus is on #%q, want the error summary", path, id)
		}
		axeRun(t, ctx, axe, scheme+" refused "+path)
	}
	for _, scheme := range []string{"light", "dark"} {
		mustDo(t, ctx, "emulate "+scheme, colorScheme(scheme))
		mustDo(t, ctx, "sign out", chromedp.Navigate(ts.URL+"/"))
		if mustGet(t, ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/logout"]') !== null`)) {
			mustDo(t, ctx, "sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`a[href="/signup"]`)))
		}
		for _, p := range pagesOut {
			mustDo(t, ctx, "open "+p, chromedp.Navigate(ts.URL+p), chromedp.WaitVisible(css(`main h1`)))
			axeRun(t, ctx, axe, scheme+" signed out "+p)
		}
		for _, f := range errorForms {
			checkErrorState(scheme, f.path, f.form)
		}
		mustDo(t, ctx, "sign in",
			chromedp.Navigate(ts.URL+"/login"),
			chromedp.SendKeys(css(`#username`), "alice"),
			chromedp.SendKeys(css(`#password`), testPassword),
			chromedp.Click(css(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitVisible(css(`.whoami`)),
		)
		for _, p := range pagesIn {
			mustDo(t, ctx, "open "+p, chromedp.Navigate(ts.URL+p), chromedp.WaitVisible(css(`main h1`)))
			axeRun(t, ctx, axe, scheme+" signed in "+p)
		}
		for _, f := range errorFormsIn {
			checkErrorState(scheme, f.path, f.form)
		}
		// A status message after a redirect, beside the Like button.
		mustDo(t, ctx, "like",
			chromedp.Navigate(ts.URL+withVideo),
			chromedp.Click(css(`form.like-form button`)),
			chromedp.WaitVisible(css(`.actions .flash`)),
		)
		axeRun(t, ctx, axe, scheme+" after like "+withVideo)
		mustDo(t, ctx, "unlike", chromedp.Click(css(`form.like-form button`)), chromedp.WaitVisible(css(`button.secondary[aria-pressed="false"]`)))
	}
}

func postForm(kv ...string) map[string][]string {
	f := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = []string{kv[i+1]}
	}
	return f
}

// pressTabUntil presses Tab until the focused element matches sel, as a
// keyboard user moves through a page, failing after max presses.
func pressTabUntil(t *testing.T, ctx context.Context, sel string, max int) int {
	t.Helper()
	test := `(document.activeElement && document.activeElement.matches(` + jsString(sel) + `))`
	for n := 1; n <= max; n++ {
		mustDo(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if mustGet(t, ctx, chromedp.Evaluate[bool](test)) {
			return n
		}
	}
	t.Fatalf("%d Tab presses never reached %s (focus on %s)", max, sel, mustGet(t, ctx, chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`)))
	return 0
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitPath waits until the tab is at path (after a form's redirect) and
// the page has loaded.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	waitFor(t, ctx, `location.pathname + location.hash === `+jsString(path)+` && document.readyState === "complete"`)
}

// waitFor evaluates cond until it is true, across navigations: while one
// is under way the page's context comes and goes, and evaluating in it
// fails for that reason alone. It gives up when the test's context ends.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	var lastErr error
	for ctx.Err() == nil {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		lastErr = err
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond): // a polling interval, not a deadline
		}
	}
	t.Fatalf("waiting for %s: %v (last error %v)", cond, ctx.Err(), lastErr)
}

package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A person using only the keyboard: Tab, Enter and typing, no clicks. The
// skip link is the first stop and leads to the player in one more Tab;
// they sign up, post, comment, like and delete, and each step says that
// it happened.
func TestBrowserKeyboardOnly(t *testing.T) {
	ts := mustServeSite(t)
	bob := ts.signUp(t, "bob")
	clip := bob.uploadVlog(t, "A clip to watch", fixture(t, "clip.webm"), "clip.webm")
	ctx := MustStartBrowser(t)
	key := func(keys string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(keys) }
	flash := func() string {
		return mustGet(t, ctx, chromedp.Evaluate[string](`(e => e ? e.textContent : "")(document.querySelector(".flash"))`))
	}

	// The player, one Tab after the skip link.
	mustDo(t, ctx, "open the clip", chromedp.Navigate(ts.URL+clip))
	pressTabUntil(t, ctx, "a.skip-link", 1)
	if visible := mustGet(t, ctx, chromedp.Evaluate[bool](`document.activeElement.getBoundingClientRect().top >= 0`)); !visible {
		t.Fatal("the focused skip link is not on screen")
	}
	mustDo(t, ctx, "follow the skip link", key(kb.Enter))
	pressTabUntil(t, ctx, "video.player", 1)
	if name := mustGet(t, ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute("aria-label")`)); name != "Video: A clip to watch" {
		t.Fatalf("the player's name is %q", name)
	}

	// Sign up from the header.
	pressTabUntil(t, ctx, `a[href="/signup"]`, 40)
	pressEnter(t, ctx, "open sign-up")
	waitPath(t, ctx, "/signup")
	pressTabUntil(t, ctx, "#username", 15)
	mustDo(t, ctx, "type a name", key("kim"))
	pressTabUntil(t, ctx, "#password", 1)
	mustDo(t, ctx, "type a password", key(testPassword))
	pressEnter(t, ctx, "submit")
	waitFor(t, ctx, `document.querySelector(".whoami") !== null`)

	// Post a vlog.
	mustDo(t, ctx, "from the top", chromedp.Navigate(ts.URL+"/"))
	pressTabUntil(t, ctx, `a[href="/vlogs/new"]`, 15)
	pressEnter(t, ctx, "open the form")
	waitPath(t, ctx, "/vlogs/new")
	pressTabUntil(t, ctx, "#title", 15)
	mustDo(t, ctx, "type a title", key("Typed, not clicked"))
	pressTabUntil(t, ctx, "#body", 1)
	mustDo(t, ctx, "type a body", key("Every step by keyboard."))
	pressTabUntil(t, ctx, `form.vlog-form button[type="submit"]`, 3)
	pressEnter(t, ctx, "publish")
	waitPath(t, ctx, "/vlogs/2")
	if got := flash(); got != "Your vlog is published." {
		t.Fatalf("after publishing the page says %q", got)
	}
	// With the script, the time reads as the reader would say it, the
	// exact local time in its title.
	waitFor(t, ctx, `(e => e.title !== "" && !e.textContent.includes("UTC"))(document.querySelector(".meta time"))`)
	if when := mustGet(t, ctx, chromedp.Evaluate[string](`document.querySelector(".meta time").textContent`)); when != "just now" && !strings.Contains(when, "ago") {
		t.Fatalf("the new vlog's time reads %q, want \"just now\" or \"… ago\"", when)
	}

	// Comment on bob's clip, then like it.
	mustDo(t, ctx, "back to the clip", chromedp.Navigate(ts.URL+clip))
	pressTabUntil(t, ctx, "#comment-body", 40)
	mustDo(t, ctx, "type a comment", key("Lovely light."))
	pressTabUntil(t, ctx, `form.comment-form button[type="submit"]`, 2)
	pressEnter(t, ctx, "comment")
	waitPath(t, ctx, clip+"#comment-1")
	if got := flash(); got != "Your comment is posted." {
		t.Fatalf("after commenting the page says %q", got)
	}
	mustDo(t, ctx, "to the top", chromedp.Navigate(ts.URL+clip))
	pressTabUntil(t, ctx, "form.like-form button", 20)
	pressEnter(t, ctx, "like")
	waitPath(t, ctx, clip+"#like")
	liked := mustGet(t, ctx, chromedp.Evaluate[bool](`document.querySelector("form.like-form button").getAttribute("aria-pressed") === "true"`))
	inView := mustGet(t, ctx, chromedp.Evaluate[bool](`(r => r.top >= -1 && r.bottom <= innerHeight + 1)(document.getElementById("like").getBoundingClientRect())`))
	if !liked || !inView || flash() != "You like this vlog." {
		t.Fatalf("after Like: pressed %v, Like in view %v, page says %q", liked, inView, flash())
	}
	// Liked has its own colour, not Delete's.
	likedBg := mustGet(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("button.liked")).backgroundColor`))
	danger := mustGet(t, ctx, chromedp.Evaluate[string](`(d => { d.style.color = "var(--danger)"; document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c; })(document.createElement("span"))`))
	if likedBg == danger || likedBg == "rgba(0, 0, 0, 0)" {
		t.Fatalf("the Liked button is %s, Delete's red is %s", likedBg, danger)
	}

	// Delete the vlog, confirming.
	mustDo(t, ctx, "open the vlog", chromedp.Navigate(ts.URL+"/vlogs/2"))
	pressTabUntil(t, ctx, `a[href="/vlogs/2/delete"]`, 25)
	pressEnter(t, ctx, "ask to delete")
	waitPath(t, ctx, "/vlogs/2/delete")
	pressTabUntil(t, ctx, `form.confirm-form button[type="submit"]`, 15)
	pressEnter(t, ctx, "confirm")
	waitPath(t, ctx, "/")
	if got := flash(); got != "“Typed, not clicked” was deleted." || ts.Store.VlogCount() != 1 {
		t.Fatalf("after deleting the page says %q; %d vlogs left", got, ts.Store.VlogCount())
	}
	if strings.Contains(mustGet(t, ctx, chromedp.Evaluate[string](`document.body.innerHTML`)), "Typed, not clicked</a>") {
		t.Fatal("the deleted vlog is still listed")
	}
}

// pressEnter presses Enter on the focused element. When that navigates,
// the page the key events were sent to may be gone before the last of
// them arrives; Chromium then answers that it cannot find the context,
// which is the navigation, not a failure.
func pressEnter(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter))
	if err != nil && !strings.Contains(err.Error(), "Cannot find context with specified id") {
		t.Fatalf("%s: press Enter: %v", what, err)
	}
}

package web

import (
	"path/filepath"
	"testing"

	"vlogd/internal/testdeadline"

	"github.com/chromedp/chromedp"
)

// A person posts a clip through the form in Chromium, then plays it and
// scrubs: the video loads its metadata over byte ranges and can seek past
// half a second.
func TestBrowserUploadPlayAndSeek(t *testing.T) {
	ts := mustServeSite(t)
	ctx := MustStartBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	mustDo(t, ctx, "sign up",
		chromedp.Navigate(ts.URL+"/signup"),
		chromedp.SendKeys(css(`#username`), "vera"),
		chromedp.SendKeys(css(`#password`), testPassword),
		chromedp.Click(css(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`.whoami`)),
	)
	wait := chromedp.WithPollingTimeout(testdeadline.Remaining(t))
	for _, name := range []string{"clip.webm", "clip.mp4"} {
		t.Run(name, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join("..", "testdata", "media", name))
			if err != nil {
				t.Fatal(err)
			}
			mustDo(t, ctx, "post the clip",
				chromedp.Navigate(ts.URL+"/vlogs/new"),
				chromedp.SendKeys(css(`#title`), "A clip: "+name),
				chromedp.SetUploadFiles(css(`#video`), []string{path}),
				chromedp.Click(css(`form.vlog-form button[type="submit"]`)),
				chromedp.WaitVisible(css(`video.player`)),
			)
			const video = `document.querySelector('video.player')`
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](video+`.readyState >= HTMLMediaElement.HAVE_METADATA`, wait)); err != nil {
				errCode, _ := chromedp.Run(ctx, chromedp.Evaluate[any](video+`.error && `+video+`.error.code`))
				t.Fatalf("metadata never loaded (media error %v): %v", errCode, err)
			}
			duration := mustGet(t, ctx, chromedp.Evaluate[float64](video+`.duration`))
			if duration < 1.5 {
				t.Fatalf("duration %.2f s, want the 2 s clip", duration)
			}
			mustDo(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](video+`.currentTime = 1.2`))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!`+video+`.seeking && `+video+`.currentTime > 0.5`, wait)); err != nil {
				t.Fatalf("seeking past 0.5 s: %v", err)
			}
			mustDo(t, ctx, "play", chromedp.Evaluate[chromedp.Void](`(v => { v.muted = true; v.currentTime = 0; v.play(); })(`+video+`)`))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!`+video+`.paused && `+video+`.currentTime > 0.2`, wait)); err != nil {
				t.Fatalf("playing: %v", err)
			}
		})
	}
}

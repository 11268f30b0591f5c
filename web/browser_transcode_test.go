package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vlogd/internal/testclip"
)

// What phones and cameras make, uploaded as they are, converted in the
// background, then played in Chromium from the rendition: it loads, plays,
// seeks over byte ranges, and a portrait clip stays portrait.
func TestBrowserPlaysTranscodedCameraFiles(t *testing.T) {
	ts := mustServeSite(t, withTranscoding)
	alice := ts.signUp(t, "alice")
	clips := []struct {
		clip     testclip.Clip
		portrait bool
	}{
		{testclip.Clip{Name: "IMG_0001.MOV", Format: "mov", Video: "libx265", Audio: "aac", Width: 192, Height: 108, Seconds: 2}, false},
		{testclip.Clip{Name: "camera.mkv", Format: "matroska", Video: "libx264", Audio: "aac", Width: 192, Height: 108, Seconds: 2}, false},
		{testclip.Clip{Name: "VID_portrait.mp4", Format: "mp4", Video: "libx264", Audio: "aac", Width: 192, Height: 108, Seconds: 2, Rotate: 90}, true},
	}
	// Upload everything first, so the conversions run while the browser
	// starts.
	var locs []string
	for _, c := range clips {
		locs = append(locs, alice.uploadVlog(t, c.clip.Name, readClip(t, c.clip), c.clip.Name))
	}
	ctx := MustStartBrowser(t)
	wait := chromedp.WithPollingTimeout(time.Minute)
	for i, c := range clips {
		t.Run(c.clip.Name, func(t *testing.T) {
			v := waitVideo(t, ts, uint64(i+1))
			if len(v.Renditions) != 1 {
				t.Fatalf("job ended as %+v; want one rendition", v)
			}
			// Seeking asks for byte ranges; the rendition answers them.
			req, _ := http.NewRequest("GET", ts.URL+"/media/"+v.Renditions[0].Hash, nil)
			req.Header.Set("Range", "bytes=100-199")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 206 || resp.ContentLength != 100 || resp.Header.Get("Content-Type") != "video/mp4" {
				t.Fatalf("ranged GET of the rendition: %d, %d bytes, %q", resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Type"))
			}

			const video = `document.querySelector('video.player')`
			mustDo(t, ctx, "open the vlog", chromedp.Navigate(ts.URL+locs[i]), chromedp.WaitVisible(chromedp.CSS(`video.player`)))
			src := mustGet(t, ctx, chromedp.Evaluate[string](video+`.currentSrc`))
			if !strings.HasSuffix(src, "/media/"+v.Renditions[0].Hash) {
				t.Fatalf("playing %s, want the rendition %s", src, v.Renditions[0].Hash)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](video+`.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA`, wait)); err != nil {
				code, _ := chromedp.Run(ctx, chromedp.Evaluate[any](video+`.error && `+video+`.error.code`))
				t.Fatalf("readyState never reached 2 (media error %v): %v", code, err)
			}
			mustDo(t, ctx, "play", chromedp.Evaluate[chromedp.Void](`(v => { v.muted = true; v.play(); })(`+video+`)`))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!`+video+`.paused && `+video+`.currentTime > 0.2`, wait)); err != nil {
				t.Fatalf("currentTime does not advance: %v", err)
			}
			mustDo(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](`(v => { v.pause(); v.currentTime = 1.5; })(`+video+`)`))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!`+video+`.seeking && `+video+`.currentTime >= 1.4 && `+video+`.readyState >= 2`, wait)); err != nil {
				t.Fatalf("seeking to 1.5 s: %v", err)
			}
			size := mustGet(t, ctx, chromedp.Evaluate[[]int](`(v => [v.videoWidth, v.videoHeight, v.clientWidth, v.clientHeight])(`+video+`)`))
			if portrait := size[0] < size[1] && size[2] < size[3]; portrait != c.portrait {
				t.Fatalf("video %dx%d shown %dx%d; portrait = %v, want %v", size[0], size[1], size[2], size[3], portrait, c.portrait)
			}
			if c.portrait && fmt.Sprint(size[:2]) != "[108 192]" {
				t.Fatalf("portrait clip decodes as %dx%d, want 108x192", size[0], size[1])
			}
		})
	}
}

package web

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"vlogd/internal/testclip"
	"vlogd/memstore"
)

// withTranscoding turns on background transcoding, one job at a time.
func withTranscoding(c *siteConfig) {
	c.store.NoTranscode = false
	c.store.TranscodeJobs = 1
}

// waitVideo polls vlog id until its job has finished, failing the test
// shortly before its deadline.
func waitVideo(tb testing.TB, ts *testSite, id uint64) *memstore.Video {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := t.Deadline(); ok {
			deadline = d.Add(-15 * time.Second)
		}
	}
	for {
		v, err := ts.Store.Vlog(id)
		if err != nil {
			tb.Fatalf("Vlog(%d): %v", id, err)
		}
		if v.Video != nil && !v.Video.Job.Unfinished() {
			return v.Video
		}
		if time.Now().After(deadline) {
			tb.Fatalf("vlog %d: job still unfinished at the deadline: %+v", id, v.Video)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func readClip(tb testing.TB, c testclip.Clip) []byte {
	tb.Helper()
	b, err := os.ReadFile(testclip.Make(tb, c))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var sourceRE = regexp.MustCompile(`<source src="(/media/[0-9a-f]{64})" type="video/mp4"( media="\(max-width: (\d+)px\)")?>`)

// An iPhone-style QuickTime HEVC upload is taken, shows "processing" with
// a self-refreshing page, then plays its H.264 renditions (480p first for
// small screens); its probe data are on the page, in the API and the feed,
// and only its author sees the download link of the original.
func TestUploadQuickTimeTranscoded(t *testing.T) {
	ts := mustServeSite(t, withTranscoding)
	alice := ts.signUp(t, "alice")
	bob := ts.signUp(t, "bob")

	_, form := alice.get(t, "/vlogs/new")
	wantContains(t, form, "MP4, MOV, MKV, WebM, AVI or MPEG-TS", `accept="video/*,`)

	clip := readClip(t, testclip.Clip{Name: "IMG_0001.MOV", Format: "mov", Video: "libx265", Audio: "aac", Width: 854, Height: 480, Seconds: 1})
	// A second one larger than 480p, to get two renditions.
	big := readClip(t, testclip.Clip{Name: "IMG_0002.MOV", Format: "mov", Video: "libx264", Audio: "aac", Width: 640, Height: 496, Seconds: 1})
	loc := alice.uploadVlog(t, "from my phone", clip, "IMG_0001.MOV")
	if v, _ := ts.Store.Vlog(1); v.Video == nil || v.Video.Type != "video/quicktime" || v.Video.VideoCodec != "hevc" {
		t.Fatalf("stored %+v; want a QuickTime HEVC video", v.Video)
	}
	_, page := alice.get(t, loc)
	if v, _ := ts.Store.Vlog(1); v.Video.Job.Unfinished() {
		// Still at work when the page was made: it says so and refreshes.
		wantContains(t, page, `<meta http-equiv="refresh" content="5">`, `class="player player-pending" role="status"`)
	}
	v := waitVideo(t, ts, 1)
	if v.Job != memstore.JobReady || len(v.Renditions) != 1 || v.Renditions[0].Width != 854 || v.Renditions[0].Height != 480 {
		t.Fatalf("job ended as %+v; want one 854x480 rendition", v)
	}
	_, page = alice.get(t, loc)
	if strings.Contains(page, `http-equiv="refresh"`) {
		t.Error("a ready video's page still refreshes itself")
	}
	m := sourceRE.FindAllStringSubmatch(page, -1)
	if len(m) != 1 || m[0][1] != "/media/"+v.Renditions[0].Hash || m[0][2] != "" {
		t.Fatalf("sources %q; want the one rendition for every screen\n%s", m, page)
	}
	wantContains(t, page, `width="854" height="480"`, "Length 0:01", "854×480", `href="/media/`+v.Hash+`" download`)
	if _, other := bob.get(t, loc); strings.Contains(other, v.Hash) {
		t.Error("someone other than the author sees the original")
	}

	loc2 := alice.uploadVlog(t, "taller", big, "IMG_0002.MOV")
	v2 := waitVideo(t, ts, 2)
	_, page = alice.get(t, loc2)
	m = sourceRE.FindAllStringSubmatch(page, -1)
	if len(v2.Renditions) != 2 || len(m) != 2 || m[0][3] != "620" || m[1][2] != "" ||
		m[0][1] != "/media/"+v2.Renditions[0].Hash || m[1][1] != "/media/"+v2.Renditions[1].Hash {
		t.Fatalf("renditions %+v, sources %q; want 480p for screens up to 620 px, then 496p", v2.Renditions, m)
	}

	_, body := alice.get(t, "/api/vlogs/1")
	var api apiVlog
	if err := json.Unmarshal([]byte(body), &api); err != nil {
		t.Fatal(err)
	}
	if vi := api.VideoInfo; vi == nil || vi.Status != "ready" || vi.Duration < 0.9 || vi.Width != 854 || vi.VideoCodec != "hevc" ||
		len(vi.Renditions) != 1 || api.Video == nil || !strings.HasSuffix(*api.Video, v.Renditions[0].Hash) {
		t.Fatalf("API video = %v %+v", api.Video, api.VideoInfo)
	}
	_, feed := alice.get(t, "/feed.atom")
	wantContains(t, feed, `xmlns="http://search.yahoo.com/mrss/"`, `duration="1"`, `width="854" height="480"`,
		`rel="enclosure" type="video/mp4" href="`+ts.URL+`/media/`+v.Renditions[0].Hash)
}

// Without ffmpeg the form says why only MP4 and WebM are taken, and a
// QuickTime file is refused as before.
func TestUploadWithoutTranscoding(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	_, form := alice.get(t, "/vlogs/new")
	wantContains(t, form, "MP4 or WebM, up to", `accept="video/mp4,video/webm"`, "conversion is turned off")
	mov := readClip(t, testclip.Clip{Name: "a.mov", Format: "mov", Video: "libx264", Width: 64, Height: 48, Seconds: 1})
	resp, body := alice.postMultipart(t, "/vlogs", textPart("csrf", alice.token(t)), textPart("title", "mov"),
		part{name: "video", filename: "a.mov", content: strings.NewReader(string(mov))})
	if resp.StatusCode != 422 || !strings.Contains(body, "must be an MP4 or WebM video") {
		t.Fatalf("QuickTime without transcoding: %d\n%s", resp.StatusCode, body)
	}
}

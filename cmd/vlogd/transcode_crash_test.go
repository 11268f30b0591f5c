package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"vlogd/internal/testclip"
	"vlogd/internal/testdeadline"
)

// videoStatus reads vlog 1's video state from the JSON API.
func videoStatus(tb testing.TB, c *siteClient, base string) (status string, renditions []string) {
	tb.Helper()
	code, body := c.get(tb, base+"/api/vlogs/1")
	if code != 200 {
		tb.Fatalf("GET /api/vlogs/1 = %d: %s", code, body)
	}
	var v struct {
		VideoInfo struct {
			Status     string `json:"status"`
			Renditions []struct {
				URL string `json:"url"`
			} `json:"renditions"`
		} `json:"video_info"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		tb.Fatal(err)
	}
	for _, r := range v.VideoInfo.Renditions {
		renditions = append(renditions, r.URL)
	}
	return v.VideoInfo.Status, renditions
}

// A SIGKILL while ffmpeg converts an upload loses neither the upload nor
// the work owed on it: after the restart the job runs again, finishes,
// and the rendition decodes from end to end over HTTP.
func TestCrashDuringTranscode(t *testing.T) {
	clip := testclip.Make(t, testclip.Clip{Name: "long.mkv", Format: "matroska", Video: "libx264", Audio: "aac",
		Width: 960, Height: 540, Seconds: 5, Rate: 25})
	video, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := MustStartVlogd(t, dir, "--transcode-jobs", "1")
	c := signUp(t, p.URL, "uploader")
	if resp := c.postVideo(t, context.Background(), p.URL, "long clip", video, nil); resp.StatusCode != 303 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	// The job is recorded as started; kill the server while ffmpeg runs.
	testdeadline.Poll(t, "the job to start", func() bool {
		status, _ := videoStatus(t, c, p.URL)
		if status == "ready" {
			t.Fatal("the job finished before the kill: make the clip longer")
		}
		return status == "processing"
	})
	p.kill(t)

	p = MustStartVlogd(t, dir, "--transcode-jobs", "1")
	if !strings.Contains(p.logs.String(), `msg="resuming video jobs" count=1`) {
		t.Fatalf("the restarted server did not resume the job:\n%s", p.logs)
	}
	var renditions []string
	testdeadline.Poll(t, "the resumed job to finish", func() bool {
		var status string
		status, renditions = videoStatus(t, c, p.URL)
		if status == "failed" {
			t.Fatalf("the resumed job failed:\n%s", p.logs)
		}
		return status == "ready"
	})
	if len(renditions) != 2 {
		t.Fatalf("renditions %v, want 480p and 540p", renditions)
	}
	// "Plays": ffmpeg reads each rendition over HTTP and decodes every
	// frame without an error.
	for _, u := range renditions {
		out, err := exec.Command("ffmpeg", "-v", "error", "-xerror", "-i", u, "-f", "null", "-").CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Fatalf("decoding %s: %v\n%s", u, err, out)
		}
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

package main

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"vlogd/internal/testdeadline"
)

// A SIGKILL in the middle of an upload leaves no half blob visible and no
// record pointing at a missing blob: after the restart the temporary file
// is gone, no vlog claims the video, and vlogs with videos still play.
func TestCrashDuringUpload(t *testing.T) {
	dir := t.TempDir()
	p := MustStartVlogd(t, dir)
	c := signUp(t, p.URL, "uploader")
	clip, err := os.ReadFile(filepath.Join("..", "..", "testdata", "media", "clip.webm"))
	if err != nil {
		t.Fatal(err)
	}
	kept := c.postVideo(t, context.Background(), p.URL, "kept", clip, nil)
	if kept.StatusCode != 303 {
		t.Fatalf("first upload: %d", kept.StatusCode)
	}

	// The second upload sends its head and then stalls until the kill.
	stall := make(chan struct{})
	go c.postVideo(t, context.Background(), p.URL, "interrupted", clip[:4096], stall)
	testdeadline.Poll(t, "the stalled upload to reach the disk", func() bool { return len(tempFiles(t, dir)) != 0 })
	p.kill(t)
	close(stall)

	p = MustStartVlogd(t, dir)
	// Uploads only: a rendition the restarted server is making has a
	// temporary file of its own.
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Fatalf("temporary upload files survived the restart: %v", tmp)
	}
	listed := listAll(t, c, p.URL)
	if len(listed) != 1 {
		t.Fatalf("listed %v, want only the acknowledged vlog", listed)
	}
	for id := range listed {
		_, page := c.get(t, p.URL+"/vlogs/"+strconv.FormatUint(id, 10))
		// The author's link to the original: the player itself may be
		// waiting for, or playing, a rendition made by ffmpeg.
		m := regexp.MustCompile(`href="(/media/[0-9a-f]{64})" download`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("vlog %d lost its video", id)
		}
		if code, body := c.get(t, p.URL+m[1]); code != 200 || body != string(clip) {
			t.Fatalf("GET %s = %d (%d bytes), want the clip", m[1], code, len(body))
		}
	}
}

// tempFiles lists uploads in progress in the data directory's blob store.
func tempFiles(tb testing.TB, dataDir string) []string {
	tb.Helper()
	matches, err := filepath.Glob(filepath.Join(dataDir, "blobs", "put-*.tmp"))
	if err != nil {
		tb.Fatal(err)
	}
	return matches
}

// postVideo uploads a vlog with a video through the multipart form. With a
// non-nil stall, it sends the file's bytes and then waits on stall before
// finishing, holding the request open.
func (c *siteClient) postVideo(tb testing.TB, ctx context.Context, base, title string, video []byte, stall chan struct{}) *http.Response {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf", c.csrf)
		mw.WriteField("title", title)
		fw, err := mw.CreateFormFile("video", "clip.webm")
		if err != nil {
			// The server went away (a crash test killed it): the
			// request has failed already.
			pw.CloseWithError(err)
			return
		}
		fw.Write(video)
		if stall != nil {
			// Enough to pass the type check and reach the disk.
			fw.Write(make([]byte, 64<<10))
			<-stall
			pw.CloseWithError(io.ErrUnexpectedEOF)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/vlogs", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		return &http.Response{StatusCode: 0}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

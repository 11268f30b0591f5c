package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "media", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// part is one field of a multipart form, in the order a browser sends it.
type part struct {
	name, filename string
	content        io.Reader
}

func textPart(name, value string) part { return part{name: name, content: strings.NewReader(value)} }

// postMultipart streams a multipart form (never building it in memory) and
// returns the response with its body read.
func (c *client) postMultipart(tb testing.TB, path string, parts ...part) (*http.Response, string) {
	tb.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, p := range parts {
			var w io.Writer
			var err error
			if p.filename != "" {
				w, err = mw.CreateFormFile(p.name, p.filename)
			} else {
				w, err = mw.CreateFormField(p.name)
			}
			if err == nil {
				_, err = io.Copy(w, p.content)
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequest("POST", c.ts.URL+path, pr)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// uploadVlog creates a vlog with a video through the multipart form.
func (c *client) uploadVlog(tb testing.TB, title string, video []byte, filename string) string {
	tb.Helper()
	resp, body := c.postMultipart(tb, "/vlogs",
		textPart("csrf", c.token(tb)), textPart("title", title), textPart("body", "with a clip"),
		part{name: "video", filename: filename, content: bytes.NewReader(video)})
	if resp.StatusCode != 303 {
		tb.Fatalf("upload %s: status %d\n%s", filename, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// videoSrcRE finds the player and its first source: m[1] is the source's
// hash, m[2] the poster.
var videoSrcRE = regexp.MustCompile(`<source src="/media/([0-9a-f]{64})"()`)

// posterRE finds the player's poster.
var posterRE = regexp.MustCompile(`<video class="player(?: player-portrait)?" controls preload="metadata" playsinline poster="([^"]+)"`)

func TestUploadShowAndServeVideo(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	clip := fixture(t, "clip.webm")
	loc := alice.uploadVlog(t, "clip", clip, "holiday.webm")

	_, page := alice.get(t, loc)
	m := videoSrcRE.FindStringSubmatch(page)
	if m == nil || posterRE.FindStringSubmatch(page) == nil {
		t.Fatalf("no <video> on the vlog page:\n%s", page)
	}
	m[2] = posterRE.FindStringSubmatch(page)[1]
	sum := sha256.Sum256(clip)
	if m[1] != hex.EncodeToString(sum[:]) || m[2] != "/static/poster.svg" && !strings.HasPrefix(m[2], "/media/") {
		t.Fatalf("video src %s poster %s; want the clip's SHA-256 and a poster", m[1], m[2])
	}
	_, list := alice.get(t, "/")
	wantContains(t, list, `class="vlog-list vlog-grid"`, `<img src="/static/poster.svg" alt="" loading="lazy" decoding="async" width="320" height="180">`)

	media := "/media/" + m[1]
	resp, body := alice.get(t, media)
	wantStatus(t, resp, 200)
	if body != string(clip) {
		t.Fatal("served video differs from the upload")
	}
	for name, want := range map[string]string{
		"Content-Type":            "video/webm", // not the audio/webm a file-extension guess gives
		"Accept-Ranges":           "bytes",
		"Cache-Control":           "public, max-age=31536000, immutable",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": mediaCSP,
		"ETag":                    `"` + m[1] + `"`,
		"Content-Length":          fmt.Sprint(len(clip)),
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("GET %s %s = %q, want %q", media, name, got, want)
		}
	}
	if resp.Header.Get("Content-Encoding") != "" {
		t.Error("video was compressed")
	}

	tests := []struct {
		name    string
		header  map[string]string
		method  string
		status  int
		cr      string
		bodyLen int
	}{
		{"range", map[string]string{"Range": "bytes=0-99"}, "GET", 206, fmt.Sprintf("bytes 0-99/%d", len(clip)), 100},
		{"open range", map[string]string{"Range": "bytes=100-"}, "GET", 206, fmt.Sprintf("bytes 100-%d/%d", len(clip)-1, len(clip)), len(clip) - 100},
		{"suffix range", map[string]string{"Range": "bytes=-10"}, "GET", 206, fmt.Sprintf("bytes %d-%d/%d", len(clip)-10, len(clip)-1, len(clip)), 10},
		{"unsatisfiable", map[string]string{"Range": fmt.Sprintf("bytes=%d-", len(clip))}, "GET", 416, fmt.Sprintf("bytes */%d", len(clip)), -1},
		{"etag", map[string]string{"If-None-Match": `"` + m[1] + `"`}, "GET", 304, "", 0},
		{"head", nil, "HEAD", 200, "", 0},
	}
	for _, tt := range tests {
		c := ts.newClient(t)
		for k, v := range tt.header {
			c.header.Set(k, v)
		}
		resp, body := c.do(t, tt.method, media, nil)
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Range") != tt.cr || (tt.bodyLen >= 0 && len(body) != tt.bodyLen) {
			t.Errorf("%s: %d Content-Range %q body %d bytes; want %d %q %d", tt.name, resp.StatusCode, resp.Header.Get("Content-Range"), len(body), tt.status, tt.cr, tt.bodyLen)
		}
		if tt.status == 206 && !bytes.Contains(clip, []byte(body)) {
			t.Errorf("%s: range body is not part of the clip", tt.name)
		}
	}
	for _, bad := range []string{"/media/../../etc/passwd", "/media/" + strings.Repeat("a", 64), "/media/" + strings.ToUpper(m[1]), "/media/x"} {
		if resp, _ := alice.get(t, bad); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", bad, resp.StatusCode)
		}
	}
}

func TestUploadMP4(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.uploadVlog(t, "mp4 clip", fixture(t, "clip.mp4"), "clip.mp4")
	_, page := alice.get(t, loc)
	m := videoSrcRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no video on the page")
	}
	resp, _ := alice.get(t, "/media/"+m[1])
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
		t.Fatalf("Content-Type = %q, want video/mp4", ct)
	}
}

func TestUploadRefusals(t *testing.T) {
	ts := mustServeSite(t, func(c *siteConfig) { c.web.MaxUpload = 8 << 10 })
	alice := ts.signUp(t, "alice")
	big := append(fixture(t, "clip.webm"), make([]byte, 8<<10)...)
	tests := []struct {
		name   string
		parts  func() []part
		status int
		want   string
	}{
		{"over the limit", func() []part {
			return []part{textPart("csrf", alice.token(t)), textPart("title", "big"), {name: "video", filename: "big.webm", content: bytes.NewReader(big)}}
		}, 413, "the limit is 8 KiB"},
		{"html disguised as mp4", func() []part {
			return []part{textPart("csrf", alice.token(t)), textPart("title", "sneaky"), {name: "video", filename: "x.mp4", content: bytes.NewReader(fixture(t, "disguised.mp4"))}}
		}, 422, "must be an MP4 or WebM video"},
		{"no csrf token", func() []part {
			return []part{textPart("title", "t"), {name: "video", filename: "c.webm", content: bytes.NewReader(fixture(t, "clip.webm"))}}
		}, 403, "expired"},
		{"token after the file", func() []part {
			return []part{textPart("title", "t"), {name: "video", filename: "c.webm", content: bytes.NewReader(fixture(t, "clip.webm"))}, textPart("csrf", alice.token(t))}
		}, 403, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := alice.postMultipart(t, "/vlogs", tt.parts()...)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.status, tt.want, body)
			}
			if n := ts.Store.VlogCount(); n != 0 {
				t.Fatalf("%d vlogs stored", n)
			}
			sum := sha256.Sum256(fixture(t, "clip.webm"))
			if f, err := ts.Store.OpenMedia(hex.EncodeToString(sum[:])); err == nil {
				f.Close()
				t.Fatal("the clip was stored although the form was refused")
			}
		})
	}
	// Plain forms still work, without a video.
	loc := alice.createVlog(t, "text only", "")
	_, page := alice.get(t, loc)
	if strings.Contains(page, "<video") {
		t.Fatal("a vlog without video shows a player")
	}
}

func TestEditReplacesAndRemovesVideo(t *testing.T) {
	ts := mustServeSite(t)
	alice := ts.signUp(t, "alice")
	loc := alice.uploadVlog(t, "clip", fixture(t, "clip.webm"), "a.webm")
	_, page := alice.get(t, loc+"/edit")
	wantContains(t, page, `enctype="multipart/form-data"`, `name="remove_video"`, `accept="video/mp4,video/webm"`)

	resp, body := alice.postMultipart(t, loc+"/edit", textPart("csrf", alice.token(t)), textPart("title", "clip v2"), textPart("body", ""),
		part{name: "video", filename: "b.mp4", content: bytes.NewReader(fixture(t, "clip.mp4"))})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != loc {
		t.Fatalf("replace: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	v, _ := ts.Store.Vlog(1)
	if v.Video == nil || v.Video.Type != "video/mp4" || v.Title != "clip v2" {
		t.Fatalf("after replace: %+v", v)
	}
	// An edit that chooses no file keeps the video.
	resp, _ = alice.postMultipart(t, loc+"/edit", textPart("csrf", alice.token(t)), textPart("title", "clip v3"), textPart("body", ""),
		part{name: "video", filename: "", content: strings.NewReader("")})
	if v, _ := ts.Store.Vlog(1); resp.StatusCode != 303 || v.Video == nil || v.Video.Type != "video/mp4" {
		t.Fatalf("edit without a file: %d, %+v", resp.StatusCode, v.Video)
	}
	resp, _ = alice.postMultipart(t, loc+"/edit", textPart("csrf", alice.token(t)), textPart("title", "no clip"), textPart("body", ""), textPart("remove_video", "1"),
		part{name: "video", filename: "", content: strings.NewReader("")})
	if v, _ := ts.Store.Vlog(1); resp.StatusCode != 303 || v.Video != nil || v.ID != 1 {
		t.Fatalf("remove: %d, %+v", resp.StatusCode, v)
	}
	// Another user cannot replace it: 403 before anything is stored.
	bob := ts.signUp(t, "bob")
	resp, _ = bob.postMultipart(t, loc+"/edit", textPart("csrf", bob.token(t)), textPart("title", "mine now"),
		part{name: "video", filename: "c.webm", content: bytes.NewReader(fixture(t, "clip.webm"))})
	if v, _ := ts.Store.Vlog(1); resp.StatusCode != 403 || v.Title != "no clip" {
		t.Fatalf("other user's edit: %d, title %q", resp.StatusCode, v.Title)
	}
}

// countingReader produces n bytes of a video-looking stream on the fly: a
// real WebM header, then filler.
type countingReader struct {
	head []byte
	left int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.head)
	r.head = r.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = byte(i)
	}
	r.left -= int64(len(p))
	return len(p), nil
}

// A 200 MiB upload goes through with memory use far below its size: it is
// streamed to disk, never buffered.
func TestLargeUploadUsesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MiB upload skipped in -short")
	}
	const size = 200 << 20
	ts := mustServeSite(t, func(c *siteConfig) { c.web.MaxUpload = size + 1 })
	alice := ts.signUp(t, "alice")
	token := alice.token(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, body := alice.postMultipart(t, "/vlogs", textPart("csrf", token), textPart("title", "huge"),
		part{name: "video", filename: "huge.webm", content: &countingReader{head: fixture(t, "clip.webm")[:64], left: size}})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 303 {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	v, _ := ts.Store.Vlog(1)
	if v.Video == nil || v.Video.Size != size {
		t.Fatalf("stored %+v, want a %d-byte video", v.Video, size)
	}
	// Client and server both run here; both stream. Peak heap stays far
	// below the upload's size.
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB for a %d MiB upload", grew>>20, size>>20)
	}
	t.Logf("200 MiB upload: heap sys grew %d KiB, total allocated %d MiB", (int64(after.HeapSys)-int64(before.HeapSys))>>10, (after.TotalAlloc-before.TotalAlloc)>>20)
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// wantFieldErrors checks a refused form as a person with a screen reader
// meets it: a summary that takes focus and links to every wrong field, and
// each field marked invalid and described by its message.
func wantFieldErrors(t *testing.T, page string, fields map[string]string) {
	t.Helper()
	wantContains(t, page, `<div class="error-summary" id="error-summary" tabindex="-1" autofocus`, "<title>Error: ")
	for id, msg := range fields {
		wantContains(t, page, `<li><a href="#`+id+`">`+msg+`</a></li>`, `id="`+id+`-error"><span class="visually-hidden">Error: </span>`+msg+`</p>`)
		input := regexp.MustCompile(`<(input|textarea) id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
		describedBy := regexp.MustCompile(`aria-describedby="([^"]*)"`).FindStringSubmatch(input)
		if !strings.Contains(input, `aria-invalid="true"`) || describedBy == nil || !strings.Contains(" "+describedBy[1]+" ", " "+id+"-error ") {
			t.Fatalf("field %s is not marked invalid and described by its error: %s", id, input)
		}
		for _, ref := range strings.Fields(describedBy[1]) {
			if !strings.Contains(page, `id="`+ref+`"`) {
				t.Fatalf("field %s is described by #%s, which is not on the page", id, ref)
			}
		}
	}
	if n := strings.Count(page, "<li><a href=\"#"); n != len(fields) {
		t.Fatalf("summary lists %d problems, want %d", n, len(fields))
	}
}

func TestFormsReportEveryError(t *testing.T) {
	ts := mustServeSite(t)
	ts.signUp(t, "taken")
	anon := ts.newClient(t)

	resp, page := anon.post(t, "/signup", url.Values{"username": {"a!"}, "password": {"short"}})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{
		"username": "Username must be 3 to 32 characters long.",
		"password": "Password must be at least 10 characters.",
	})
	wantContains(t, page, `value="a!"`, "There are 2 problems")

	resp, page = anon.post(t, "/signup", url.Values{"username": {"TAKEN"}, "password": {"short"}})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{
		"username": "Username is already taken.",
		"password": "Password must be at least 10 characters.",
	})

	resp, page = anon.post(t, "/login", url.Values{})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{"username": "Enter your username.", "password": "Enter your password."})

	alice := ts.signUp(t, "alice")
	resp, page = alice.post(t, "/vlogs", url.Values{"title": {""}, "body": {strings.Repeat("x", 100_001)}})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{"title": "Title is required.", "body": "Body must be at most 100 KB."})

	loc := alice.createVlog(t, "talk", "")
	resp, page = alice.post(t, loc+"/comments", url.Values{"body": {" "}})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{"comment-body": "Comment is required."})
	if ts.Store.VlogCount() != 1 {
		t.Fatalf("%d vlogs stored, want 1", ts.Store.VlogCount())
	}
}

var pendingRE = regexp.MustCompile(`<input type="hidden" name="pending_video" value="([^"]+)">`)

// A video sent with a form refused for its title is kept: the form says
// so and refers to it, and the corrected form publishes it without the
// file being sent again.
func TestRefusedFormKeepsTheVideo(t *testing.T) {
	ts := mustServeSite(t)
	alice, bob := ts.signUp(t, "alice"), ts.signUp(t, "bob")
	clip := fixture(t, "clip.webm")
	sum := sha256.Sum256(clip)
	hash := hex.EncodeToString(sum[:])

	resp, page := alice.postMultipart(t, "/vlogs", textPart("csrf", alice.token(t)), textPart("title", " "), textPart("body", "kept body"),
		part{name: "video", filename: "holiday <1>.webm", content: bytes.NewReader(clip)})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{"title": "Title is required."})
	wantContains(t, page, `Your video <strong>holiday &lt;1&gt;.webm</strong>`, "need not choose it again", `aria-describedby="video-hint video-kept"`, ">kept body</textarea>")
	m := pendingRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no pending_video field:\n%s", page)
	}
	token := m[1]
	if f, err := ts.Store.OpenMedia(hash); err != nil {
		t.Fatalf("the kept video is not stored: %v", err)
	} else {
		f.Close()
	}

	// Another user cannot use it.
	resp, page = bob.post(t, "/vlogs", url.Values{"title": {"stolen"}, pendingField: {token}})
	wantStatus(t, resp, 422)
	wantContains(t, page, "Please choose it again")

	// The corrected form, without a file, publishes the kept video.
	resp, _ = alice.postMultipart(t, "/vlogs", textPart("csrf", alice.token(t)), textPart("title", "Holiday"), textPart(pendingField, token))
	wantStatus(t, resp, 303)
	v, err := ts.Store.Vlog(1)
	if err != nil || v.Video == nil || v.Video.Hash != hash {
		t.Fatalf("published %+v (err %v), want the kept clip %s", v, err, hash)
	}

	// A token works once.
	resp, page = alice.post(t, "/vlogs", url.Values{"title": {"again"}, pendingField: {token}})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{"video": "The video you chose before was not kept (it expired, or the site restarted). Please choose it again."})

	// A file that is not a video with a bad title: both reported, and the
	// message says plainly to choose another file.
	resp, page = alice.postMultipart(t, "/vlogs", textPart("csrf", alice.token(t)), textPart("title", ""),
		part{name: "video", filename: "x.mp4", content: bytes.NewReader(fixture(t, "disguised.mp4"))})
	wantStatus(t, resp, 422)
	wantFieldErrors(t, page, map[string]string{
		"title": "Title is required.",
		"video": "The video must be an MP4 or WebM video (this file is not). Please choose a different file.",
	})
	if pendingRE.MatchString(page) {
		t.Fatal("a refused file is offered as kept")
	}
	if n := ts.Store.VlogCount(); n != 1 {
		t.Fatalf("%d vlogs, want 1", n)
	}
}

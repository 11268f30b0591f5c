package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vlogd/internal/testdeadline"
)

// content is a vlog's title and body (and video hash, "" for none).
type content struct{ title, body, video string }

// plVlog is what the clients know of one vlog.
type plVlog struct {
	acked    content   // the last acknowledged content
	maybe    []content // edits sent without an answer: any may have landed
	deleted  bool      // an acknowledged delete
	deleting bool      // a delete sent without an answer
	comments []string  // acknowledged comment bodies
	unseen   int       // of which the last ones not yet seen on the page
	liked    bool      // the acknowledged like state of the owner
	liking   *bool     // a like sent without an answer
	videoNew []byte    // an acknowledged video not yet downloaded and compared
}

// powerLedger is everything acknowledged (or sent without an answer) over
// the whole power-loss test.
type powerLedger struct {
	mu        sync.Mutex
	vlogs     map[uint64]*plVlog
	inFlight  map[string]content // creates sent without an answer, by title
	videos    map[string][]byte  // title → video of a create in flight
	maxID     uint64
	users     []string        // acknowledged sign-ups not yet checked
	userSeen  int             // sign-ups checked
	signingUp map[string]bool // sign-ups sent without an answer
	acks      map[string]int  // acknowledged changes by kind
}

func newPowerLedger() *powerLedger {
	return &powerLedger{vlogs: map[uint64]*plVlog{}, inFlight: map[string]content{}, videos: map[string][]byte{},
		signingUp: map[string]bool{}, acks: map[string]int{}}
}

func (lg *powerLedger) summary() string {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return fmt.Sprintf("acknowledged %v, %d sign-ups checked", lg.acks, lg.userSeen)
}

// apiVlogJSON is the part of GET /api/vlogs the check reads.
type apiVlogJSON struct {
	ID       uint64  `json:"id"`
	Title    string  `json:"title"`
	Body     string  `json:"body"`
	Likes    int     `json:"likes"`
	Comments int     `json:"comments"`
	Video    *string `json:"video"`
	// VideoInfo is there whenever a video is attached; video is null
	// while it is being processed.
	VideoInfo *struct {
		Status string `json:"status"`
	} `json:"video_info"`
}

// originalRE finds the author's link to the uploaded video on a vlog page.
var originalRE = regexp.MustCompile(`href="/media/([0-9a-f]{64})" download`)

func apiListAll(tb testing.TB, c *siteClient, base string) map[uint64]apiVlogJSON {
	tb.Helper()
	all := map[uint64]apiVlogJSON{}
	path := "/api/vlogs"
	for path != "" {
		code, body := c.get(tb, base+path)
		if code != 200 {
			tb.Fatalf("GET %s = %d", path, code)
		}
		var page struct {
			Vlogs []apiVlogJSON `json:"vlogs"`
			Next  *string       `json:"next"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			tb.Fatalf("GET %s: %v", path, err)
		}
		for _, v := range page.Vlogs {
			all[v.ID] = v
		}
		path = ""
		if page.Next != nil {
			path = *page.Next
		}
	}
	return all
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// videoHash returns the hash of the video uploaded to v, "" for none. The
// API's video is what plays (a rendition once ffmpeg has made one, nothing
// while it works), so the original is read from its author's download
// link: c must be signed in as the author.
func videoHash(tb testing.TB, c *siteClient, base string, v apiVlogJSON) string {
	tb.Helper()
	if v.VideoInfo == nil {
		return ""
	}
	_, page := c.get(tb, base+"/vlogs/"+strconv.FormatUint(v.ID, 10))
	m := originalRE.FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("vlog %d has a video but its page has no link to the original", v.ID)
	}
	return m[1]
}

// check compares the recovered site with the ledger, settles what was in
// flight, and proves the next ID is new.
func (lg *powerLedger) check(tb testing.TB, c *siteClient, base string, round int) {
	tb.Helper()
	lg.mu.Lock()
	defer lg.mu.Unlock()
	listed := apiListAll(tb, c, base)
	for id, v := range lg.vlogs {
		got, present := listed[id]
		if v.deleting {
			v.deleting, v.deleted = false, !present
		}
		if v.deleted {
			if present {
				tb.Fatalf("round %d: vlog %d was deleted (acknowledged) but is back", round, id)
			}
			continue
		}
		if !present {
			tb.Fatalf("round %d: acknowledged vlog %d (%q) is lost", round, id, v.acked.title)
		}
		now := content{got.Title, got.Body, videoHash(tb, c, base, got)}
		if now != v.acked {
			found := false
			for _, m := range v.maybe {
				found = found || m == now
			}
			if !found {
				tb.Fatalf("round %d: vlog %d is %+v, acknowledged as %+v (unanswered edits %+v)", round, id, now, v.acked, v.maybe)
			}
			v.acked = now
		}
		v.maybe = nil
		wantLikes := 0
		if v.liked {
			wantLikes = 1
		}
		if got.Likes != wantLikes {
			if v.liking == nil || got.Likes != map[bool]int{false: 0, true: 1}[*v.liking] {
				tb.Fatalf("round %d: vlog %d has %d likes, acknowledged state %v", round, id, got.Likes, v.liked)
			}
			v.liked = got.Likes == 1
		}
		v.liking = nil
		if got.Comments < len(v.comments) {
			tb.Fatalf("round %d: vlog %d has %d comments, %d were acknowledged", round, id, got.Comments, len(v.comments))
		}
		if v.unseen > 0 {
			// Each acknowledged comment is looked for once on the page;
			// after that the count above keeps watch.
			_, page := c.get(tb, base+"/vlogs/"+strconv.FormatUint(id, 10))
			for _, cm := range v.comments[len(v.comments)-v.unseen:] {
				if !strings.Contains(page, `<div class="comment-body">`+cm+`</div>`) {
					tb.Fatalf("round %d: acknowledged comment %q on vlog %d is lost", round, cm, id)
				}
			}
			v.unseen = 0
		}
		if v.videoNew != nil && now.video != "" {
			code, body := c.get(tb, base+"/media/"+now.video)
			if code != 200 || body != string(v.videoNew) {
				tb.Fatalf("round %d: video of vlog %d: %d with %d bytes, want the %d acknowledged bytes", round, id, code, len(body), len(v.videoNew))
			}
			v.videoNew = nil
		}
	}
	for id, got := range listed {
		lg.maxID = max(lg.maxID, id)
		if _, known := lg.vlogs[id]; known {
			continue
		}
		want, sent := lg.inFlight[got.Title]
		now := content{got.Title, got.Body, videoHash(tb, c, base, got)}
		if !sent || now != want {
			tb.Fatalf("round %d: vlog %d is %+v, which no unanswered create sent whole (%+v)", round, id, now, want)
		}
		lg.vlogs[id] = &plVlog{acked: now}
		delete(lg.inFlight, got.Title)
	}
	clear(lg.inFlight)
	clear(lg.videos)
	for _, u := range lg.users {
		if !canSignIn(tb, base, u) {
			tb.Fatalf("round %d: acknowledged sign-up %q cannot sign in", round, u)
		}
		lg.userSeen++
	}
	lg.users = lg.users[:0]
	clear(lg.signingUp)
	// Invariant 2: the next ID is larger than any ever seen.
	title := fmt.Sprintf("probe-%d", round)
	loc := c.createVlog(tb, base, title, "probe body")
	id, err := strconv.ParseUint(strings.TrimPrefix(loc, "/vlogs/"), 10, 64)
	if err != nil || id <= lg.maxID {
		tb.Fatalf("round %d: new vlog at %q, want an ID above %d", round, loc, lg.maxID)
	}
	lg.maxID = id
	lg.vlogs[id] = &plVlog{acked: content{title, "probe body", ""}}
}

// canSignIn reports whether name signs in with the test password.
func canSignIn(tb testing.TB, base, name string) bool {
	tb.Helper()
	c := newSiteClient(testdeadline.Remaining(tb))
	if err := c.fetchToken(context.Background(), base); err != nil {
		tb.Fatal(err)
	}
	resp, err := c.post(context.Background(), base, "/login", url.Values{"username": {name}, "password": {"a long enough password"}})
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode == 303 && !strings.HasPrefix(resp.Header.Get("Location"), "/login")
}

// newSiteClient returns a visitor with its own cookies whose requests give
// up after timeout (0: only when their context ends, as the writers'
// do when the round's power goes).
func newSiteClient(timeout time.Duration) *siteClient {
	jar, _ := cookiejar.New(nil)
	return &siteClient{http: &http.Client{
		Jar:           jar,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// fetchToken reads a CSRF token from the sign-in form, without failing
// the test (the server may be killed at any moment).
func (c *siteClient) fetchToken(ctx context.Context, base string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/login", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	m := csrfRE.FindStringSubmatch(sb.String())
	if m == nil {
		return fmt.Errorf("no csrf token on /login (status %d)", resp.StatusCode)
	}
	c.csrf = m[1]
	return nil
}

// pick returns a random live vlog known to the ledger, or 0.
func (lg *powerLedger) pick(rng *rand.Rand) uint64 {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	var ids []uint64
	for id, v := range lg.vlogs {
		if !v.deleted && !v.deleting {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0
	}
	// Prefer recent vlogs, so the same few gather comments and edits.
	max := ids[0]
	for _, id := range ids {
		if id > max {
			max = id
		}
	}
	for range 4 {
		if id := ids[rng.IntN(len(ids))]; id+40 > max {
			return id
		}
	}
	return ids[rng.IntN(len(ids))]
}

// writers returns the round's concurrent clients. Each records exactly what
// the server acknowledged and stops at its first failure (the kill) or
// when ctx ends.
// A sign-up (argon2id) takes far longer than the other writes; signedUp
// is signalled after each acknowledged one, so some rounds can wait for it.
func (lg *powerLedger) writers(c *siteClient, base string, clip []byte, round int, signedUp chan<- struct{}) []func(ctx context.Context) {
	ack := func(kind string) { lg.acks[kind]++ } // lg.mu held
	creator := func(ctx context.Context) {
		rng := rand.New(rand.NewPCG(uint64(round), 1))
		for i := 0; ctx.Err() == nil && i < 400; i++ {
			ct := content{fmt.Sprintf("r%d-create-%d", round, i), fmt.Sprintf("body r%d %d %s", round, i, strings.Repeat("x", rng.IntN(200))), ""}
			lg.mu.Lock()
			lg.inFlight[ct.title] = ct
			lg.mu.Unlock()
			resp, err := c.post(ctx, base, "/vlogs", url.Values{"title": {ct.title}, "body": {ct.body}})
			if err != nil || resp.StatusCode != 303 {
				return
			}
			id, err := strconv.ParseUint(strings.TrimPrefix(resp.Header.Get("Location"), "/vlogs/"), 10, 64)
			if err != nil {
				return
			}
			lg.mu.Lock()
			delete(lg.inFlight, ct.title)
			lg.vlogs[id] = &plVlog{acked: ct}
			ack("create")
			lg.mu.Unlock()
			if i%2 == 1 {
				continue
			}
			victim := lg.pick(rng)
			if victim == 0 {
				continue
			}
			lg.mu.Lock()
			lg.vlogs[victim].deleting = true
			lg.mu.Unlock()
			resp, err = c.post(ctx, base, "/vlogs/"+strconv.FormatUint(victim, 10)+"/delete", url.Values{})
			if err != nil || resp.StatusCode != 303 {
				return
			}
			lg.mu.Lock()
			lg.vlogs[victim].deleting, lg.vlogs[victim].deleted = false, true
			ack("delete")
			lg.mu.Unlock()
		}
	}
	editor := func(ctx context.Context) {
		rng := rand.New(rand.NewPCG(uint64(round), 2))
		for i := 0; ctx.Err() == nil && i < 400; i++ {
			id := lg.pick(rng)
			if id == 0 {
				return
			}
			lg.mu.Lock()
			v := lg.vlogs[id]
			ct := content{fmt.Sprintf("r%d-edit-%d", round, i), fmt.Sprintf("edited body r%d %d", round, i), v.acked.video}
			v.maybe = append(v.maybe, ct)
			lg.mu.Unlock()
			resp, err := c.post(ctx, base, "/vlogs/"+strconv.FormatUint(id, 10)+"/edit", url.Values{"title": {ct.title}, "body": {ct.body}})
			if err != nil {
				return
			}
			if resp.StatusCode != 303 {
				continue // deleted meanwhile
			}
			lg.mu.Lock()
			v.acked, v.maybe = ct, nil
			ack("edit")
			lg.mu.Unlock()
		}
	}
	social := func(ctx context.Context) {
		rng := rand.New(rand.NewPCG(uint64(round), 3))
		for i := 0; ctx.Err() == nil && i < 400; i++ {
			id := lg.pick(rng)
			if id == 0 {
				return
			}
			path := "/vlogs/" + strconv.FormatUint(id, 10)
			if i%2 == 0 {
				body := fmt.Sprintf("comment-r%d-%d", round, i)
				resp, err := c.post(ctx, base, path+"/comments", url.Values{"body": {body}})
				if err != nil {
					return
				}
				if resp.StatusCode == 303 {
					lg.mu.Lock()
					lg.vlogs[id].comments = append(lg.vlogs[id].comments, body)
					lg.vlogs[id].unseen++
					ack("comment")
					lg.mu.Unlock()
				}
				continue
			}
			lg.mu.Lock()
			v := lg.vlogs[id]
			want := !v.liked
			v.liking = &want
			lg.mu.Unlock()
			resp, err := c.post(ctx, base, path+"/like", url.Values{"like": {map[bool]string{true: "1", false: "0"}[want]}})
			if err != nil {
				return
			}
			if resp.StatusCode == 303 {
				lg.mu.Lock()
				v.liked, v.liking = want, nil
				ack("like")
				lg.mu.Unlock()
			}
		}
	}
	signer := func(ctx context.Context) {
		for i := 0; ctx.Err() == nil && i < 2; i++ {
			name := fmt.Sprintf("u%d_%d", round, i)
			u := newSiteClient(0) // ctx ends with the round
			if u.fetchToken(ctx, base) != nil {
				return
			}
			lg.mu.Lock()
			lg.signingUp[name] = true
			lg.mu.Unlock()
			resp, err := u.post(ctx, base, "/signup", url.Values{"username": {name}, "password": {"a long enough password"}})
			if err != nil || resp.StatusCode != 303 {
				return
			}
			lg.mu.Lock()
			lg.users = append(lg.users, name)
			ack("signup")
			lg.mu.Unlock()
			select {
			case signedUp <- struct{}{}:
			default:
			}
		}
	}
	uploader := func(ctx context.Context) {
		rng := rand.New(rand.NewPCG(uint64(round), 5))
		for i := 0; ctx.Err() == nil && i < 20; i++ {
			// A distinct blob each time: the clip with a random tail.
			video := append([]byte(nil), clip...)
			tail := make([]byte, 512+rng.IntN(8192))
			for j := range tail {
				tail[j] = byte(rng.Uint32())
			}
			video = append(video, tail...)
			ct := content{fmt.Sprintf("r%d-video-%d", round, i), "", hashOf(video)}
			lg.mu.Lock()
			lg.inFlight[ct.title] = ct
			lg.videos[ct.title] = video
			lg.mu.Unlock()
			resp := c.postVideo(nil, ctx, base, ct.title, video, nil)
			if resp.StatusCode != 303 {
				return
			}
			id, err := strconv.ParseUint(strings.TrimPrefix(resp.Header.Get("Location"), "/vlogs/"), 10, 64)
			if err != nil {
				return
			}
			lg.mu.Lock()
			delete(lg.inFlight, ct.title)
			lg.vlogs[id] = &plVlog{acked: ct, videoNew: video}
			ack("video")
			lg.mu.Unlock()
		}
	}
	return []func(context.Context){creator, editor, social, signer, uploader}
}

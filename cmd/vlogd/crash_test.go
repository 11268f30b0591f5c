package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var crashRounds = flag.Int("crash.rounds", 20, "SIGKILL/restart rounds in TestCrashRecovery")

// ledger is what the clients know for sure: every change the server
// acknowledged, and every create that was sent but not answered.
type ledger struct {
	mu       sync.Mutex
	created  map[uint64]string // acknowledged creates: id → title
	deleted  map[uint64]bool   // acknowledged deletes
	deleting map[uint64]bool   // deletes sent without an answer
	inFlight map[string]bool   // titles sent without an answer: may or may not exist
	bodies   map[string]string // title → body, for every create ever sent
}

var (
	vlogLinkRE = regexp.MustCompile(`<a href="/vlogs/(\d+)">([^<]*)</a>`)
	olderRE    = regexp.MustCompile(`rel="next" href="/\?before=(\d+)"`)
)

// listAll pages through the home page and returns every listed vlog.
func listAll(tb testing.TB, c *siteClient, base string) map[uint64]string {
	tb.Helper()
	all := map[uint64]string{}
	path := "/"
	for {
		code, body := c.get(tb, base+path)
		if code != 200 {
			tb.Fatalf("GET %s = %d", path, code)
		}
		for _, m := range vlogLinkRE.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseUint(m[1], 10, 64)
			if _, dup := all[id]; dup {
				tb.Fatalf("vlog %d listed twice while paging", id)
			}
			all[id] = m[2]
		}
		m := olderRE.FindStringSubmatch(body)
		if m == nil {
			return all
		}
		path = "/?before=" + m[1]
	}
}

// Invariants 1–3 against the real binary: writers create and delete over
// HTTP while the process is SIGKILLed at random moments. After each
// restart, every acknowledged create is there with its exact body, every
// acknowledged delete is gone, anything unacknowledged is either absent or
// whole, IDs are never reused, and recovery gives the same state twice.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills the real binary; skipped in -short")
	}
	dir := t.TempDir()
	lg := &ledger{created: map[uint64]string{}, deleted: map[uint64]bool{}, deleting: map[uint64]bool{}, inFlight: map[string]bool{}, bodies: map[string]string{}}
	var maxID uint64
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))

	var c *siteClient
	for round := range *crashRounds {
		p := MustStartVlogd(t, dir)
		if c == nil {
			// One account for the whole test: its session must survive
			// every SIGKILL, or the probe create in checkRecovered is sent
			// to the sign-in page and fails.
			c = signUp(t, p.URL, "writer")
		}
		maxID = checkRecovered(t, c, p.URL, lg, maxID, round)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				writeUntilCancelled(ctx, c, p.URL, lg, fmt.Sprintf("r%d-w%d", round, w))
			}()
		}
		// Kill at a random moment while the writers are busy.
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		p.kill(t)
		cancel()
		wg.Wait()
	}

	// Recovery is deterministic: two starts with no writes in between
	// list exactly the same vlogs.
	p := MustStartVlogd(t, dir)
	maxID = checkRecovered(t, c, p.URL, lg, maxID, *crashRounds)
	first := listAll(t, c, p.URL)
	p.kill(t)
	p = MustStartVlogd(t, dir)
	second := listAll(t, c, p.URL)
	if len(first) != len(second) {
		t.Fatalf("two recoveries listed %d and %d vlogs", len(first), len(second))
	}
	for id, title := range first {
		if second[id] != title {
			t.Fatalf("vlog %d is %q after one recovery and %q after the next", id, title, second[id])
		}
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if len(lg.created) < *crashRounds {
		t.Fatalf("only %d creates were acknowledged over %d rounds; the test exercised too little", len(lg.created), *crashRounds)
	}
	t.Logf("%d rounds: %d creates and %d deletes acknowledged, %d unanswered", *crashRounds, len(lg.created), len(lg.deleted), len(lg.inFlight))
}

// checkRecovered compares the recovered site with the ledger and returns the
// largest ID seen so far, after checking the next ID is larger still.
func checkRecovered(tb testing.TB, c *siteClient, base string, lg *ledger, maxID uint64, round int) uint64 {
	tb.Helper()
	lg.mu.Lock()
	defer lg.mu.Unlock()
	listed := listAll(tb, c, base)
	for id, title := range lg.created {
		_, present := listed[id]
		if lg.deleting[id] {
			// An unanswered delete happened or did not; either is fine,
			// and from now on it is known which.
			delete(lg.deleting, id)
			lg.deleted[id] = !present
		}
		switch {
		case lg.deleted[id] && present:
			tb.Fatalf("round %d: vlog %d (%s) was deleted (acknowledged) but is back", round, id, title)
		case !lg.deleted[id] && !present:
			tb.Fatalf("round %d: acknowledged vlog %d (%s) is lost", round, id, title)
		case !lg.deleted[id] && listed[id] != title:
			tb.Fatalf("round %d: vlog %d is titled %q, acknowledged as %q (ID reused?)", round, id, listed[id], title)
		}
	}
	for id, title := range listed {
		if known, ok := lg.created[id]; ok {
			if known != title {
				tb.Fatalf("round %d: vlog %d titled %q, want %q", round, id, title, known)
			}
		} else if !lg.inFlight[title] {
			tb.Fatalf("round %d: vlog %d %q was never sent", round, id, title)
		} else {
			// An unanswered create that made it: it must be whole, and it
			// is now known.
			lg.created[id] = title
			delete(lg.inFlight, title)
		}
		code, body := c.get(tb, base+"/vlogs/"+strconv.FormatUint(id, 10))
		if code != 200 || !strings.Contains(body, `<div class="vlog-body">`+lg.bodies[title]+`</div>`) {
			tb.Fatalf("round %d: vlog %d is not whole (status %d)", round, id, code)
		}
		maxID = max(maxID, id)
	}
	for id := range lg.created {
		maxID = max(maxID, id)
	}
	// Invariant 2: the next ID is larger than any ever seen.
	title := fmt.Sprintf("probe-%d", round)
	body := "probe body " + title
	lg.bodies[title] = body
	loc := c.createVlog(tb, base, title, body)
	id, err := strconv.ParseUint(strings.TrimPrefix(loc, "/vlogs/"), 10, 64)
	if err != nil || id <= maxID {
		tb.Fatalf("round %d: new vlog at %q, want an ID above %d", round, loc, maxID)
	}
	lg.created[id] = title
	return id
}

// writeUntilCancelled creates vlogs and deletes some of them, recording in
// lg exactly what the server acknowledged.
func writeUntilCancelled(ctx context.Context, c *siteClient, base string, lg *ledger, prefix string) {
	for i := 0; ctx.Err() == nil; i++ {
		title := fmt.Sprintf("%s-%d", prefix, i)
		body := strings.Repeat(title+" body ", 1+i%5)
		lg.mu.Lock()
		lg.bodies[title] = body
		lg.inFlight[title] = true
		lg.mu.Unlock()
		resp, err := c.post(ctx, base, "/vlogs", url.Values{"title": {title}, "body": {body}})
		if err != nil || resp.StatusCode != 303 {
			return // killed: the create stays in flight
		}
		id, err := strconv.ParseUint(strings.TrimPrefix(resp.Header.Get("Location"), "/vlogs/"), 10, 64)
		if err != nil {
			return
		}
		lg.mu.Lock()
		delete(lg.inFlight, title)
		lg.created[id] = title
		lg.mu.Unlock()
		if i%3 != 0 {
			continue
		}
		lg.mu.Lock()
		lg.deleting[id] = true
		lg.mu.Unlock()
		resp, err = c.post(ctx, base, "/vlogs/"+strconv.FormatUint(id, 10)+"/delete", url.Values{})
		if err != nil || resp.StatusCode != 303 {
			return // an unanswered delete may or may not have happened
		}
		lg.mu.Lock()
		delete(lg.deleting, id)
		lg.deleted[id] = true
		lg.mu.Unlock()
	}
}

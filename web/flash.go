package web

import (
	"sync"
	"time"

	"vlogd/httpraw"
)

// A flash is a one-shot status message ("Your vlog is published.") shown
// on the page a POST redirects to. It is kept here, in memory, keyed by the
// hash of the visitor's session token: never in the URL (where it could be
// forged, bookmarked or shared) and never for an anonymous visitor, so a
// page rendered for every anonymous reader can never carry one.
const (
	flashTTL = 10 * time.Minute
	flashMax = 10000
)

// Where a flash shows: at the top of the page, or beside the part of the
// page the redirect's fragment scrolls to, so the reader sees it.
const (
	flashTop      = ""
	flashLike     = "like"
	flashComments = "comments"
)

// flash is one message and where it goes.
type flash struct {
	Msg  string
	Near string
	at   time.Time
}

// flashes are the messages waiting for their session's next page.
type flashes struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]flash
}

func newFlashes(now func() time.Time) *flashes {
	return &flashes{now: now, m: make(map[string]flash)}
}

// set leaves msg for the session whose token hash is key, replacing any
// message it had not seen yet. Stale messages are swept when the table is
// full; if it is still full the message is dropped (it is a courtesy).
func (f *flashes) set(key, msg, near string) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.m) >= flashMax {
		for k, m := range f.m {
			if now.Sub(m.at) > flashTTL {
				delete(f.m, k)
			}
		}
		if len(f.m) >= flashMax {
			return
		}
	}
	f.m[key] = flash{Msg: msg, Near: near, at: now}
}

// take removes and returns the session's message, if it has a fresh one.
func (f *flashes) take(key string) (flash, bool) {
	f.mu.Lock()
	m, ok := f.m[key]
	delete(f.m, key)
	f.mu.Unlock()
	if !ok || f.now().Sub(m.at) > flashTTL {
		return flash{}, false
	}
	return m, true
}

// setFlash leaves msg for the signed-in visitor v's next page.
func (s *Site) setFlash(v viewer, msg, near string) {
	if v.token != "" {
		s.flash.set(tokenHash(v.token), msg, near)
	}
}

// takeFlash returns the message waiting for the visitor of r, if any.
func (s *Site) takeFlash(r *httpraw.Request, v viewer) *flash {
	if v.token == "" {
		return nil
	}
	if m, ok := s.flash.take(tokenHash(v.token)); ok {
		return &m
	}
	return nil
}

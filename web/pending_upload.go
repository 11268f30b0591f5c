package web

import (
	"sync"
	"time"

	"vlogd/memstore"
)

// Pending uploads: a video that arrived with a create or edit form that was
// refused for another reason (an empty title, say) is kept, so the person
// need not choose and send the file again. The re-rendered form refers to
// it by a random token in a hidden field; the token is good only for the
// user who sent the video, for pendingTTL, and once.
const (
	pendingTTL     = time.Hour
	pendingPerUser = 4
	pendingMax     = 1024
)

// pendingUpload is one kept video. release lets go of the store's hold on
// its blob; until then garbage collection spares it.
type pendingUpload struct {
	user    uint64
	video   *memstore.Video
	name    string // the file's name as the browser sent it, for people
	release func()
	expires time.Time
}

// pendingUploads holds the kept videos, keyed by token.
type pendingUploads struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*pendingUpload
}

func newPendingUploads(now func() time.Time) *pendingUploads {
	return &pendingUploads{now: now, m: make(map[string]*pendingUpload)}
}

// keep holds a video for user and returns its token. The oldest of the
// user's kept videos, and any expired one, make room; when the whole table
// is full the video is not kept and keep returns "" (the form then asks
// for the file again).
func (p *pendingUploads) keep(user uint64, v *memstore.Video, name string, release func()) string {
	token, err := newToken()
	if err != nil {
		release()
		return ""
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var oldest string
	mine := 0
	for t, u := range p.m {
		if now.After(u.expires) {
			p.drop(t)
			continue
		}
		if u.user == user {
			mine++
			if oldest == "" || u.expires.Before(p.m[oldest].expires) {
				oldest = t
			}
		}
	}
	if mine >= pendingPerUser {
		p.drop(oldest)
	}
	if len(p.m) >= pendingMax {
		release()
		return ""
	}
	p.m[token] = &pendingUpload{user: user, video: v, name: name, release: release, expires: now.Add(pendingTTL)}
	return token
}

// take removes and returns the video kept under token for user. A token
// that is unknown, expired or another user's gives nil (and another user's
// stays where it is).
func (p *pendingUploads) take(token string, user uint64) *pendingUpload {
	if token == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.m[token]
	if u == nil || u.user != user {
		return nil
	}
	delete(p.m, token)
	if p.now().After(u.expires) {
		u.release()
		return nil
	}
	return u
}

// drop forgets token's video and releases it; p.mu is held.
func (p *pendingUploads) drop(token string) {
	if u := p.m[token]; u != nil {
		delete(p.m, token)
		u.release()
	}
}

package web

import (
	"sync"
	"time"
)

// throttle counts attempts per key (a username, a client address) in a
// sliding window and says how long a key must wait once it has failed too
// often. It lives in memory only: a restart forgives everyone, which costs
// an attacker a restart they cannot cause.
type throttle struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time // oldest first, all within the window
}

// maxThrottleKeys bounds the memory a flood of distinct keys can take;
// past it, keys whose failures have all expired are swept.
const maxThrottleKeys = 100_000

func newThrottle(limit int, window time.Duration, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, now: now, fails: make(map[string][]time.Time)}
}

// wait returns how long key must wait before its next attempt, 0 if it may
// try now.
func (t *throttle) wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	times := t.recent(key, now)
	if len(times) < t.limit {
		return 0
	}
	// The attempt is allowed again when enough failures have aged out.
	return times[len(times)-t.limit].Add(t.window).Sub(now)
}

// attempt records an attempt by key as it starts, unless key has used up
// its attempts: then it records nothing and returns how long key must
// wait. Checking and counting under one lock means a thousand attempts
// arriving together cannot all slip past the check before the first one
// fails.
func (t *throttle) attempt(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	times := t.recent(key, now)
	if len(times) >= t.limit {
		return times[len(times)-t.limit].Add(t.window).Sub(now)
	}
	t.record(key, now)
	return 0
}

// forgive takes back key's latest attempt (it succeeded).
func (t *throttle) forgive(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if times := t.fails[key]; len(times) > 1 {
		t.fails[key] = times[:len(times)-1]
	} else {
		delete(t.fails, key)
	}
}

// record adds an attempt at now. Callers hold t.mu.
func (t *throttle) record(key string, now time.Time) {
	if len(t.fails) >= maxThrottleKeys {
		for k := range t.fails {
			t.recent(k, now)
		}
	}
	times := append(t.recent(key, now), now)
	if len(times) > t.limit {
		times = times[len(times)-t.limit:]
	}
	t.fails[key] = times
}

// reset forgets key's failures (after a successful sign-in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}

// recent drops key's failures that left the window and returns the rest.
// Callers hold t.mu.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	times := t.fails[key]
	i := 0
	for i < len(times) && now.Sub(times[i]) >= t.window {
		i++
	}
	if i == len(times) {
		delete(t.fails, key)
		return nil
	}
	times = times[i:]
	t.fails[key] = times
	return times
}

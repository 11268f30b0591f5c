// Package testdeadline gives tests waits that end with the test binary's own
// deadline (go test -timeout) instead of a guess about how fast the machine
// is. A test that waits with it fails only when something really hangs, and
// then with a message naming what it waited for, before the test binary's
// timeout panics and hides which test it was.
//
// It is for tests only; nothing in the server imports it.
package testdeadline

import (
	"context"
	"testing"
	"time"
)

// margin is kept back from the binary's deadline so a test that gives up
// still has time to report why and clean up.
const margin = 15 * time.Second

// fallback bounds waits when the binary has no deadline (go test
// -timeout 0): long enough for any honest wait on a loaded machine.
const fallback = 10 * time.Minute

// deadliner is implemented by *testing.T; *testing.B and *testing.F have
// no deadline of their own.
type deadliner interface {
	Deadline() (time.Time, bool)
}

// Time returns when waits in tb should give up: a little before the test
// binary's deadline, or ten minutes from now when there is none.
func Time(tb testing.TB) time.Time {
	if d, ok := tb.(deadliner); ok {
		if dl, ok := d.Deadline(); ok {
			if at := dl.Add(-margin); at.After(time.Now()) {
				return at
			}
			return dl
		}
	}
	return time.Now().Add(fallback)
}

// Remaining returns how long waits in tb may take from now (see Time).
func Remaining(tb testing.TB) time.Duration {
	return time.Until(Time(tb))
}

// Context returns a context that ends at Time(tb) and is cancelled when tb
// finishes.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), Time(tb))
	tb.Cleanup(cancel)
	return ctx
}

// Poll calls cond until it returns true, sleeping a little longer between
// calls each time (1 ms up to 100 ms). If Time(tb) passes first it fails the
// test, naming what it waited for.
func Poll(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	end := Time(tb)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(end) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

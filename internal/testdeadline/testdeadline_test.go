package testdeadline

import (
	"testing"
	"time"
)

func TestTimeIsBeforeTheBinaryDeadline(t *testing.T) {
	dl, ok := t.Deadline()
	got := Time(t)
	if !got.After(time.Now()) {
		t.Fatalf("Time = %v, not in the future", got)
	}
	if ok && got.After(dl) {
		t.Fatalf("Time = %v, after the binary's deadline %v", got, dl)
	}
	if !ok && got.Before(time.Now().Add(fallback-time.Minute)) {
		t.Fatalf("Time = %v without a deadline, want about %v from now", got, fallback)
	}
}

func TestContextEndsAtTime(t *testing.T) {
	ctx := Context(t)
	dl, ok := ctx.Deadline()
	if !ok {
		t.Fatal("Context has no deadline")
	}
	if want := Time(t); dl.After(want.Add(time.Second)) {
		t.Fatalf("Context deadline %v, want about %v", dl, want)
	}
}

func TestPollWaitsForTheCondition(t *testing.T) {
	calls := 0
	Poll(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
}

// fakeTB fails like a test but only records it, and has a deadline already
// close, so Poll's giving up can be observed.
type fakeTB struct {
	testing.TB
	deadline time.Time
	failed   string
}

func (f *fakeTB) Deadline() (time.Time, bool) { return f.deadline, true }
func (f *fakeTB) Helper()                     {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

func TestPollGivesUpAtTheDeadline(t *testing.T) {
	f := &fakeTB{TB: t, deadline: time.Now().Add(50 * time.Millisecond)}
	defer func() {
		if r := recover(); r != f {
			t.Fatalf("Poll did not give up through Fatalf (recovered %v)", r)
		}
		if f.failed == "" {
			t.Fatal("Poll gave up without a message")
		}
	}()
	Poll(f, "something that never happens", func() bool { return false })
	t.Fatal("Poll returned although the condition never held")
}

//go:build !linux

package loadcompare

import (
	"errors"
	"syscall"
	"time"
)

// Server CPU time and pinning need Linux's /proc and sched_setaffinity.

func procCPUTime(pid int) (time.Duration, error) {
	return 0, errors.New("loadcompare: server CPU time needs Linux /proc")
}

func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func canPin() bool { return false }

func pinSelf(cpu int) (func(), error) { return nil, errors.New("loadcompare: pinning needs Linux") }

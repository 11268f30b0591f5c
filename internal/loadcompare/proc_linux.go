package loadcompare

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat; Linux
// fixes it at 100 for every architecture vlogd runs on.
const clockTicks = 100

// procCPUTime returns the user+system CPU time of process pid (all its
// threads, including ones that have exited), from fields 14 and 15 of
// /proc/<pid>/stat (proc(5)).
func procCPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("loadcompare: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// count fields after the last ')'. Field 3 is the first after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("loadcompare: malformed /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("loadcompare: malformed /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(string(f[14-3]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[15-3]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("loadcompare: malformed /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// selfCPUTime returns this process's user+system CPU time.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// canPin reports whether this process may run on CPUs 0 and 1 (and there
// are at least two), so that client and server can each have one.
func canPin() bool {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return false
	}
	return set.IsSet(0) && set.IsSet(1)
}

// pinSelf moves every thread of this process to CPU cpu and returns a
// function that gives them back their previous CPUs. Threads created later
// inherit the CPU of the thread that creates them.
func pinSelf(cpu int) (restore func(), err error) {
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, err
	}
	one.Set(cpu)
	if err := setAllThreads(&one); err != nil {
		setAllThreads(&old)
		return nil, err
	}
	return func() { setAllThreads(&old) }, nil
}

func setAllThreads(set *unix.CPUSet) error {
	// Twice: a thread started while the first pass ran may have been
	// created by a thread not yet moved.
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("loadcompare: sched_setaffinity %d: %w", tid, err)
			}
		}
	}
	return nil
}

package powerfs

import (
	"path"
	"syscall"
)

// Op is one changing operation on the file system, as a trap sees it.
type Op struct {
	// Kind is "create", "mkdir", "write", "setattr" (truncate, chmod,
	// utimes), "fsync" (also fdatasync), "unlink", "rmdir" or "rename".
	Kind string
	// Path is the name the operation changes, relative to the mount
	// (for a rename, the new name; for fsync, the file or directory).
	Path string
}

// SetTrap arms a trap: the first changing operation for which match
// returns true, and every one after it, stops before it takes effect, as if
// the power went out at that instant; reads still work. The operations
// wait until Cut or PowerLoss, which fail them with EIO. Tripped is closed when the trap fires. match runs under
// the file system's lock: it must be quick and must not use the mount.
// A trap lasts until the next PowerLoss.
func (f *FS) SetTrap(match func(Op) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trap = match
	f.tripped = make(chan struct{})
}

// Tripped is closed when the armed trap fires (nil when none is armed).
func (f *FS) Tripped() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tripped
}

// gate is called at the start of every changing operation, without the
// lock held. It returns 0 to go on, or an errno once the power is "out".
func (f *FS) gate(kind, p string) syscall.Errno {
	f.mu.Lock()
	if f.frozen == nil && f.trap != nil && f.trap(Op{Kind: kind, Path: p}) {
		f.frozen = make(chan struct{})
		close(f.tripped)
		f.trap = nil
	}
	frozen := f.frozen
	f.mu.Unlock()
	if frozen != nil {
		<-frozen
		return syscall.EIO
	}
	return 0
}

// Cut is the instant the power goes out: every changing operation stopped
// by a trap, and every one after, fails with EIO and takes no effect;
// reads still work. A process blocked in a trapped operation cannot die
// until that operation is answered, so a test sends SIGKILL, calls Cut,
// then waits for the process to exit and calls PowerLoss (which cuts too,
// if it has not been done).
func (f *FS) Cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cut {
		return
	}
	if f.frozen == nil {
		f.frozen = make(chan struct{})
	}
	close(f.frozen)
	f.cut, f.trap = true, nil
}

// reset ends the outage after the remount.
func (f *FS) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen, f.tripped, f.cut = nil, nil, false
}

// nodePath is the path of n's name relative to the mount, plus name.
func (n *node) nodePath(name string) string {
	return path.Join(n.Path(nil), name)
}

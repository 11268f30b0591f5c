package powerfs

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ErrUnavailable is returned by Mount when FUSE cannot be used here (no
// /dev/fuse, no permission to mount); tests skip on it, naming the cause.
var ErrUnavailable = errors.New("powerfs: FUSE is not usable")

// FS is a mounted power-loss file system. Its methods are safe for
// concurrent use with the processes using the mount.
type FS struct {
	backing, mountpoint string

	mu       sync.Mutex // guards everything below and every inode
	root     *inode
	nextIno  uint64
	used     int64 // volatile bytes of files with at least one name
	capacity int64 // 0: unlimited
	syncs    int   // fsyncs served, files and directories
	server   *fuse.Server

	trap    func(Op) bool // armed trap, or nil (trap.go)
	tripped chan struct{} // closed when the trap fires
	frozen  chan struct{} // non-nil once a trap fired; closed by Cut
	cut     bool          // the power is out until the remount
}

// Mount reads the tree under backing as the durable state and mounts it at
// mountpoint (an existing, empty directory). Errors wrapping ErrUnavailable
// mean FUSE cannot be used on this machine.
func Mount(backing, mountpoint string) (*FS, error) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	f := &FS{backing: backing, mountpoint: mountpoint, nextIno: 1}
	root, err := f.load(backing)
	if err != nil {
		return nil, fmt.Errorf("powerfs: load %s: %w", backing, err)
	}
	f.root = root
	if err := f.mount(); err != nil {
		return nil, err
	}
	return f, nil
}

// mount serves the current state at the mountpoint.
func (f *FS) mount() error {
	// The kernel may cache names and attributes: within a mount every
	// change goes through it, so its caches stay true, and a power loss
	// remounts, which drops them all.
	cache := time.Second
	opts := &fs.Options{
		EntryTimeout: &cache, AttrTimeout: &cache, NegativeTimeout: &cache,
		MountOptions: fuse.MountOptions{
			FsName: "powerfs", Name: "powerfs",
			// Root in a container may mount without fusermount3.
			DirectMount:   true,
			DisableXAttrs: true,
			MaxWrite:      1 << 20,
		},
	}
	server, err := fs.Mount(f.mountpoint, &node{pfs: f, in: f.root}, opts)
	if err != nil {
		return fmt.Errorf("%w: mount %s: %w", ErrUnavailable, f.mountpoint, err)
	}
	f.mu.Lock()
	f.server = server
	f.mu.Unlock()
	return nil
}

// Mountpoint returns where the file system is mounted.
func (f *FS) Mountpoint() string { return f.mountpoint }

// unmount detaches the file system, retrying while the kernel still
// reports it busy (a killed process's files close asynchronously).
func (f *FS) unmount() error {
	var err error
	for i := 0; i < 50; i++ {
		if err = f.server.Unmount(); err == nil {
			f.server.Wait()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("powerfs: unmount %s: %w", f.mountpoint, err)
}

// PowerLoss simulates a power failure: it unmounts, drops everything not
// durable (keeping part of it as loss says), writes the surviving state to
// the backing directory and mounts again. Processes using the mount must
// have exited: their open files would keep it busy.
func (f *FS) PowerLoss(loss Loss) (Report, error) {
	f.Cut()
	if err := f.unmount(); err != nil {
		return Report{}, err
	}
	f.mu.Lock()
	rep := crash(f.root, loss)
	f.used = usedBytes(f.root)
	err := f.store(f.backing)
	f.mu.Unlock()
	if err != nil {
		return rep, fmt.Errorf("powerfs: store %s: %w", f.backing, err)
	}
	f.reset()
	return rep, f.mount()
}

// Unmount detaches the file system and writes its durable state to the
// backing directory: a power loss with nothing mounted afterwards (nothing
// in this model flushes on unmount).
func (f *FS) Unmount() error {
	f.Cut()
	if err := f.unmount(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	crash(f.root, Loss{})
	f.used = usedBytes(f.root)
	f.server = nil
	if err := f.store(f.backing); err != nil {
		return fmt.Errorf("powerfs: store %s: %w", f.backing, err)
	}
	return nil
}

// SetCapacity limits the bytes the files may hold in total; writes past it
// fail with ENOSPC. 0 removes the limit.
func (f *FS) SetCapacity(bytes int64) {
	f.mu.Lock()
	f.capacity = bytes
	f.mu.Unlock()
}

// Used returns the bytes the files hold now (volatile).
func (f *FS) Used() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}

// Syncs returns how many fsyncs (of files and directories) were served.
func (f *FS) Syncs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

// usedBytes adds up the sizes of the files reachable from root.
func usedBytes(root *inode) int64 {
	var n int64
	seen := map[*inode]bool{}
	var walk func(in *inode)
	walk = func(in *inode) {
		if seen[in] {
			return
		}
		seen[in] = true
		n += int64(len(in.data))
		for _, c := range in.entries {
			walk(c)
		}
	}
	walk(root)
	return n
}

// room returns how many of want more bytes fit, given the capacity.
func (f *FS) room(want int64) int64 {
	if f.capacity == 0 {
		return want
	}
	return max(0, min(want, f.capacity-f.used))
}

func (f *FS) newIno() uint64 {
	f.nextIno++
	return f.nextIno
}

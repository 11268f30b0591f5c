package powerfs

import (
	"maps"
	"math/rand/v2"
	"syscall"
	"time"
)

// inode is one file or directory with its volatile and durable states.
type inode struct {
	ino   uint64
	dir   bool
	mode  uint32 // permission bits only
	mtime time.Time
	links int // volatile names pointing here

	// Files: data is the volatile content (the page cache), durable what
	// the disk holds, pending the changes from durable to data in order.
	data    []byte
	durable []byte
	pending []fileOp

	// Directories: entries is the volatile listing, durEntries the durable
	// one, dirOps the changes from durEntries to entries in order.
	entries    map[string]*inode
	durEntries map[string]*inode
	dirOps     []dirOp
}

// fileOp is one pending change of a file's bytes: a write of data at off,
// or (data nil) a truncate to size.
type fileOp struct {
	off  int64
	data []byte
	size int64
}

// dirOp is one pending change of a directory: names set (to an inode) or
// removed (nil), together. A rename within one directory is one dirOp.
type dirOp map[string]*inode

func newFile(ino uint64, mode uint32) *inode {
	return &inode{ino: ino, mode: mode & 0o7777, mtime: time.Now()}
}

func newDir(ino uint64, mode uint32) *inode {
	return &inode{ino: ino, dir: true, mode: mode & 0o7777, mtime: time.Now(),
		entries: map[string]*inode{}, durEntries: map[string]*inode{}}
}

// write applies a write to the volatile bytes and remembers it as pending.
func (in *inode) write(off int64, p []byte) {
	in.data = writeAt(in.data, off, p)
	in.pending = append(in.pending, fileOp{off: off, data: append([]byte(nil), p...)})
	in.mtime = time.Now()
}

// truncate sets the volatile size and remembers it as pending.
func (in *inode) truncate(size int64) {
	in.data = truncateTo(in.data, size)
	in.pending = append(in.pending, fileOp{size: size})
	in.mtime = time.Now()
}

// syncData makes the file's bytes durable (rule 1).
func (in *inode) syncData() {
	for _, op := range in.pending {
		in.durable = op.apply(in.durable)
	}
	in.pending = nil
}

// setName changes a name in the volatile listing and remembers it.
func (in *inode) setName(name string, target *inode) {
	in.dirOps = append(in.dirOps, dirOp{name: target})
	in.rename(dirOp{name: target})
}

// rename applies op to the volatile listing, keeping the link counts.
func (in *inode) rename(op dirOp) {
	for name, target := range op {
		if old := in.entries[name]; old != nil {
			old.links--
		}
		if target == nil {
			delete(in.entries, name)
			continue
		}
		target.links++
		in.entries[name] = target
	}
	in.mtime = time.Now()
}

// syncNames makes the directory's names durable (rule 2).
func (in *inode) syncNames() {
	in.durEntries = maps.Clone(in.entries)
	in.dirOps = nil
}

func (op fileOp) apply(b []byte) []byte {
	if op.data == nil {
		return truncateTo(b, op.size)
	}
	return writeAt(b, op.off, op.data)
}

// writeAt writes p at off in b, growing b with zeros as needed.
func writeAt(b []byte, off int64, p []byte) []byte {
	end := off + int64(len(p))
	if end > int64(len(b)) {
		b = truncateTo(b, end)
	}
	copy(b[off:], p)
	return b
}

func truncateTo(b []byte, size int64) []byte {
	if size <= int64(len(b)) {
		// Clear the cut-off bytes: a later growth must read zeros.
		clear(b[size:])
		return b[:size]
	}
	if size <= int64(cap(b)) {
		old := len(b)
		b = b[:size]
		clear(b[old:])
		return b
	}
	nb := make([]byte, size, size+size/4)
	copy(nb, b)
	return nb
}

// Loss says how much of the pending state a power loss keeps besides the
// durable state. The zero value keeps nothing that was not made durable.
type Loss struct {
	// Partial keeps a random part of the pending state (see the package
	// doc).
	Partial bool
	// Torn lands the last pending write of each file in part.
	Torn bool
	// Rand chooses what survives; nil means a randomly seeded source.
	Rand *rand.Rand
}

// Report says what a power loss dropped.
type Report struct {
	DroppedWrites int // pending file writes and truncates lost (whole or in part)
	DroppedNames  int // pending name changes lost
	Files, Dirs   int // what remains
}

// crash computes the state after a power loss from root and makes it both
// the volatile and the durable state of every surviving inode. Inodes that
// are not reachable through surviving names are dropped.
func crash(root *inode, loss Loss) Report {
	rng := loss.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	var rep Report
	seen := map[*inode]bool{}
	var visit func(in *inode)
	visit = func(in *inode) {
		if seen[in] {
			return
		}
		seen[in] = true
		if !in.dir {
			rep.Files++
			in.data = crashFile(in, loss, rng, &rep)
			in.durable = append([]byte(nil), in.data...)
			in.pending = nil
			in.links = 0
			return
		}
		rep.Dirs++
		kept := maps.Clone(in.durEntries)
		n := 0 // pending name changes that land
		if loss.Partial && len(in.dirOps) > 0 {
			n = rng.IntN(len(in.dirOps) + 1)
		}
		for _, op := range in.dirOps[:n] {
			for name, target := range op {
				if target == nil {
					delete(kept, name)
				} else {
					kept[name] = target
				}
			}
		}
		rep.DroppedNames += len(in.dirOps) - n
		in.entries, in.durEntries, in.dirOps = kept, maps.Clone(kept), nil
		in.links = 0
		for _, child := range kept {
			visit(child)
		}
	}
	visit(root)
	var count func(in *inode)
	counted := map[*inode]bool{}
	count = func(in *inode) {
		if counted[in] {
			return
		}
		counted[in] = true
		for _, child := range in.entries {
			child.links++
			count(child)
		}
	}
	count(root)
	root.links = 1
	return rep
}

// crashFile returns the bytes a file holds after a power loss.
func crashFile(in *inode, loss Loss, rng *rand.Rand, rep *Report) []byte {
	b := append([]byte(nil), in.durable...)
	for i, op := range in.pending {
		last := i == len(in.pending)-1
		switch {
		case last && loss.Torn && op.data != nil:
			keep := rng.IntN(len(op.data)+1) / 512 * 512
			if keep < len(op.data) {
				rep.DroppedWrites++
			}
			if keep > 0 {
				b = writeAt(b, op.off, op.data[:keep])
			}
		case loss.Partial && rng.IntN(2) == 0:
			b = op.apply(b)
		default:
			rep.DroppedWrites++
		}
	}
	return b
}

// errnoFor returns the errno for a name that exists with the wrong type.
func errnoFor(wantDir bool) syscall.Errno {
	if wantDir {
		return syscall.ENOTDIR
	}
	return syscall.EISDIR
}

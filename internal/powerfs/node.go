package powerfs

import (
	"context"
	"slices"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// node is the FUSE face of an inode. Every operation takes the file
// system's one lock: simple, and fast enough for tests.
type node struct {
	fs.Inode
	pfs *FS
	in  *inode
}

var (
	_ fs.NodeLookuper  = (*node)(nil)
	_ fs.NodeGetattrer = (*node)(nil)
	_ fs.NodeSetattrer = (*node)(nil)
	_ fs.NodeReaddirer = (*node)(nil)
	_ fs.NodeCreater   = (*node)(nil)
	_ fs.NodeMkdirer   = (*node)(nil)
	_ fs.NodeUnlinker  = (*node)(nil)
	_ fs.NodeRmdirer   = (*node)(nil)
	_ fs.NodeRenamer   = (*node)(nil)
	_ fs.NodeOpener    = (*node)(nil)
	_ fs.NodeReader    = (*node)(nil)
	_ fs.NodeWriter    = (*node)(nil)
	_ fs.NodeFsyncer   = (*node)(nil)
	_ fs.NodeFlusher   = (*node)(nil)
	_ fs.NodeStatfser  = (*node)(nil)
)

func (n *node) child(ctx context.Context, in *inode, out *fuse.EntryOut) *fs.Inode {
	n.pfs.fillAttr(in, &out.Attr)
	mode := uint32(syscall.S_IFREG)
	if in.dir {
		mode = syscall.S_IFDIR
	}
	return n.NewInode(ctx, &node{pfs: n.pfs, in: in}, fs.StableAttr{Mode: mode, Ino: in.ino})
}

func (f *FS) fillAttr(in *inode, out *fuse.Attr) {
	out.Ino = in.ino
	out.Size = uint64(len(in.data))
	out.Blocks = (out.Size + 511) / 512
	out.Blksize = 4096
	out.Nlink = uint32(max(in.links, 1))
	out.Mode = in.mode | syscall.S_IFREG
	if in.dir {
		out.Mode = in.mode | syscall.S_IFDIR
		out.Nlink = 2
	}
	out.SetTimes(nil, &in.mtime, &in.mtime)
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	n.pfs.mu.Lock()
	defer n.pfs.mu.Unlock()
	c := n.in.entries[name]
	if c == nil {
		return nil, syscall.ENOENT
	}
	return n.child(ctx, c, out), 0
}

func (n *node) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.pfs.mu.Lock()
	defer n.pfs.mu.Unlock()
	n.pfs.fillAttr(n.in, &out.Attr)
	return 0
}

func (n *node) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := n.pfs.gate("setattr", n.nodePath("")); e != 0 {
		return e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	if size, ok := in.GetSize(); ok {
		if n.in.dir {
			return syscall.EISDIR
		}
		grow := int64(size) - int64(len(n.in.data))
		if grow > 0 && f.room(grow) < grow {
			return syscall.ENOSPC
		}
		n.in.truncate(int64(size))
		if n.in.links > 0 {
			f.used += grow
		}
	}
	if mode, ok := in.GetMode(); ok {
		n.in.mode = mode & 0o7777
	}
	if mtime, ok := in.GetMTime(); ok {
		n.in.mtime = mtime
	}
	f.fillAttr(n.in, &out.Attr)
	return 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	n.pfs.mu.Lock()
	defer n.pfs.mu.Unlock()
	names := make([]string, 0, len(n.in.entries))
	for name := range n.in.entries {
		names = append(names, name)
	}
	slices.Sort(names)
	list := make([]fuse.DirEntry, 0, len(names))
	for _, name := range names {
		c := n.in.entries[name]
		mode := uint32(syscall.S_IFREG)
		if c.dir {
			mode = syscall.S_IFDIR
		}
		list = append(list, fuse.DirEntry{Name: name, Ino: c.ino, Mode: mode})
	}
	return fs.NewListDirStream(list), 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if e := n.pfs.gate("create", n.nodePath(name)); e != 0 {
		return nil, nil, 0, e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.in.entries[name] != nil {
		return nil, nil, 0, syscall.EEXIST
	}
	c := newFile(f.newIno(), mode)
	n.in.setName(name, c)
	return n.child(ctx, c, out), nil, 0, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := n.pfs.gate("mkdir", n.nodePath(name)); e != 0 {
		return nil, e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.in.entries[name] != nil {
		return nil, syscall.EEXIST
	}
	c := newDir(f.newIno(), mode)
	n.in.setName(name, c)
	return n.child(ctx, c, out), 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	if e := n.pfs.gate("unlink", n.nodePath(name)); e != 0 {
		return e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	c := n.in.entries[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case c.dir:
		return syscall.EISDIR
	}
	n.in.setName(name, nil)
	if c.links == 0 {
		f.used -= int64(len(c.data))
	}
	return 0
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	if e := n.pfs.gate("rmdir", n.nodePath(name)); e != 0 {
		return e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	c := n.in.entries[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case !c.dir:
		return syscall.ENOTDIR
	case len(c.entries) > 0:
		return syscall.ENOTEMPTY
	}
	n.in.setName(name, nil)
	return 0
}

// renameNoReplace is RENAME_NOREPLACE from renameat2(2).
const renameNoReplace = 1

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	f := n.pfs
	dst, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	if flags&^renameNoReplace != 0 {
		return syscall.EINVAL // RENAME_EXCHANGE and RENAME_WHITEOUT are not modelled
	}
	if e := f.gate("rename", dst.nodePath(newName)); e != 0 {
		return e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	src := n.in.entries[name]
	if src == nil {
		return syscall.ENOENT
	}
	old := dst.in.entries[newName]
	switch {
	case old == src:
		return 0
	case old != nil && flags&renameNoReplace != 0:
		return syscall.EEXIST
	case old != nil && old.dir != src.dir:
		return errnoFor(old.dir)
	case old != nil && old.dir && len(old.entries) > 0:
		return syscall.ENOTEMPTY
	}
	if old != nil && !old.dir && old.links == 1 {
		f.used -= int64(len(old.data))
	}
	if dst.in == n.in {
		// One directory: the rename is one change and lands whole.
		op := dirOp{name: nil, newName: src}
		n.in.dirOps = append(n.in.dirOps, op)
		n.in.rename(op)
		return 0
	}
	// Add before remove, so the link count never passes through zero.
	dst.in.setName(newName, src)
	n.in.setName(name, nil)
	return 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return nil, 0, 0
}

func (n *node) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n.pfs.mu.Lock()
	defer n.pfs.mu.Unlock()
	data := n.in.data
	if off >= int64(len(data)) {
		return fuse.ReadResultData(nil), 0
	}
	k := copy(dest, data[off:])
	return fuse.ReadResultData(dest[:k]), 0
}

func (n *node) Write(ctx context.Context, fh fs.FileHandle, p []byte, off int64) (uint32, syscall.Errno) {
	if e := n.pfs.gate("write", n.nodePath("")); e != 0 {
		return 0, e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	grow := off + int64(len(p)) - int64(len(n.in.data))
	if grow > 0 {
		fits := f.room(grow)
		if fits < grow {
			// Write what fits, as a full disk does; nothing fits: ENOSPC.
			p = p[:int64(len(p))-(grow-fits)]
			grow = fits
			if len(p) == 0 {
				return 0, syscall.ENOSPC
			}
		}
		if n.in.links > 0 {
			f.used += grow
		}
	}
	n.in.write(off, p)
	return uint32(len(p)), 0
}

// Fsync makes a file's bytes or a directory's names durable (rules 1, 2).
func (n *node) Fsync(ctx context.Context, fh fs.FileHandle, flags uint32) syscall.Errno {
	if e := n.pfs.gate("fsync", n.nodePath("")); e != 0 {
		return e
	}
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	if n.in.dir {
		n.in.syncNames()
	} else {
		n.in.syncData()
	}
	return 0
}

// Flush (close) makes nothing durable.
func (n *node) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno { return 0 }

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	f := n.pfs
	f.mu.Lock()
	defer f.mu.Unlock()
	const bsize = 4096
	total := f.capacity
	if total == 0 {
		total = 1 << 40
	}
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = uint64(total / bsize)
	out.Bfree = uint64(max(0, total-f.used) / bsize)
	out.Bavail = out.Bfree
	out.Files = 1 << 20
	out.Ffree = 1 << 20
	out.NameLen = 255
	return 0
}

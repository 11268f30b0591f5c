package memstore

import (
	"errors"
	"fmt"
	"syscall"

	"vlogd/wal"
)

// DiskSpace is the room on the file system holding the data directory.
type DiskSpace struct {
	Free  uint64 // bytes an unprivileged writer may still use
	Total uint64 // bytes of the file system
}

// DiskSpace reports the free and total bytes of the data directory's file
// system (statfs). Errors are statfs's, wrapped: a vanished data directory
// gives one wrapping fs.ErrNotExist.
func (s *Store) DiskSpace() (DiskSpace, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.log.Dir(), &st); err != nil {
		return DiskSpace{}, fmt.Errorf("memstore: statfs %s: %w", s.log.Dir(), err)
	}
	bs := uint64(st.Bsize)
	return DiskSpace{Free: st.Bavail * bs, Total: st.Blocks * bs}, nil
}

// isNoSpace reports whether err means the disk or the quota is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, wal.ErrNoSpace)
}

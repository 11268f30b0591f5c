//go:build unix

package backup

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockDest takes an exclusive flock on DEST/LOCK so that two backups never
// append to one DEST. It is DEST's lock, never the data directory's: the
// server's lock is not ours to take.
func lockDest(dest string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dest, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}

// fdatasync flushes f's data to stable storage.
func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}

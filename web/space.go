package web

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"vlogd/memstore"
)

// DefaultLowSpace is the free space below which /healthz and /metrics warn
// when Options.LowSpace is zero.
const DefaultLowSpace = 1 << 30

// storageState is what /healthz and /metrics say about the data directory.
type storageState struct {
	space memstore.DiskSpace
	err   error // statfs failed: the directory vanished or cannot be read
	low   bool  // free space below the warning threshold
}

func (s *Site) storage() storageState {
	sp, err := s.store.DiskSpace()
	return storageState{space: sp, err: err, low: err == nil && sp.Free < uint64(s.lowSpace)}
}

// unhealthyReason says, without paths, why the store refuses writes.
func unhealthyReason(err error) string {
	switch {
	case errors.Is(err, memstore.ErrNoSpace):
		return "the server's storage is full; writes resume once space is freed"
	case errors.Is(err, syscall.EROFS):
		return "the data directory is read-only; writes are refused until restart"
	case errors.Is(err, fs.ErrNotExist):
		return "the data directory has vanished; writes are refused until restart"
	default:
		return "the write-ahead log failed; writes are refused until restart"
	}
}

// spaceLine is /healthz's line about free space.
func (st storageState) line(threshold int64) string {
	if st.err != nil {
		return "storage: unknown (the data directory cannot be examined)\n"
	}
	out := fmt.Sprintf("storage: %d bytes free of %d (warning below %d)\n", st.space.Free, st.space.Total, threshold)
	if st.low {
		out += "warning: storage is low; uploads and writes will fail when it runs out\n"
	}
	return out
}

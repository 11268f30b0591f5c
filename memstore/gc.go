package memstore

import (
	"runtime/debug"
	"sync"
)

// loadGC turns the garbage collector off while snapshots load. Loading
// allocates the whole state and little garbage (chunk buffers are reused),
// so collections during it would only trace a heap that is all live, over
// and over: a quarter of recovery's time before. It is process-wide, so
// overlapping loads share one pause, and the setting before the first is
// restored when the last ends.
var loadGC struct {
	sync.Mutex
	loads int
	saved int
}

// pauseGC turns collection off until the returned func is called.
func pauseGC() (resume func()) {
	loadGC.Lock()
	if loadGC.loads == 0 {
		loadGC.saved = debug.SetGCPercent(-1)
	}
	loadGC.loads++
	loadGC.Unlock()
	return func() {
		loadGC.Lock()
		loadGC.loads--
		if loadGC.loads == 0 {
			debug.SetGCPercent(loadGC.saved)
		}
		loadGC.Unlock()
	}
}

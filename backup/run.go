package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run copies the data directory to DEST until ctx is done. It watches
// DATA/wal, DATA/snap, DATA/blobs and the blob shard directories with
// fsnotify and rescans every Options.Rescan regardless, since events are
// only hints: inotify coalesces them and may overflow. The log (with the
// blobs it may name) and the snapshots are copied by two goroutines, so a
// large snapshot never holds up the log.
//
// It returns nil once ctx is done, after a last log pass so that what the
// server acknowledged before it stopped is copied too. It returns early
// with an error wrapping ErrDiverged when the data directory no longer
// continues DEST. Other failures (an unreadable file, a full disk, damage
// in the data directory) are logged once each and retried at the next event
// or rescan; they never stop the server, which Run never blocks.
func (b *Backup) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("backup: watch %s: %w", b.src, err)
	}
	defer w.Close()
	b.watch(w)

	logKick, snapKick := make(chan struct{}, 1), make(chan struct{}, 1)
	kick(logKick)
	kick(snapKick)
	loopCtx, stop := context.WithCancel(context.Background())
	fatal := make(chan error, 2)
	var wg sync.WaitGroup
	for _, l := range []struct {
		name string
		kick chan struct{}
		pass func() error
	}{{"log", logKick, b.passLog}, {"snapshots", snapKick, b.passSnapshots}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.loop(loopCtx, l.name, l.kick, l.pass, fatal)
		}()
	}
	defer func() {
		stop()
		wg.Wait()
	}()

	tick := time.NewTicker(b.opts.Rescan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			if err := b.passLog(); err != nil {
				return err
			}
			return nil
		case err := <-fatal:
			return err
		case ev, ok := <-w.Events:
			if !ok {
				return fmt.Errorf("backup: watcher closed")
			}
			if strings.HasSuffix(ev.Name, tmpExt) {
				continue // a file being written; its rename is the event that counts
			}
			switch dir := filepath.Dir(ev.Name); {
			case dir == b.srcSnap():
				kick(snapKick)
			case dir == b.srcWal(), dir == b.srcBlobs(), filepath.Dir(dir) == b.srcBlobs():
				kick(logKick)
			}
			if ev.Has(fsnotify.Create) {
				b.watch(w) // a new wal/, snap/, blobs/ or shard directory
			}
		case err, ok := <-w.Errors:
			if !ok {
				return fmt.Errorf("backup: watcher closed")
			}
			// An overflow means lost events: rescan now.
			b.logger.Warn("backup: watch error; rescanning", "path", b.src, "err", err)
			kick(logKick)
			kick(snapKick)
		case <-tick.C:
			b.watch(w)
			kick(logKick)
			kick(snapKick)
		}
	}
}

// kick asks a loop for a pass without waiting: one pending request stands
// for any number of events.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// loop runs pass each time it is kicked until ctx is done. A failure is
// logged when it first appears and when it clears; ErrDiverged stops it.
func (b *Backup) loop(ctx context.Context, name string, kicks <-chan struct{}, pass func() error, fatal chan<- error) {
	var fault string
	for {
		select {
		case <-ctx.Done():
			return
		case <-kicks:
		}
		err := pass()
		switch {
		case errors.Is(err, ErrDiverged):
			fatal <- err
			return
		case err != nil && err.Error() != fault:
			fault = err.Error()
			b.logger.Error("backup: pass failed; retrying at the next change or rescan", "pass", name, "err", err)
		case err == nil && fault != "":
			fault = ""
			b.logger.Info("backup: pass succeeded again", "pass", name)
		}
	}
}

// watch adds a watch on every directory of the data directory the backup
// reads that exists and is not watched yet: the directory itself (to see
// wal/, snap/ and blobs/ appear), those three, and every blob shard.
func (b *Backup) watch(w *fsnotify.Watcher) {
	want := []string{b.src, b.srcWal(), b.srcSnap(), b.srcBlobs()}
	if shards, err := os.ReadDir(b.srcBlobs()); err == nil {
		for _, s := range shards {
			if s.IsDir() && isShard(s.Name()) {
				want = append(want, filepath.Join(b.srcBlobs(), s.Name()))
			}
		}
	}
	have := w.WatchList()
	for _, dir := range want {
		if slices.Contains(have, dir) {
			continue
		}
		if err := w.Add(dir); err != nil && !notYet(err) {
			b.logger.Warn("backup: cannot watch; relying on rescans", "path", dir, "err", err)
		}
	}
}

package memstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"vlogd/media"
	"vlogd/wal"
)

// Options tune a Store. The zero value is right for production.
type Options struct {
	// Logger receives recovery progress and snapshot reports; nil discards.
	Logger *slog.Logger
	// SnapshotBytes is how much log may accumulate after the newest
	// snapshot before the store writes a new one and drops the covered
	// segments; 0 means 32 MiB.
	SnapshotBytes int64
	// SegmentSize is passed to the log; 0 means its default.
	SegmentSize int64
	// Now is the clock stamped on every change; nil means time.Now.
	Now func() time.Time
	// NoSync skips fsync in the log and the media store. Tests only: it
	// voids invariant 1.
	NoSync bool
	// BlobGrace is how old an unreferenced media blob must be before
	// garbage collection removes it; 0 means an hour.
	BlobGrace time.Duration
	// NoPosters turns off poster extraction even when ffmpeg is installed.
	NoPosters bool
	// PosterRetry is the first wait before a poster that failed for lack
	// of space is tried again (doubling up to 30 minutes); 0 means a
	// minute.
	PosterRetry time.Duration
	// NoTranscode turns off transcoding even when ffmpeg is installed:
	// only MP4 and WebM are accepted, and played as uploaded.
	NoTranscode bool
	// TranscodeJobs is how many videos are transcoded at once; 0 means
	// one per two CPUs (at least one).
	TranscodeJobs int
	// TranscodeTimeout bounds one video's job; 0 means 10 minutes plus
	// 20 times the video's duration.
	TranscodeTimeout time.Duration
	// ObserveCommit, when set, is told the size and fsync time of every
	// group commit of the log (for metrics). It runs on the log's writer
	// goroutine and must be quick.
	ObserveCommit func(records int, fsync time.Duration)
	// ObserveSnapshot, when set, is told how long each snapshot took.
	ObserveSnapshot func(time.Duration)
	// WrapLogFile is passed to the log as wal.Options.WrapFile: tests use
	// it to inject write and fsync failures. Never set in production.
	WrapLogFile func(path string, f wal.File) wal.File
}

// Recovery describes what Open found on disk.
type Recovery struct {
	Vlogs       int           // live vlogs after recovery
	SnapshotSeq uint64        // sequence number the snapshot covered (0: none)
	Replayed    int           // log records applied after the snapshot
	LastSeq     uint64        // last sequence number applied
	Took        time.Duration // time spent loading and replaying
}

// Store is the in-memory state of the site, made durable by a write-ahead
// log. All methods are safe for concurrent use.
type Store struct {
	log       *wal.Log
	logger    *slog.Logger
	now       func() time.Time
	snapBytes int64
	recovery  Recovery

	mu  sync.RWMutex // guards st and seq; held for reads and for apply, never across I/O
	st  *state
	seq uint64        // last applied sequence number
	gen atomic.Uint64 // see Generation; bumped under mu by applied

	indexReady chan struct{} // closed once the search index is built (search_build.go)

	snapMu   sync.Mutex  // one snapshot at a time
	snapping atomic.Bool // a background snapshot is scheduled or running
	bg       sync.WaitGroup
	bgCtx    context.Context // cancelled by Close: stops background work
	bgStop   context.CancelFunc

	media           *media.Store
	blobGrace       time.Duration
	noPosters       bool
	posterRetry     time.Duration
	observeSnapshot func(time.Duration)
	pendingMu       sync.Mutex
	pending         map[string]int // blobs held for records not yet committed

	tc          *transcoder // nil when transcoding is off
	noTranscode error       // why it is off
}

// Open opens (creating if needed) the data directory dir, loads the newest
// good snapshot and replays the log after it. Damage it cannot repair
// safely is returned as an error naming the file and offset; the directory
// is left as it was.
func Open(dir string, opts Options) (*Store, error) {
	s := &Store{
		logger:          opts.Logger,
		now:             opts.Now,
		snapBytes:       opts.SnapshotBytes,
		st:              newState(),
		blobGrace:       opts.BlobGrace,
		noPosters:       opts.NoPosters,
		posterRetry:     opts.PosterRetry,
		pending:         make(map[string]int),
		observeSnapshot: opts.ObserveSnapshot,
		indexReady:      make(chan struct{}),
	}
	if s.posterRetry <= 0 {
		s.posterRetry = time.Minute
	}
	if s.blobGrace <= 0 {
		s.blobGrace = time.Hour
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.snapBytes <= 0 {
		s.snapBytes = 32 << 20
	}
	start := time.Now()
	l, err := wal.Open(dir, wal.Options{Logger: s.logger, SegmentSize: opts.SegmentSize, NoSync: opts.NoSync, WrapFile: opts.WrapLogFile, ObserveBatch: opts.ObserveCommit})
	if err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	s.log = l
	if err := s.recover(); err != nil {
		l.Close()
		return nil, err
	}
	// The media store is opened after the log, whose lock on dir makes
	// this process the only one removing stale uploads there.
	if s.media, err = media.Open(filepath.Join(dir, "blobs"), media.Options{Logger: s.logger, NoSync: opts.NoSync}); err != nil {
		l.Close()
		return nil, fmt.Errorf("memstore: %w", err)
	}
	s.bgCtx, s.bgStop = context.WithCancel(context.Background())
	s.startIndex()
	s.recovery.Took = time.Since(start)
	s.recovery.Vlogs = len(s.st.vlogs)
	s.recovery.LastSeq = s.seq
	// Last: from here on, workers commit job records concurrently.
	s.startTranscoder(opts)
	return s, nil
}

// recover loads the snapshot and replays the log after it.
func (s *Store) recover() error {
	loadStart := time.Now()
	seq, err := s.log.LoadSnapshot(func(r *wal.SnapshotReader) error {
		defer pauseGC()()
		st, err := loadSnapshot(r, s.logger)
		if err != nil {
			return fmt.Errorf("snapshot %s at seq %d: %w", r.Path, r.Seq, err)
		}
		s.st, s.seq = st, r.Seq
		s.logger.Info("snapshot loaded", "path", r.Path, "seq", r.Seq, "format", r.Version,
			"bytes", r.Size, "vlogs", len(st.vlogs), "dur", time.Since(loadStart))
		return nil
	})
	switch {
	case errors.Is(err, wal.ErrNoSnapshot):
	case err != nil:
		return fmt.Errorf("memstore: %w", err)
	default:
		s.recovery.SnapshotSeq = seq
	}

	progress := time.Now()
	err = s.log.Replay(s.seq, func(seq uint64, payload []byte) error {
		o, err := decodeOp(payload)
		if err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		// Results are ignored: a refused op was refused live too, and
		// refusals change nothing.
		s.st.apply(o)
		s.seq = seq
		s.recovery.Replayed++
		if time.Since(progress) >= time.Second {
			progress = time.Now()
			s.logger.Info("replaying log", "seq", seq, "last", s.log.LastSeq(), "records", s.recovery.Replayed)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("memstore: replay: %w", err)
	}
	return nil
}

// Recovery reports what Open recovered.
func (s *Store) Recovery() Recovery { return s.recovery }

// Healthy returns nil while the store accepts writes, or the reason it does
// not: the log's sticky failure (ErrUnavailable), or a full disk
// (ErrNoSpace: the latest write was refused for lack of space and there is
// still less than a MiB free, so the next would be too).
func (s *Store) Healthy() error {
	if err := s.log.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if full := s.log.Full(); full != nil {
		if sp, err := s.DiskSpace(); err != nil || sp.Free < 1<<20 {
			return fmt.Errorf("%w: %w", ErrNoSpace, full)
		}
	}
	return nil
}

// commit appends o to the log and, once it is durable, applies it. It
// returns what apply produced. Invariant 1: nothing is visible to readers,
// and the caller is not answered, before the record is on disk.
func (s *Store) commit(o *op) (result, error) {
	payload, err := encodeOp(o)
	if err != nil {
		return result{}, err
	}
	var res result
	_, err = s.log.Append(payload, func(seq uint64) {
		s.mu.Lock()
		res = s.st.apply(o)
		s.seq = seq
		s.applied(o)
		s.mu.Unlock()
	})
	switch {
	case errors.Is(err, wal.ErrClosed):
		return result{}, ErrClosed
	case errors.Is(err, wal.ErrBroken):
		return result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.Is(err, wal.ErrNoSpace):
		return result{}, fmt.Errorf("%w: %w", ErrNoSpace, err)
	case err != nil:
		return result{}, fmt.Errorf("memstore: %v: %w", o.Kind, err)
	}
	s.maybeSnapshot()
	return res, res.err
}

// Close waits for a running snapshot, writes a final one so the next start
// replays nothing, and closes the log.
func (s *Store) Close() error {
	s.bgStop()
	if s.tc != nil {
		s.tc.workers.Wait()
	}
	s.bg.Wait()
	var errs []error
	if s.log.Err() == nil {
		if err := s.Snapshot(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.log.Close(); err != nil {
		errs = append(errs, fmt.Errorf("memstore: close: %w", err))
	}
	return errors.Join(errs...)
}

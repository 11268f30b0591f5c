package memstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"vlogd/media"
)

// Rendition sizes: every video gets one no larger than 1080p (by its
// shorter side, so a portrait clip too), and a 480p one as well when the
// source is larger than that, for small screens and slow networks.
const (
	renditionMax   = 1080
	renditionSmall = 480
)

// maxAttempts is how many times a job is started before it is given up:
// a video that crashes ffmpeg, or the whole server, must not do so forever.
const maxAttempts = 3

// progressEvery is the least time between two progress records of a job:
// enough for "processing 42%" to move, few enough records to not matter.
const progressEvery = time.Second

// transcoder is the queue of videos awaiting renditions and the workers
// that make them. Its queue is only a schedule: what is owed is in the
// state (Video.Job), from which the queue is rebuilt at every start.
type transcoder struct {
	jobs    int
	threads int
	timeout time.Duration // per job; 0: scaled to the video's duration

	mu     sync.Mutex
	queue  []uint64 // vlog IDs, in order
	queued map[uint64]bool
	wake   chan struct{} // one token: the queue has grown

	// workers run until the store's background context ends; Close
	// waits for them (apart from Store.bg, which tests wait on for
	// one-off work like posters).
	workers sync.WaitGroup
}

// Transcoding returns nil when uploads are transcoded (ffmpeg and ffprobe
// are installed and Options.NoTranscode is not set), else the reason they
// are not: ErrNoFFmpeg (wrapped) or ErrTranscodingOff. The upload form
// tells people why only MP4 and WebM are accepted.
func (s *Store) Transcoding() error {
	if s.tc == nil {
		return s.noTranscode
	}
	return nil
}

// startTranscoder starts the workers and queues every unfinished job the
// state holds: those that were queued or running when the server stopped.
func (s *Store) startTranscoder(opts Options) {
	switch {
	case opts.NoTranscode:
		s.noTranscode = ErrTranscodingOff
		return
	default:
		if err := s.media.CanTranscode(); err != nil {
			s.noTranscode = fmt.Errorf("memstore: %w", err)
			return
		}
	}
	jobs := opts.TranscodeJobs
	if jobs <= 0 {
		jobs = max(1, runtime.NumCPU()/2)
	}
	s.tc = &transcoder{
		jobs:    jobs,
		threads: max(1, runtime.NumCPU()/jobs),
		timeout: opts.TranscodeTimeout,
		queued:  make(map[uint64]bool),
		wake:    make(chan struct{}, 1),
	}
	s.mu.RLock()
	var owed []uint64
	for _, v := range s.st.order {
		if v.Video != nil && v.Video.Job.Unfinished() {
			owed = append(owed, v.ID)
		}
	}
	s.mu.RUnlock()
	if len(owed) > 0 {
		s.logger.Info("resuming video jobs", "count", len(owed))
	}
	for _, id := range owed {
		s.enqueue(id)
	}
	for range jobs {
		s.tc.workers.Add(1)
		go s.transcodeWorker()
	}
}

// scheduleJob queues v's video job if it has one owed.
func (s *Store) scheduleJob(v *Vlog) {
	if v != nil && v.Video != nil && v.Video.Job.Unfinished() {
		s.enqueue(v.ID)
	}
}

// enqueue schedules vlog id's job, once.
func (s *Store) enqueue(id uint64) {
	tc := s.tc
	if tc == nil {
		return
	}
	tc.mu.Lock()
	if !tc.queued[id] {
		tc.queued[id] = true
		tc.queue = append(tc.queue, id)
	}
	tc.mu.Unlock()
	select {
	case tc.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest queued ID, waiting until there is one or ctx ends.
func (tc *transcoder) next(ctx context.Context) (uint64, bool) {
	for {
		tc.mu.Lock()
		if len(tc.queue) > 0 {
			id := tc.queue[0]
			tc.queue = tc.queue[1:]
			delete(tc.queued, id)
			more := len(tc.queue) > 0
			tc.mu.Unlock()
			if more {
				select { // pass the wake-up on to another idle worker
				case tc.wake <- struct{}{}:
				default:
				}
			}
			return id, true
		}
		tc.mu.Unlock()
		select {
		case <-tc.wake:
		case <-ctx.Done():
			return 0, false
		}
	}
}

func (s *Store) transcodeWorker() {
	defer s.tc.workers.Done()
	for {
		id, ok := s.tc.next(s.bgCtx)
		if !ok {
			return
		}
		s.runJob(s.bgCtx, id)
	}
}

// runJob makes the renditions of vlog id's video and records the outcome.
// A store closing mid-job records nothing: the job stays "processing" in
// the log and starts over at the next start.
func (s *Store) runJob(ctx context.Context, id uint64) {
	v, err := s.Vlog(id)
	if err != nil || v.Video == nil || !v.Video.Job.Unfinished() {
		return // deleted, re-videoed or finished meanwhile
	}
	video := v.Video
	log := s.logger.With("vlog", id, "video", video.Hash[:16])
	if video.Attempts >= maxAttempts {
		s.recordJob(log, &op{Kind: opJobFail, ID: id, Hash: video.Hash,
			Reason: fmt.Sprintf("gave up after %d attempts that did not finish", video.Attempts)})
		return
	}
	if !s.recordJob(log, &op{Kind: opJobStart, ID: id, Hash: video.Hash}) {
		return
	}
	log.Info("transcoding", "attempt", video.Attempts+1, "duration", video.Duration, "size", fmt.Sprintf("%dx%d", video.Width, video.Height))
	start := time.Now()

	timeout := s.tc.timeout
	if timeout <= 0 {
		timeout = 10*time.Minute + 20*video.Duration
	}
	jctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("took longer than %v", timeout))
	defer cancel()
	renditions, releases, err := s.makeRenditions(jctx, cancel, id, video)
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	switch {
	case ctx.Err() != nil:
		log.Info("transcoding interrupted; it resumes at the next start")
		return
	case err != nil:
		retry := !errors.Is(err, media.ErrUnreadable) && !errors.Is(err, media.ErrTooLarge) &&
			!errors.Is(err, context.DeadlineExceeded) && video.Attempts+1 < maxAttempts
		reason := jobReason(jctx, err)
		log.Warn("transcoding failed", "retry", retry, "err", err)
		if s.recordJob(log, &op{Kind: opJobFail, ID: id, Hash: video.Hash, Reason: reason, Retry: retry}) && retry {
			s.enqueue(id)
		}
		return
	}
	if s.recordJob(log, &op{Kind: opJobDone, ID: id, Hash: video.Hash, Renditions: renditions}) {
		log.Info("transcoded", "renditions", len(renditions), "dur", time.Since(start).Round(time.Millisecond))
	}
}

// jobReason is the failure shown to the video's author: short, and
// without paths of the data directory.
func jobReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "converting " + context.Cause(ctx).Error()
	case errors.Is(err, media.ErrTooLarge):
		return "the converted video would be too large"
	case errors.Is(err, media.ErrUnreadable):
		return "ffmpeg could not convert this file (it may be damaged, or use a codec it cannot decode)"
	}
	return "an error on the server"
}

// recordJob commits a job op, logging a failure. It reports whether the
// op applied; an op refused because the video is gone is no failure.
func (s *Store) recordJob(log interface{ Warn(string, ...any) }, o *op) bool {
	o.At = s.now().UTC()
	_, err := s.commit(o)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrClosed) && !errors.Is(err, errJobState) {
		log.Warn("recording video job failed", "op", o.Kind.String(), "err", err)
	}
	return err == nil
}

// renditionPlan lists the short sides to make for a video w×h: the
// largest up to 1080, never larger than the source, and 480 too when the
// source is larger than that. Unknown sizes get one rendition of at most
// 1080.
func renditionPlan(w, h int) []int {
	short := min(w, h)
	if short <= 0 {
		return []int{renditionMax}
	}
	plan := []int{min(short, renditionMax)}
	if short > renditionSmall {
		plan = append(plan, renditionSmall)
	}
	return plan
}

// makeRenditions runs ffmpeg for each rendition in turn, recording
// progress across all of them. Each finished blob is held (released by
// the caller after the outcome is recorded). A progress record refused
// because the video is gone cancels the job.
func (s *Store) makeRenditions(ctx context.Context, cancel context.CancelFunc, id uint64, video *Video) ([]Rendition, []func(), error) {
	plan := renditionPlan(video.Width, video.Height)
	limit := 2*video.Size + 64<<20 // a rendition never needs to be much larger than its source
	var (
		renditions []Rendition
		releases   []func()
		lastPct    = -1
		lastAt     time.Time
	)
	for i, short := range plan {
		progress := func(done time.Duration) {
			if video.Duration <= 0 {
				return
			}
			frac := (float64(i) + min(1, float64(done)/float64(video.Duration))) / float64(len(plan))
			pct := min(99, int(frac*100))
			if pct <= lastPct || time.Since(lastAt) < progressEvery {
				return
			}
			lastPct, lastAt = pct, time.Now()
			_, err := s.commit(&op{Kind: opJobProgress, At: s.now().UTC(), ID: id, Hash: video.Hash, Percent: pct})
			if errors.Is(err, ErrNotFound) {
				cancel() // the vlog or its video is gone: stop working for nobody
			}
		}
		b, err := s.media.Transcode(ctx, video.Hash, media.Rendition{Short: short, Limit: limit, Threads: s.tc.threads}, progress)
		if err != nil {
			return nil, releases, err
		}
		releases = append(releases, s.hold(b.Hash))
		// The size ffmpeg chose, read back rather than predicted.
		p, err := s.media.Probe(ctx, b.Hash)
		if err != nil {
			return nil, releases, err
		}
		renditions = append(renditions, Rendition{Hash: b.Hash, Width: p.Width, Height: p.Height, Size: b.Size})
	}
	slices.SortFunc(renditions, func(a, b Rendition) int { return min(a.Width, a.Height) - min(b.Width, b.Height) })
	return renditions, releases, nil
}

package memstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"vlogd/media"
)

// Video is a vlog's clip: a blob in the media store, named by its SHA-256,
// with what ffprobe said about it and the state of its transcoding job.
type Video struct {
	Hash   string `msgpack:"hash"`
	Type   string `msgpack:"type"` // the original's container, decided from the bytes (media.VideoTypes)
	Size   int64  `msgpack:"size"`
	Poster string `msgpack:"poster,omitempty"` // hash of a JPEG frame; "" until one is made

	// Probe data, from ffprobe at upload; zero when it was not available.
	Duration   time.Duration `msgpack:"dur,omitempty"`
	Width      int           `msgpack:"w,omitempty"` // displayed size, after Rotation
	Height     int           `msgpack:"h,omitempty"`
	Rotation   int           `msgpack:"rot,omitempty"` // degrees clockwise
	VideoCodec string        `msgpack:"vcodec,omitempty"`
	AudioCodec string        `msgpack:"acodec,omitempty"`

	// The transcoding job (job.go): JobNone for a video kept as uploaded.
	Job        JobState    `msgpack:"job,omitempty"`
	Percent    int         `msgpack:"pct,omitempty"`   // while JobProcessing, 0–99
	Attempts   int         `msgpack:"tries,omitempty"` // jobs started, crashes included
	Failure    string      `msgpack:"fail,omitempty"`  // why, when JobFailed
	Renditions []Rendition `msgpack:"rend,omitempty"`  // when JobReady: smallest first
}

// Rendition is a web-safe copy of a video (H.264 High + AAC in MP4), a
// blob like the original.
type Rendition struct {
	Hash   string `msgpack:"hash"`
	Width  int    `msgpack:"w"`
	Height int    `msgpack:"h"`
	Size   int64  `msgpack:"size"`
}

// Blobs lists every media blob the video refers to: original, poster and
// renditions.
func (v *Video) Blobs() []string {
	hashes := []string{v.Hash}
	if v.Poster != "" {
		hashes = append(hashes, v.Poster)
	}
	for _, r := range v.Renditions {
		hashes = append(hashes, r.Hash)
	}
	return hashes
}

// Upload errors, for callers that answer them differently.
var (
	// ErrTooLarge is returned by PutVideo when the upload exceeds the limit.
	ErrTooLarge = media.ErrTooLarge
	// ErrNoFFmpeg is what Transcoding returns (wrapped) when ffmpeg or
	// ffprobe is not installed.
	ErrNoFFmpeg = media.ErrNoFFmpeg
	// ErrTranscodingOff is what Transcoding returns when
	// Options.NoTranscode is set.
	ErrTranscodingOff = errors.New("transcoding is turned off")
)

// SizeText formats a byte count for people ("512 MiB").
func SizeText(n int64) string { return media.FormatSize(n) }

// PutVideo streams r into the media store (never holding it in memory),
// refusing more than limit bytes (ErrTooLarge) and anything that is not a
// video it can use (a *ValidationError on "video"): any container of
// media.VideoTypes that ffprobe can read when transcoding is on (see
// Transcoding), else MP4 or WebM only. The blob is durable when PutVideo
// returns, before any record refers to it. With transcoding on, the video
// carries its probe data and a queued job, which starts once the vlog is
// committed. The caller must call release once the vlog that uses the
// video is committed (or abandoned); until then the blob is safe from
// garbage collection.
func (s *Store) PutVideo(r io.Reader, limit int64) (v *Video, release func(), err error) {
	accept := media.BrowserTypes
	if s.Transcoding() == nil {
		accept = media.VideoTypes
	}
	b, err := s.media.Put(r, limit, accept)
	var te *media.TypeError
	switch {
	case errors.As(err, &te) && s.Transcoding() == nil:
		return nil, nil, &ValidationError{Field: "video", Msg: "must be a video file: MP4, MOV, MKV, WebM, AVI or MPEG-TS (this file is not)"}
	case errors.As(err, &te):
		return nil, nil, &ValidationError{Field: "video", Msg: "must be an MP4 or WebM video (this file is not)"}
	case errors.Is(err, media.ErrEmpty):
		return nil, nil, &ValidationError{Field: "video", Msg: "is an empty file"}
	case isNoSpace(err):
		return nil, nil, fmt.Errorf("%w: %w", ErrNoSpace, err)
	case err != nil:
		return nil, nil, fmt.Errorf("memstore: %w", err)
	}
	v = &Video{Hash: b.Hash, Type: b.Type, Size: b.Size}
	release = s.hold(b.Hash)
	if s.Transcoding() != nil {
		return v, release, nil
	}
	ctx, cancel := context.WithTimeout(s.bgCtx, 2*time.Minute)
	defer cancel()
	p, err := s.media.Probe(ctx, b.Hash)
	switch {
	case errors.Is(err, media.ErrUnreadable):
		release()
		return nil, nil, &ValidationError{Field: "video", Msg: "could not be read as a video (it may be damaged, or use a codec this server cannot decode)"}
	case err != nil:
		release()
		return nil, nil, fmt.Errorf("memstore: %w", err)
	}
	v.Duration, v.Width, v.Height, v.Rotation = p.Duration, p.Width, p.Height, p.Rotation
	v.VideoCodec, v.AudioCodec = p.VideoCodec, p.AudioCodec
	v.Job = JobQueued
	return v, release, nil
}

// hold marks a blob as about to be referenced, so garbage collection
// spares it, and returns the function that lets go.
func (s *Store) hold(hash string) func() {
	s.pendingMu.Lock()
	s.pending[hash]++
	s.pendingMu.Unlock()
	return func() {
		s.pendingMu.Lock()
		if s.pending[hash]--; s.pending[hash] <= 0 {
			delete(s.pending, hash)
		}
		s.pendingMu.Unlock()
	}
}

// MediaFile is an open media blob with what a server needs to send it.
type MediaFile struct {
	*os.File
	Type    string
	Size    int64
	ModTime time.Time
}

// OpenMedia opens the blob named hash for reading; the caller closes it.
// Names that are not a SHA-256 in lowercase hex, and absent blobs, are
// ErrNotFound.
func (s *Store) OpenMedia(hash string) (*MediaFile, error) {
	f, err := s.media.Open(hash)
	if err != nil {
		if errors.Is(err, media.ErrNotFound) {
			return nil, fmt.Errorf("media %.16s: %w", hash, ErrNotFound)
		}
		return nil, fmt.Errorf("memstore: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("memstore: stat media: %w", err)
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	return &MediaFile{File: f, Type: media.DetectType(head[:n]), Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// schedulePoster extracts a poster frame for v's video in the background
// when ffmpeg is installed, and records it in the log. Without ffmpeg it
// does nothing: pages show a neutral placeholder instead.
func (s *Store) schedulePoster(v *Vlog) {
	if v == nil || v.Video == nil || v.Video.Poster != "" || s.noPosters {
		return
	}
	id, hash := v.ID, v.Video.Hash
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		// A poster that fails for lack of space is tried again later,
		// waiting longer each time, until it is made or the store closes.
		for wait := s.posterRetry; ; wait = min(2*wait, maxPosterRetry) {
			err := s.makePoster(id, hash)
			if err == nil || !posterNoSpace(err) {
				return
			}
			s.logger.Warn("poster failed for lack of space; will retry", "vlog", id, "in", wait, "err", err)
			select {
			case <-time.After(wait):
			case <-s.bgCtx.Done():
				return
			}
		}
	}()
}

// maxPosterRetry caps the wait between poster attempts on a full disk.
const maxPosterRetry = 30 * time.Minute

// makePoster extracts and records one poster. It logs every failure but
// lack of space, which it returns for the caller to retry.
func (s *Store) makePoster(id uint64, hash string) error {
	ctx, cancel := context.WithTimeout(s.bgCtx, 2*time.Minute)
	defer cancel()
	b, err := s.media.ExtractPoster(ctx, hash)
	switch {
	case errors.Is(err, media.ErrNoFFmpeg):
		s.logger.Debug("no ffmpeg on PATH; video shown without a poster", "vlog", id)
		return nil
	case posterNoSpace(err):
		return err
	case err != nil:
		s.logger.Warn("poster extraction failed", "vlog", id, "err", err)
		return nil
	}
	release := s.hold(b.Hash)
	defer release()
	_, err = s.commit(&op{Kind: opSetPoster, At: s.now().UTC(), ID: id, Hash: hash, Poster: b.Hash})
	switch {
	case errors.Is(err, ErrNoSpace):
		return err
	case err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrClosed):
		// A vlog deleted or re-videoed meanwhile (ErrNotFound), or a
		// store closing, is no failure.
		s.logger.Warn("recording poster failed", "vlog", id, "err", err)
	}
	return nil
}

// posterNoSpace reports whether a poster failed for lack of space: an
// ENOSPC from the store, or ffmpeg saying so on its stderr (which the
// error carries), since ffmpeg's exit status does not tell.
func posterNoSpace(err error) bool {
	return err != nil && (isNoSpace(err) || errors.Is(err, ErrNoSpace) || strings.Contains(err.Error(), "No space left on device"))
}

// collectBlobs removes media blobs that no vlog references. It runs after
// a snapshot. Blobs being uploaded or awaiting their record are held
// (hold), and blobs newer than the grace period are spared too: that
// covers the instant between a blob's rename and its hold.
func (s *Store) collectBlobs() (removed int, err error) {
	hashes, err := s.media.Hashes()
	if err != nil {
		return 0, fmt.Errorf("memstore: collect blobs: %w", err)
	}
	referenced := make(map[string]bool)
	s.mu.RLock()
	for _, v := range s.st.order {
		if v.Video != nil {
			for _, h := range v.Video.Blobs() {
				referenced[h] = true
			}
		}
	}
	s.mu.RUnlock()
	cutoff := time.Now().Add(-s.blobGrace)
	for _, h := range hashes {
		s.pendingMu.Lock()
		held := s.pending[h] > 0
		s.pendingMu.Unlock()
		if referenced[h] || held || !s.olderThan(h, cutoff) {
			continue
		}
		if err := s.media.Remove(h); err != nil && !errors.Is(err, media.ErrNotFound) {
			return removed, fmt.Errorf("memstore: remove blob %.16s: %w", h, err)
		}
		removed++
	}
	return removed, nil
}

// olderThan reports whether blob h was last written before t.
func (s *Store) olderThan(h string, t time.Time) bool {
	f, err := s.media.Open(h)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	return err == nil && fi.ModTime().Before(t)
}

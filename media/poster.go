package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// posterLimit caps a poster JPEG; a 1280-wide frame is far below it.
const posterLimit = 16 << 20

// ExtractPoster extracts one frame of the video blob videoHash as a JPEG (at
// most 1280 pixels wide), stores it as a blob too and returns it. It runs
// ffmpeg directly (no shell), with a timeout, reading only the local file
// and forcing the demuxer that matches the blob's detected type, so a
// crafted upload cannot make ffmpeg open playlists, URLs or other files.
//
// It seeks 0.5 s in and falls back to the first frame when that yields
// nothing (a shorter clip). The output is checked to exist, be non-empty
// and be a JPEG, since ffmpeg can exit 0 without writing it.
//
// Errors: ErrNoFFmpeg when ffmpeg is not on the PATH; ErrNotFound when the
// blob is absent; a *TypeError when it is not a video; otherwise
// ffmpeg's failure (with its stderr) or ctx's error, wrapped.
func (s *Store) ExtractPoster(ctx context.Context, videoHash string) (Blob, error) {
	ffmpeg, err := s.lookPath("ffmpeg")
	if err != nil {
		return Blob{}, fmt.Errorf("media: poster: %w", ErrNoFFmpeg)
	}
	video, err := s.Stat(videoHash)
	if err != nil {
		return Blob{}, err
	}
	demuxer := demuxers[video.Type]
	if demuxer == "" {
		return Blob{}, &TypeError{Detected: video.Type, Accepted: VideoTypes}
	}
	in, _ := s.path(videoHash)

	// The frame goes to a *.tmp file in the store so that a crash
	// mid-extraction leaves nothing Open would not remove.
	out, err := os.CreateTemp(s.dir, "poster-*"+tmpExt)
	if err != nil {
		return Blob{}, fmt.Errorf("media: poster %s: %w", videoHash, err)
	}
	out.Close()
	defer os.Remove(out.Name())

	ctx, cancel := context.WithTimeout(ctx, s.posterTimeout)
	defer cancel()
	var runErr error
	for _, seek := range []string{"0.5", "0"} {
		runErr = runFFmpeg(ctx, ffmpeg, ffmpegArgs(seek, demuxer, in, out.Name()))
		if runErr == nil && isJPEGFile(out.Name()) {
			break
		}
		if ctx.Err() != nil {
			return Blob{}, fmt.Errorf("media: poster %s: ffmpeg: %w", videoHash, ctx.Err())
		}
		if runErr == nil {
			runErr = errors.New("ffmpeg wrote no JPEG")
		}
	}
	if runErr != nil {
		return Blob{}, fmt.Errorf("media: poster %s: %w", videoHash, runErr)
	}

	f, err := os.Open(out.Name())
	if err != nil {
		return Blob{}, fmt.Errorf("media: poster %s: %w", videoHash, err)
	}
	defer f.Close()
	b, err := s.Put(f, posterLimit, []string{TypeJPEG})
	if err != nil {
		return Blob{}, fmt.Errorf("media: poster %s: %w", videoHash, err)
	}
	return b, nil
}

// ffmpegArgs builds the command line for one frame at seek seconds. Paths
// are absolute and given with the file: protocol, so none can be read as
// an option or another protocol.
func ffmpegArgs(seek, demuxer, in, out string) []string {
	return []string{
		"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-protocol_whitelist", "file", "-f", demuxer,
		"-ss", seek, "-i", "file:" + in,
		"-frames:v", "1", "-vf", "scale='min(1280,iw)':-2",
		"-f", "image2", "-update", "1", "-c:v", "mjpeg", "-q:v", "3",
		"file:" + out,
	}
}

// runFFmpeg runs ffmpeg without a shell; on failure the error carries the
// end of its stderr.
func runFFmpeg(ctx context.Context, ffmpeg string, args []string) error {
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	stderr := &tailBuffer{max: 2048}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // do not hang on pipes after a kill
	// If vlogd itself is killed, ffmpeg dies with it instead of writing
	// into the blob directory behind the next process's back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(string(stderr.buf))
		if msg == "" {
			return fmt.Errorf("ffmpeg: %w", err)
		}
		return fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	return nil
}

// isJPEGFile reports whether path is a non-empty file that starts like a
// JPEG: ffmpeg can exit 0 having written nothing (a seek past the end).
func isJPEGFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	return DetectType(head[:n]) == TypeJPEG
}

// tailBuffer keeps the last max bytes written to it, so a chatty ffmpeg
// cannot grow memory without bound.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

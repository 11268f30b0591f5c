package media

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Rendition asks Transcode for one web-safe copy of a video.
type Rendition struct {
	// Short is the largest the shorter side may be, in pixels: 1080 for
	// "1080p", 480 for "480p", portrait or landscape alike. A smaller
	// source is never scaled up.
	Short int
	// Limit is the largest output accepted, in bytes; ffmpeg stops
	// writing there and the rendition fails with ErrTooLarge. Must be
	// positive.
	Limit int64
	// Threads caps ffmpeg's threads; 0 lets it choose.
	Threads int
}

// Transcode makes a rendition of the video blob hash that every browser
// plays: H.264 High profile and AAC stereo in MP4, with the index first
// (+faststart) so playback and seeking start before the whole file
// arrives. Frames are turned upright (ffmpeg applies the rotation the
// source declares), so a portrait phone clip stays portrait. It stores
// the result as a blob and returns it.
//
// ffmpeg runs at the lowest CPU priority (nice 19) so that pages keep
// being served while it works, directly (no shell), reading only the
// local file with the demuxer of the blob's detected type. progress, when
// not nil, is called from Transcode's goroutine with how much of the
// source has been encoded so far. ctx bounds the run: cancelling it kills
// ffmpeg.
//
// Errors: ErrNoFFmpeg; ErrNotFound; a *TypeError when the blob is not a
// video; ErrTooLarge when the output passes spec.Limit; ErrUnreadable
// (with ffmpeg's message) when ffmpeg fails; ctx's error.
func (s *Store) Transcode(ctx context.Context, hash string, spec Rendition, progress func(done time.Duration)) (Blob, error) {
	ffmpeg, err := s.lookPath("ffmpeg")
	if err != nil {
		return Blob{}, fmt.Errorf("media: transcode: %w", ErrNoFFmpeg)
	}
	if spec.Short <= 0 || spec.Limit <= 0 {
		return Blob{}, fmt.Errorf("media: transcode: short side %d and limit %d must be positive", spec.Short, spec.Limit)
	}
	src, err := s.Stat(hash)
	if err != nil {
		return Blob{}, err
	}
	demuxer := demuxers[src.Type]
	if demuxer == "" {
		return Blob{}, &TypeError{Detected: src.Type, Accepted: VideoTypes}
	}
	in, _ := s.path(hash)

	// A *.tmp name in the store: a crash mid-encode leaves nothing that
	// Open would not remove.
	out, err := os.CreateTemp(s.dir, "rendition-*"+tmpExt)
	if err != nil {
		return Blob{}, fmt.Errorf("media: transcode %.16s: %w", hash, err)
	}
	out.Close()
	defer os.Remove(out.Name())

	name, args := ffmpeg, transcodeArgs(demuxer, in, out.Name(), spec)
	if nice, err := s.lookPath("nice"); err == nil {
		name, args = nice, append([]string{"-n", "19", ffmpeg}, args...)
	}
	if err := runWithProgress(ctx, name, args, progress); err != nil {
		if ctx.Err() != nil {
			return Blob{}, fmt.Errorf("media: transcode %.16s: %w", hash, ctx.Err())
		}
		return Blob{}, fmt.Errorf("media: transcode %.16s: %w: %v", hash, ErrUnreadable, err)
	}

	f, err := os.Open(out.Name())
	if err != nil {
		return Blob{}, fmt.Errorf("media: transcode %.16s: %w", hash, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() >= spec.Limit {
		// -fs stops ffmpeg at the limit and it still exits 0: a file that
		// reached it is cut short, not finished.
		return Blob{}, fmt.Errorf("media: transcode %.16s: rendition reached %s: %w", hash, FormatSize(spec.Limit), ErrTooLarge)
	}
	b, err := s.Put(f, spec.Limit, []string{TypeMP4})
	if err != nil {
		return Blob{}, fmt.Errorf("media: transcode %.16s: %w", hash, err)
	}
	return b, nil
}

// transcodeArgs builds ffmpeg's command line for one rendition. The scale
// filter bounds the shorter side by spec.Short without ever enlarging,
// and keeps both sides even, as 4:2:0 H.264 requires.
func transcodeArgs(demuxer, in, out string, spec Rendition) []string {
	short := strconv.Itoa(spec.Short)
	scale := "scale=w='if(gte(iw,ih),-2,trunc(min(" + short + ",iw)/2)*2)'" +
		":h='if(gte(iw,ih),trunc(min(" + short + ",ih)/2)*2,-2)',format=yuv420p"
	args := []string{
		"-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-nostats",
		"-protocol_whitelist", "file", "-f", demuxer, "-i", "file:" + in,
		"-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
		"-vf", scale,
		"-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast", "-crf", "23",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2",
		"-movflags", "+faststart", "-fs", strconv.FormatInt(spec.Limit, 10),
		"-progress", "pipe:1",
	}
	if spec.Threads > 0 {
		args = append(args, "-threads", strconv.Itoa(spec.Threads))
	}
	return append(args, "-f", "mp4", "file:"+out)
}

// runWithProgress runs ffmpeg (perhaps under nice) and feeds the
// out_time_us lines of its -progress output to progress. On failure the
// error carries the end of its stderr.
func runWithProgress(ctx context.Context, name string, args []string, progress func(time.Duration)) error {
	cmd := exec.CommandContext(ctx, name, args...)
	stderr := &tailBuffer{max: 2048}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	// If vlogd is killed, ffmpeg dies with it instead of writing into the
	// blob directory behind the next process's back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	readProgress(stdout, progress)
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(string(stderr.buf))
		if msg == "" {
			return fmt.Errorf("ffmpeg: %w", err)
		}
		return fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	return nil
}

// readProgress reads ffmpeg's -progress key=value lines until EOF.
func readProgress(r io.Reader, progress func(time.Duration)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "out_time_us=")
		if !ok || progress == nil {
			continue
		}
		if us, err := strconv.ParseInt(v, 10, 64); err == nil && us >= 0 {
			progress(time.Duration(us) * time.Microsecond)
		}
	}
	io.Copy(io.Discard, r) // a line too long for the scanner: keep ffmpeg unblocked
}

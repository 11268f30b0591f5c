package media

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Probe is what ffprobe says about a video: enough to show it (duration,
// the size it is displayed at) and to plan its renditions.
type Probe struct {
	Duration   time.Duration // of the container; 0 when unknown
	Width      int           // displayed width in pixels, after Rotation
	Height     int           // displayed height in pixels, after Rotation
	Rotation   int           // degrees clockwise the frames are turned for display: 0, 90, 180 or 270
	VideoCodec string        // ffmpeg's codec name of the first video stream: "h264", "hevc", …
	AudioCodec string        // of the first audio stream; "" when silent
	Subtitles  []string      // codec names of subtitle streams, in order ("mov_text", "subrip", …)
}

// demuxers maps each video type to the ffmpeg demuxer forced for it, so a
// crafted upload cannot make ffmpeg pick another (a playlist, an image
// sequence) from its contents.
var demuxers = map[string]string{
	TypeMP4: "mp4", TypeQuickTime: "mov", TypeThreeGPP: "3gp", TypeWebM: "webm",
	TypeMatroska: "matroska", TypeAVI: "avi", TypeMPEGTS: "mpegts",
}

// probeLimit caps ffprobe's JSON: a few streams' fields are a few KiB.
const probeLimit = 1 << 20

// CanTranscode reports whether ffmpeg and ffprobe are both on the PATH, so
// that Probe and Transcode can work. When they cannot, only BrowserTypes
// should be accepted.
func (s *Store) CanTranscode() error {
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		if _, err := s.lookPath(name); err != nil {
			return fmt.Errorf("media: %s: %w", name, ErrNoFFmpeg)
		}
	}
	return nil
}

// Probe runs ffprobe on the video blob hash, forcing the demuxer of its
// detected type and reading only the local file.
//
// Errors: ErrNoFFmpeg when ffprobe is not on the PATH; ErrNotFound when
// the blob is absent; a *TypeError when it is not a video; ErrUnreadable
// when ffprobe cannot read it or it has no video stream; ctx's error.
func (s *Store) Probe(ctx context.Context, hash string) (Probe, error) {
	ffprobe, err := s.lookPath("ffprobe")
	if err != nil {
		return Probe{}, fmt.Errorf("media: probe: %w", ErrNoFFmpeg)
	}
	blob, err := s.Stat(hash)
	if err != nil {
		return Probe{}, err
	}
	demuxer := demuxers[blob.Type]
	if demuxer == "" {
		return Probe{}, &TypeError{Detected: blob.Type, Accepted: VideoTypes}
	}
	in, _ := s.path(hash)
	ctx, cancel := context.WithTimeout(ctx, s.posterTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffprobe, "-v", "error", "-protocol_whitelist", "file", "-f", demuxer,
		"-show_entries", "format=duration:stream=codec_type,codec_name,width,height:stream_side_data=rotation:stream_tags=rotate",
		"-of", "json", "file:"+in)
	out := &limitBuffer{max: probeLimit}
	stderr := &tailBuffer{max: 1024}
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Probe{}, fmt.Errorf("media: probe %.16s: %w", hash, ctx.Err())
		}
		return Probe{}, fmt.Errorf("media: probe %.16s: %w: %v: %s", hash, ErrUnreadable, err, strings.TrimSpace(string(stderr.buf)))
	}
	p, err := ParseProbe(out.buf)
	if err != nil {
		return Probe{}, fmt.Errorf("media: probe %.16s: %w", hash, err)
	}
	return p, nil
}

// ffprobeOutput is the part of `ffprobe -of json` that Probe asks for.
type ffprobeOutput struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Tags      struct {
			Rotate string `json:"rotate"`
		} `json:"tags"`
		SideData []struct {
			Rotation *float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// maxDimension bounds a believable frame side; ffmpeg's own limit is
// 16384 for most codecs.
const maxDimension = 1 << 15

// ParseProbe reads ffprobe's JSON (as Probe requests it) into a Probe.
// It returns ErrUnreadable (wrapped) for output that is not that JSON, or
// that names no video stream with a sane size. It never panics.
func ParseProbe(b []byte) (Probe, error) {
	var out ffprobeOutput
	if err := json.Unmarshal(b, &out); err != nil {
		return Probe{}, fmt.Errorf("%w: ffprobe output: %v", ErrUnreadable, err)
	}
	var p Probe
	video := false
	for _, st := range out.Streams {
		switch st.CodecType {
		case "video":
			if video || st.CodecName == "mjpeg" || st.CodecName == "png" {
				continue // a later stream, or cover art
			}
			if st.Width <= 0 || st.Height <= 0 || st.Width > maxDimension || st.Height > maxDimension {
				continue
			}
			video = true
			p.VideoCodec, p.Width, p.Height = st.CodecName, st.Width, st.Height
			p.Rotation = rotation(st.Tags.Rotate, st.SideData)
			if p.Rotation == 90 || p.Rotation == 270 {
				p.Width, p.Height = p.Height, p.Width
			}
		case "audio":
			if p.AudioCodec == "" {
				p.AudioCodec = st.CodecName
			}
		case "subtitle":
			p.Subtitles = append(p.Subtitles, st.CodecName)
		}
	}
	if !video {
		return Probe{}, fmt.Errorf("%w: no video stream", ErrUnreadable)
	}
	if d, err := strconv.ParseFloat(out.Format.Duration, 64); err == nil && d > 0 && d < 1e6 {
		p.Duration = time.Duration(d * float64(time.Second)).Round(time.Millisecond)
	}
	return p, nil
}

// rotation turns ffprobe's display matrix rotation (degrees
// counter-clockwise, as a float, e.g. -90 for a phone held upright) or the
// older "rotate" tag (degrees clockwise) into degrees clockwise, one of 0,
// 90, 180, 270.
func rotation(tag string, side []struct {
	Rotation *float64 `json:"rotation"`
}) int {
	deg := 0.0
	found := false
	for _, sd := range side {
		if sd.Rotation != nil && !math.IsNaN(*sd.Rotation) && !math.IsInf(*sd.Rotation, 0) {
			deg, found = -*sd.Rotation, true
			break
		}
	}
	if !found {
		if n, err := strconv.Atoi(tag); err == nil {
			deg = float64(n % 360)
		}
	}
	quarter := int(math.Round(math.Mod(deg, 360)/90)) % 4
	if quarter < 0 {
		quarter += 4
	}
	return quarter * 90
}

// limitBuffer keeps the first max bytes written to it and drops the rest:
// a misbehaving ffprobe cannot grow memory without bound, and the JSON it
// yields is then simply unreadable.
type limitBuffer struct {
	buf []byte
	max int
}

func (l *limitBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.buf); room > 0 {
		l.buf = append(l.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

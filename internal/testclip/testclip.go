// Package testclip makes tiny video files with ffmpeg for tests: the
// camera formats vlogd must ingest (QuickTime HEVC, Matroska, AVI, MPEG-TS,
// a portrait phone clip that declares its rotation), a second or two long
// at a small size, so suites stay fast. It is a test tool, never part of
// the server.
package testclip

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Clip describes a file to make.
type Clip struct {
	Name     string  // file name in the test's temporary directory; its extension picks nothing, Format does
	Format   string  // ffmpeg muxer: "mov", "matroska", "avi", "mpegts", "mp4", "webm"
	Video    string  // ffmpeg encoder: "libx264", "libx265", "mpeg4", "libvpx"
	Audio    string  // encoder, or "" for a silent clip
	Width    int     // coded size
	Height   int     // coded size
	Seconds  float64 // length
	Rate     int     // frames per second; 0 means 15
	Rotate   int     // degrees clockwise a player must turn the frames (MP4/MOV only): 0, 90, 180, 270
	Subtitle string  // a WebVTT cue text to mux as a subtitle stream (mov_text in MP4/MOV), or ""
}

// Need skips the test when ffmpeg is missing, except under CI, where it
// fails: CI installs ffmpeg, so its absence there is a broken setup.
func Need(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		if _, err := exec.LookPath("ffprobe"); err == nil {
			return
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("ffmpeg/ffprobe not on PATH; .ci/run installs them")
	}
	tb.Skip("ffmpeg/ffprobe not on PATH")
}

// Make writes c into a temporary directory of tb and returns its path. It
// calls Need first.
func Make(tb testing.TB, c Clip) string {
	tb.Helper()
	Need(tb)
	if c.Rate == 0 {
		c.Rate = 15
	}
	dir := tb.TempDir()
	out := filepath.Join(dir, c.Name)
	dur := strconv.FormatFloat(c.Seconds, 'f', -1, 64)
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc=duration=%s:size=%dx%d:rate=%d", dur, c.Width, c.Height, c.Rate)}
	if c.Audio != "" {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:duration="+dur)
	}
	if c.Subtitle != "" {
		vtt := filepath.Join(dir, "cues.vtt")
		cue := "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n" + c.Subtitle + "\n"
		if err := os.WriteFile(vtt, []byte(cue), 0o644); err != nil {
			tb.Fatal(err)
		}
		args = append(args, "-i", vtt)
	}
	args = append(args, "-map", "0:v")
	if c.Audio != "" {
		args = append(args, "-map", "1:a", "-c:a", c.Audio)
	}
	if c.Subtitle != "" {
		n := 1
		if c.Audio != "" {
			n = 2
		}
		args = append(args, "-map", strconv.Itoa(n)+":s", "-c:s", "mov_text")
	}
	args = append(args, "-c:v", c.Video, "-pix_fmt", "yuv420p")
	switch c.Video {
	case "libx265":
		args = append(args, "-x265-params", "log-level=error", "-tag:v", "hvc1")
	case "libvpx":
		args = append(args, "-b:v", "100k")
	}
	args = append(args, "-shortest", "-f", c.Format, out)
	cmd := exec.Command("ffmpeg", args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", args, err, msg)
	}
	if c.Rotate != 0 {
		if err := rotate(out, c.Rotate); err != nil {
			tb.Fatalf("rotate %s: %v", out, err)
		}
	}
	return out
}

// rotate writes a display matrix turning the frames deg degrees clockwise
// into the first track header of an MP4/QuickTime file, as a phone held
// upright records (ISO/IEC 14496-12 §8.3.2, TrackHeaderBox.matrix). ffmpeg
// 5.1 has no option that writes it.
func rotate(path string, deg int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("tkhd"))
	if i < 0 {
		return fmt.Errorf("no tkhd box")
	}
	// version/flags, then times and IDs: 32 bytes in version 0, 44 in 1;
	// then layer, alternate group, volume and reserved (8 bytes).
	off := i + 4 + 4 + 20 + 8 + 8
	if b[i+4] == 1 {
		off += 12
	}
	one := int32(0x10000)
	var a, bb, c, d int32
	switch deg {
	case 90:
		a, bb, c, d = 0, one, -one, 0
	case 180:
		a, bb, c, d = -one, 0, 0, -one
	case 270:
		a, bb, c, d = 0, -one, one, 0
	default:
		return fmt.Errorf("rotation %d: want 90, 180 or 270", deg)
	}
	if off+36 > len(b) {
		return fmt.Errorf("tkhd cut short")
	}
	m := []int32{a, bb, 0, c, d, 0, 0, 0, 0x40000000}
	for k, v := range m {
		binary.BigEndian.PutUint32(b[off+4*k:], uint32(v))
	}
	return os.WriteFile(path, b, 0o644)
}

package media

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"vlogd/internal/testclip"
)

// putFile stores the file at path as a video blob.
func putFile(tb testing.TB, s *Store, path string) Blob {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b, err := s.Put(f, 1<<30, VideoTypes)
	if err != nil {
		tb.Fatalf("Put(%s): %v", path, err)
	}
	return b
}

// The camera formats are told apart by their bytes and probed: codecs,
// displayed size (after rotation) and duration.
func TestDetectAndProbeCameraFormats(t *testing.T) {
	s := mustOpenStore(t)
	tests := []struct {
		clip     testclip.Clip
		typ      string
		w, h     int
		rot      int
		vc, ac   string
		subtitle bool
	}{
		{testclip.Clip{Name: "iphone.mov", Format: "mov", Video: "libx265", Audio: "aac", Width: 128, Height: 72, Seconds: 1}, TypeQuickTime, 128, 72, 0, "hevc", "aac", false},
		{testclip.Clip{Name: "camera.mkv", Format: "matroska", Video: "libx264", Audio: "aac", Width: 128, Height: 72, Seconds: 1}, TypeMatroska, 128, 72, 0, "h264", "aac", false},
		{testclip.Clip{Name: "old.avi", Format: "avi", Video: "mpeg4", Width: 128, Height: 72, Seconds: 1}, TypeAVI, 128, 72, 0, "mpeg4", "", false},
		{testclip.Clip{Name: "cam.ts", Format: "mpegts", Video: "libx264", Audio: "aac", Width: 128, Height: 72, Seconds: 1}, TypeMPEGTS, 128, 72, 0, "h264", "aac", false},
		{testclip.Clip{Name: "portrait.mp4", Format: "mp4", Video: "libx264", Audio: "aac", Width: 128, Height: 72, Seconds: 1, Rotate: 90}, TypeMP4, 72, 128, 90, "h264", "aac", false},
		{testclip.Clip{Name: "subs.mov", Format: "mov", Video: "libx264", Width: 128, Height: 72, Seconds: 1, Subtitle: "hello"}, TypeQuickTime, 128, 72, 0, "h264", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.clip.Name, func(t *testing.T) {
			b := putFile(t, s, testclip.Make(t, tt.clip))
			if b.Type != tt.typ {
				t.Fatalf("type %q, want %q", b.Type, tt.typ)
			}
			p, err := s.Probe(context.Background(), b.Hash)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if p.Width != tt.w || p.Height != tt.h || p.Rotation != tt.rot || p.VideoCodec != tt.vc || p.AudioCodec != tt.ac {
				t.Errorf("Probe = %+v, want %dx%d rotated %d, %s+%q", p, tt.w, tt.h, tt.rot, tt.vc, tt.ac)
			}
			if p.Duration < 800*time.Millisecond || p.Duration > 1500*time.Millisecond {
				t.Errorf("Duration %v, want about 1 s", p.Duration)
			}
			if got := len(p.Subtitles) > 0; got != tt.subtitle {
				t.Errorf("Subtitles %q, want some: %v", p.Subtitles, tt.subtitle)
			}
		})
	}
}

// A rendition is H.264 High + AAC in MP4 with the index first, upright,
// never larger than the source, and reports its progress.
func TestTranscode(t *testing.T) {
	s := mustOpenStore(t)
	src := putFile(t, s, testclip.Make(t, testclip.Clip{Name: "p.mov", Format: "mov", Video: "libx265", Audio: "aac",
		Width: 192, Height: 108, Seconds: 1, Rotate: 90}))
	var last time.Duration
	calls := 0
	r, err := s.Transcode(context.Background(), src.Hash, Rendition{Short: 1080, Limit: 64 << 20, Threads: 1}, func(d time.Duration) {
		calls++
		last = d
	})
	if err != nil {
		t.Fatalf("Transcode: %v", err)
	}
	if r.Type != TypeMP4 {
		t.Fatalf("rendition type %q", r.Type)
	}
	if calls == 0 || last < 500*time.Millisecond {
		t.Errorf("progress called %d times, last %v; want calls reaching about 1 s", calls, last)
	}
	p, err := s.Probe(context.Background(), r.Hash)
	if err != nil {
		t.Fatal(err)
	}
	// Upright: the frames themselves are portrait now, with no rotation
	// left for the player to apply; not scaled up to 1080.
	if p.Width != 108 || p.Height != 192 || p.Rotation != 0 || p.VideoCodec != "h264" || p.AudioCodec != "aac" {
		t.Errorf("rendition probe %+v, want 108x192 h264+aac unrotated", p)
	}
	f, err := s.Open(r.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := f.Read(head)
	if !containsBox(head[:n], "moov") {
		t.Errorf("moov is not near the start: not +faststart")
	}

	small, err := s.Transcode(context.Background(), src.Hash, Rendition{Short: 64, Limit: 64 << 20, Threads: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Probe(context.Background(), small.Hash); p.Width != 64 || p.Height != 114 {
		t.Errorf("64p rendition is %dx%d, want 64x114 (short side 64, even)", p.Width, p.Height)
	}

	if _, err := s.Transcode(context.Background(), src.Hash, Rendition{Short: 1080, Limit: 1000, Threads: 1}, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Transcode with a 1000-byte limit = %v, want ErrTooLarge", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Transcode(ctx, src.Hash, Rendition{Short: 1080, Limit: 64 << 20}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Transcode with a cancelled context = %v, want context.Canceled", err)
	}
	if left := filesUnder(t, s.Dir()); len(left) != 3 {
		t.Errorf("store holds %v; want the source and two renditions, no temporaries", left)
	}
}

func TestProbeUnreadable(t *testing.T) {
	testclip.Need(t)
	s := mustOpenStore(t)
	// An MP4 header and nothing playable after it.
	b := mustPut(t, s, append(ftyp("isom", "isom"), make([]byte, 2000)...))
	if _, err := s.Probe(context.Background(), b.Hash); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("Probe(garbage mp4) = %v, want ErrUnreadable", err)
	}
}

func containsBox(b []byte, box string) bool {
	for i := 4; i+4 <= len(b); i++ {
		if string(b[i:i+4]) == box {
			return true
		}
	}
	return false
}

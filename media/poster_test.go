package media

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireFFmpeg skips a test when ffmpeg is not installed, except under CI,
// where poster extraction must be tested (apt-get install ffmpeg).
func requireFFmpeg(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("ffmpeg not found on PATH, and CI is set: poster tests must run (apt-get install ffmpeg)")
		}
		tb.Skip("ffmpeg not found on PATH: poster extraction not tested (apt-get install ffmpeg)")
	}
	return path
}

func TestExtractPoster(t *testing.T) {
	requireFFmpeg(t)
	for _, name := range []string{"clip.mp4", "clip.webm"} {
		t.Run(name, func(t *testing.T) {
			s := mustOpenStore(t)
			video := mustPut(t, s, mustReadFixture(t, name))
			poster, err := s.ExtractPoster(context.Background(), video.Hash)
			if err != nil {
				t.Fatalf("ExtractPoster(%s) err = %v", name, err)
			}
			checkPoster(t, s, poster, 160, 120)
			if got := filesUnder(t, s.Dir()); len(got) != 2 {
				t.Fatalf("files after ExtractPoster = %v, want the video and the poster, no temporaries", got)
			}
		})
	}
}

// A clip shorter than the 0.5 s seek: ffmpeg exits 0 and writes nothing,
// and the first frame is taken instead.
func TestExtractPosterShortClip(t *testing.T) {
	ffmpeg := requireFFmpeg(t)
	clip := filepath.Join(t.TempDir(), "short.webm")
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "lavfi", "-i", "testsrc=duration=0.2:size=64x48:rate=10",
		"-c:v", "libvpx", "-b:v", "50k", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("making a short clip: %v: %s", err, out)
	}
	data, _ := os.ReadFile(clip)
	s := mustOpenStore(t)
	video := mustPut(t, s, data)
	poster, err := s.ExtractPoster(context.Background(), video.Hash)
	if err != nil {
		t.Fatalf("ExtractPoster(0.2 s clip) err = %v", err)
	}
	checkPoster(t, s, poster, 64, 48)
}

func checkPoster(t *testing.T, s *Store, poster Blob, w, h int) {
	t.Helper()
	if poster.Type != TypeJPEG || poster.Size == 0 {
		t.Fatalf("poster = %+v, want a non-empty image/jpeg", poster)
	}
	if err := s.Verify(poster.Hash); err != nil {
		t.Fatalf("Verify(poster) = %v", err)
	}
	f, err := s.Open(poster.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := jpeg.DecodeConfig(f)
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Fatalf("poster decodes as %dx%d, %v; want a %dx%d JPEG", cfg.Width, cfg.Height, err, w, h)
	}
}

func TestExtractPosterWithoutFFmpeg(t *testing.T) {
	s := mustOpenStore(t)
	s.lookPath = func(string) (string, error) { return "", exec.ErrNotFound }
	video := mustPut(t, s, mustReadFixture(t, "clip.mp4"))
	if _, err := s.ExtractPoster(context.Background(), video.Hash); !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("ExtractPoster without ffmpeg err = %v, want ErrNoFFmpeg", err)
	}
}

func TestExtractPosterRefuses(t *testing.T) {
	requireFFmpeg(t)
	s := mustOpenStore(t)
	png := mustPut(t, s, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	if _, err := s.ExtractPoster(context.Background(), png.Hash); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("ExtractPoster(png) err = %v, want ErrUnsupportedType", err)
	}
	if _, err := s.ExtractPoster(context.Background(), "../x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExtractPoster(../x) err = %v, want ErrNotFound", err)
	}
	if _, err := s.ExtractPoster(context.Background(), strings.Repeat("a", 64)); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExtractPoster(absent) err = %v, want ErrNotFound", err)
	}

	// Right magic, no video: ffmpeg fails, and says why.
	head := mustReadFixture(t, "clip.mp4")[:64]
	broken := mustPut(t, s, append(bytes.Clone(head), bytes.Repeat([]byte{0xAB}, 4096)...))
	if _, err := s.ExtractPoster(context.Background(), broken.Hash); err == nil || !strings.Contains(err.Error(), "ffmpeg") {
		t.Errorf("ExtractPoster(broken mp4) err = %v, want an ffmpeg error", err)
	}

	// A run past its timeout is killed.
	video := mustPut(t, s, mustReadFixture(t, "clip.webm"))
	s.posterTimeout = time.Nanosecond
	if _, err := s.ExtractPoster(context.Background(), video.Hash); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ExtractPoster past its timeout err = %v, want context.DeadlineExceeded", err)
	}

	hashes, _ := s.Hashes()
	if got := filesUnder(t, s.Dir()); len(got) != len(hashes) {
		t.Errorf("files after failed extractions = %v, want only the %d blobs", got, len(hashes))
	}
}

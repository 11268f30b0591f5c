package memstore

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vlogd/internal/powerfs"
)

// A poster that fails because the disk is full is retried, and made once
// space returns.
func TestPosterRetriedAfterDiskFull(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but ffmpeg is not on PATH")
		}
		t.Skip("ffmpeg is not on PATH")
	}
	f := powerfs.MustMount(t)
	logs := &syncLog{}
	s, err := Open(filepath.Join(f.Mountpoint(), "data"), Options{Logger: logs.logger(), PosterRetry: 10 * time.Millisecond, NoTranscode: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u, err := s.CreateUser("poster", "hash")
	if err != nil {
		t.Fatal(err)
	}
	clip, err := os.ReadFile(filepath.Join("..", "testdata", "media", "clip.webm"))
	if err != nil {
		t.Fatal(err)
	}
	video, release, err := s.PutVideo(bytes.NewReader(clip), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Room for the record, not for the poster's JPEG.
	f.SetCapacity(f.Used() + 1024)
	v, err := s.CreateVlog(u.ID, VlogInput{Title: "full", Video: video})
	release()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Count(logs.String(), "will retry") >= 2 })
	if got, _ := s.Vlog(v.ID); got.Video.Poster != "" {
		t.Fatal("a poster was made on a full disk")
	}
	f.SetCapacity(0)
	waitFor(t, func() bool { got, _ := s.Vlog(v.ID); return got.Video.Poster != "" })
}

// waitFor polls cond until it holds or the test's deadline nears.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Minute)
	}
	for !cond() {
		if time.Until(deadline) < 5*time.Second {
			t.Fatal("condition not reached before the test's deadline")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncLog collects a store's log lines for assertions.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *syncLog) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

package memstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "media", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustPutVideo(tb testing.TB, s *Store, content []byte) (*Video, func()) {
	tb.Helper()
	v, release, err := s.PutVideo(bytes.NewReader(content), 1<<20)
	if err != nil {
		tb.Fatalf("PutVideo err = %v", err)
	}
	return v, release
}

func TestVideoCreateReplaceRemove(t *testing.T) {
	opts := Options{NoSync: true, NoPosters: true, NoTranscode: true}
	s := MustOpenStore(t, "", opts)
	alice := mustUser(t, s, "alice")
	webm, release := mustPutVideo(t, s, readFixture(t, "clip.webm"))
	defer release()
	if webm.Type != "video/webm" || webm.Size != int64(len(readFixture(t, "clip.webm"))) || len(webm.Hash) != 64 {
		t.Fatalf("PutVideo = %+v", webm)
	}
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "clip", Video: webm})
	if err != nil || v.Video == nil || v.Video.Hash != webm.Hash {
		t.Fatalf("CreateVlog with video = %+v, %v", v, err)
	}
	f, err := s.OpenMedia(webm.Hash)
	if err != nil || f.Type != "video/webm" || f.Size != webm.Size {
		t.Fatalf("OpenMedia = %+v, %v", f, err)
	}
	f.Close()

	mp4, release2 := mustPutVideo(t, s, readFixture(t, "clip.mp4"))
	defer release2()
	e, err := s.EditVlog(v.ID, alice.ID, VlogInput{Title: "clip", Video: mp4})
	if err != nil || e.Video.Hash != mp4.Hash || e.Video.Type != "video/mp4" {
		t.Fatalf("replace video = %+v, %v", e, err)
	}
	e, err = s.EditVlog(v.ID, alice.ID, VlogInput{Title: "clip, text only"})
	if err != nil || e.Video == nil || e.Video.Hash != mp4.Hash {
		t.Fatalf("edit without a new video must keep it: %+v, %v", e, err)
	}
	s = reopen(t, s, opts)
	if got, _ := s.Vlog(v.ID); got.Video == nil || got.Video.Hash != mp4.Hash {
		t.Fatalf("after restart: %+v", got)
	}
	e, err = s.EditVlog(v.ID, alice.ID, VlogInput{Title: "no clip", RemoveVideo: true})
	if err != nil || e.Video != nil || e.ID != v.ID {
		t.Fatalf("remove video = %+v, %v", e, err)
	}
}

func TestPutVideoRefusesWhatIsNotVideo(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	for name, content := range map[string][]byte{
		"html renamed to mp4": readFixture(t, "disguised.mp4"),
		"empty":               nil,
		"text":                []byte("hello, world, this is not a video at all"),
	} {
		_, _, err := s.PutVideo(bytes.NewReader(content), 1<<20)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "video" {
			t.Errorf("%s: PutVideo err = %v, want a video ValidationError", name, err)
		}
	}
	_, _, err := s.PutVideo(bytes.NewReader(readFixture(t, "clip.webm")), 100)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("PutVideo over the limit err = %v, want ErrTooLarge", err)
	}
	if hashes, _ := s.media.Hashes(); len(hashes) != 0 {
		t.Fatalf("refused uploads left blobs: %v", hashes)
	}
}

// After compaction, blobs no vlog references are removed; referenced and
// held ones stay.
func TestUnreferencedBlobsCollected(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true, NoPosters: true, NoTranscode: true, BlobGrace: time.Nanosecond})
	alice := mustUser(t, s, "alice")
	kept, r1 := mustPutVideo(t, s, readFixture(t, "clip.webm"))
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "kept", Video: kept})
	if err != nil {
		t.Fatal(err)
	}
	r1()
	dropped, r2 := mustPutVideo(t, s, readFixture(t, "clip.mp4"))
	other, err := s.CreateVlog(alice.ID, VlogInput{Title: "dropped", Video: dropped})
	if err != nil {
		t.Fatal(err)
	}
	r2()
	held, r3 := mustPutVideo(t, s, append(readFixture(t, "clip.mp4"), 0)) // a distinct blob, not yet referenced
	defer r3()
	if err := s.DeleteVlog(other.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond) // past the 1 ns grace on coarse file clocks
	n, err := s.collectBlobs()
	if err != nil || n != 1 {
		t.Fatalf("collectBlobs = %d, %v; want 1 removed", n, err)
	}
	for hash, want := range map[string]bool{kept.Hash: true, dropped.Hash: false, held.Hash: true} {
		f, err := s.OpenMedia(hash)
		if (err == nil) != want {
			t.Errorf("blob %.12s present = %v, want %v", hash, err == nil, want)
		}
		if f != nil {
			f.Close()
		}
	}
	if got, _ := s.Vlog(v.ID); got.Video.Hash != kept.Hash {
		t.Fatal("the referenced video changed")
	}
}

func TestPosterExtractedWhenFFmpegInstalled(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg not on PATH and CI is set: poster tests must run")
		}
		t.Skip("ffmpeg not on PATH")
	}
	s := MustOpenStore(t, "", Options{NoSync: true, NoTranscode: true})
	alice := mustUser(t, s, "alice")
	video, release := mustPutVideo(t, s, readFixture(t, "clip.mp4"))
	defer release()
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "with poster", Video: video})
	if err != nil {
		t.Fatal(err)
	}
	s.bg.Wait() // the extraction runs in the background
	got, _ := s.Vlog(v.ID)
	if got.Video == nil || got.Video.Poster == "" {
		t.Fatalf("no poster recorded: %+v", got.Video)
	}
	f, err := s.OpenMedia(got.Video.Poster)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head, _ := io.ReadAll(io.LimitReader(f, 3))
	if f.Type != "image/jpeg" || !bytes.Equal(head, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("poster type %q head %x, want a JPEG", f.Type, head)
	}
	if !strings.EqualFold(got.Video.Hash, video.Hash) {
		t.Fatal("poster changed the video")
	}
}

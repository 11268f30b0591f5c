package memstore

import (
	"bytes"
	"os"
	"slices"
	"testing"
	"time"

	"vlogd/internal/testclip"
)

// waitJob polls vlog id until its video's job is no longer unfinished, or
// fails the test shortly before its deadline.
func waitJob(tb testing.TB, s *Store, id uint64) *Video {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := t.Deadline(); ok {
			deadline = d.Add(-10 * time.Second)
		}
	}
	for {
		v, err := s.Vlog(id)
		if err != nil {
			tb.Fatalf("Vlog(%d): %v", id, err)
		}
		if !v.Video.Job.Unfinished() {
			return v.Video
		}
		if time.Now().After(deadline) {
			tb.Fatalf("job of vlog %d still %s at %d%% by the deadline", id, v.Video.Job, v.Video.Percent)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func putClip(tb testing.TB, s *Store, c testclip.Clip) (*Video, func()) {
	tb.Helper()
	f, err := os.Open(testclip.Make(tb, c))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	v, release, err := s.PutVideo(f, 64<<20)
	if err != nil {
		tb.Fatalf("PutVideo(%s): %v", c.Name, err)
	}
	return v, release
}

// An iPhone-style QuickTime HEVC file is accepted, probed, queued, and
// transcoded in the background; the result survives a restart and its
// blobs are kept by garbage collection until the vlog goes.
func TestVideoJobTranscodes(t *testing.T) {
	opts := Options{NoSync: true, NoPosters: true, TranscodeJobs: 1, BlobGrace: time.Nanosecond}
	s := MustOpenStore(t, "", opts)
	alice := mustUser(t, s, "alice")
	video, release := putClip(t, s, testclip.Clip{Name: "iphone.mov", Format: "mov", Video: "libx265", Audio: "aac", Width: 128, Height: 72, Seconds: 1})
	if video.Type != "video/quicktime" || video.Job != JobQueued || video.Width != 128 || video.Height != 72 ||
		video.VideoCodec != "hevc" || video.AudioCodec != "aac" || video.Duration < 500*time.Millisecond {
		t.Fatalf("PutVideo = %+v; want a probed QuickTime HEVC video with a queued job", video)
	}
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "from my phone", Video: video})
	release()
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, s, v.ID)
	if done.Job != JobReady || len(done.Renditions) != 1 || done.Attempts != 1 || done.Percent != 100 {
		t.Fatalf("job ended as %+v; want ready with one rendition after one attempt", done)
	}
	r := done.Renditions[0]
	if r.Width != 128 || r.Height != 72 || r.Size <= 0 {
		t.Fatalf("rendition %+v; want 128x72 (never larger than the source)", r)
	}
	f, err := s.OpenMedia(r.Hash)
	if err != nil || f.Type != "video/mp4" {
		t.Fatalf("rendition blob: %+v, %v", f, err)
	}
	f.Close()

	s = reopen(t, s, opts)
	again, _ := s.Vlog(v.ID)
	if again.Video.Job != JobReady || !slices.Equal(again.Video.Renditions, done.Renditions) || again.Video.Duration != done.Duration {
		t.Fatalf("after restart: %+v, want %+v", again.Video, done)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, opts)
	if again, _ := s.Vlog(v.ID); again.Video.Job != JobReady || len(again.Video.Renditions) != 1 {
		t.Fatalf("after a snapshot and restart: %+v", again.Video)
	}

	time.Sleep(time.Millisecond)
	if n, err := s.collectBlobs(); err != nil || n != 0 {
		t.Fatalf("collectBlobs with the vlog alive = %d, %v; want nothing removed", n, err)
	}
	if err := s.DeleteVlog(v.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.collectBlobs(); err != nil || n != 2 {
		t.Fatalf("collectBlobs after delete = %d, %v; want the original and its rendition removed", n, err)
	}
}

// Jobs that were queued or running when the server stopped are picked up
// at the next start; one that was started too often is given up.
func TestVideoJobsResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	off := Options{NoSync: true, NoPosters: true, NoTranscode: true}
	s := MustOpenStore(t, dir, off)
	alice := mustUser(t, s, "alice")
	testclip.Need(t)
	var ids []uint64
	for i, state := range []struct {
		job      JobState
		attempts int
	}{{JobQueued, 0}, {JobProcessing, 1}, {JobProcessing, maxAttempts}} {
		path := testclip.Make(t, testclip.Clip{Name: "c.mkv", Format: "matroska", Video: "libx264", Width: 64 + 16*i, Height: 48, Seconds: 1})
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.media.Put(bytesReader(content), 1<<20, []string{"video/x-matroska"})
		if err != nil {
			t.Fatal(err)
		}
		// As the log holds them after a crash mid-job.
		video := &Video{Hash: b.Hash, Type: b.Type, Size: b.Size, Width: 64 + 16*i, Height: 48, Duration: time.Second,
			Job: state.job, Attempts: state.attempts}
		res, err := s.commit(&op{Kind: opCreateVlog, At: time.Now(), UserID: alice.ID, Title: "clip", Video: video})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.vlog.ID)
	}
	if s.Transcoding() == nil {
		t.Fatal("Transcoding() = nil with NoTranscode set")
	}
	s = reopen(t, s, Options{NoSync: true, NoPosters: true, TranscodeJobs: 2})
	for i, id := range ids[:2] {
		if v := waitJob(t, s, id); v.Job != JobReady || len(v.Renditions) != 1 || v.Renditions[0].Width != 64+16*i {
			t.Errorf("vlog %d job = %+v, want ready", id, v)
		}
	}
	if v := waitJob(t, s, ids[2]); v.Job != JobFailed || v.Failure == "" || len(v.Renditions) != 0 {
		t.Errorf("vlog %d job = %+v, want failed after %d attempts", ids[2], v, maxAttempts)
	}
}

func TestRenditionPlan(t *testing.T) {
	for _, tt := range []struct {
		w, h int
		want []int
	}{
		{3840, 2160, []int{1080, 480}},
		{1080, 1920, []int{1080, 480}},
		{1280, 720, []int{720, 480}},
		{854, 480, []int{480}},
		{160, 120, []int{120}},
		{0, 0, []int{1080}},
	} {
		if got := renditionPlan(tt.w, tt.h); !slices.Equal(got, tt.want) {
			t.Errorf("renditionPlan(%d, %d) = %v, want %v", tt.w, tt.h, got, tt.want)
		}
	}
}

// Job records for a video that was replaced meanwhile change nothing, and
// a job op out of turn is refused, live and on replay alike.
func TestJobOpsFollowTheVideo(t *testing.T) {
	st := newState()
	st.addUser(&User{ID: 1, Name: "alice"})
	st.nextUserID = 2
	res := st.apply(&op{Kind: opCreateVlog, UserID: 1, Title: "t", Video: &Video{Hash: "a", Job: JobQueued}})
	id := res.vlog.ID
	steps := []struct {
		o       op
		wantErr bool
		job     JobState
	}{
		{op{Kind: opJobProgress, ID: id, Hash: "a", Percent: 5}, true, JobQueued}, // not started
		{op{Kind: opJobStart, ID: id, Hash: "b"}, true, JobQueued},                // another video
		{op{Kind: opJobStart, ID: id, Hash: "a"}, false, JobProcessing},
		{op{Kind: opJobProgress, ID: id, Hash: "a", Percent: 150}, false, JobProcessing},
		{op{Kind: opJobFail, ID: id, Hash: "a", Reason: "x", Retry: true}, false, JobQueued},
		{op{Kind: opJobStart, ID: id, Hash: "a"}, false, JobProcessing},
		{op{Kind: opJobDone, ID: id, Hash: "a", Renditions: []Rendition{{Hash: "r"}}}, false, JobReady},
		{op{Kind: opJobFail, ID: id, Hash: "a", Reason: "late"}, true, JobReady},
	}
	for i, step := range steps {
		res := st.apply(&step.o)
		if (res.err != nil) != step.wantErr {
			t.Errorf("step %d %v: err = %v, want error %v", i, step.o.Kind, res.err, step.wantErr)
		}
		if got := st.vlogs[id].Video; got.Job != step.job || got.Percent > 100 {
			t.Errorf("step %d %v: job %s %d%%, want %s", i, step.o.Kind, got.Job, got.Percent, step.job)
		}
	}
	if v := st.vlogs[id].Video; v.Attempts != 2 || v.Failure != "" || v.Renditions[0].Hash != "r" {
		t.Errorf("final video %+v", v)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

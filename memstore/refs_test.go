package memstore

import (
	"testing"
)

// ReferencedBlobs names every blob any kept snapshot or record mentions,
// including videos whose vlog was deleted since (a point-in-time restore
// before the delete needs them), and nothing else.
func TestReferencedBlobs(t *testing.T) {
	opts := Options{NoSync: true, NoPosters: true, NoTranscode: true}
	dir := t.TempDir()
	s := MustOpenStore(t, dir, opts)
	alice := mustUser(t, s, "alice")
	video, release := mustPutVideo(t, s, readFixture(t, "clip.webm"))
	defer release()
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "with video", Video: video})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVlog(v.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	unreferenced, release2 := mustPutVideo(t, s, readFixture(t, "clip.mp4"))
	defer release2()
	refs, err := ReferencedBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !refs[video.Hash] || refs[unreferenced.Hash] || len(refs) != 1 {
		t.Fatalf("ReferencedBlobs = %v, want only the deleted vlog's video %s", refs, video.Hash)
	}
}

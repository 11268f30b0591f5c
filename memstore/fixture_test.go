package memstore

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"vlogd/wal"
)

var update = flag.Bool("update", false, "rewrite testdata/data/v2 (the current format) from the current code")

// fixtureDirs are whole data directories, one per snapshot format (v1: one
// msgpack stream; v2: sections in checksummed chunks), each with the same
// state: snapshot, log records after it, and a media blob. Each must keep
// loading, with the same state, for as long as vlogd exists (DESIGN.md:
// formats are versioned; a fixture of every released format lives in
// testdata/). fixtureDir is the current format's, which -update rewrites.
var (
	fixtureDirs = map[int]string{
		1: filepath.Join("..", "testdata", "data", "v1"),
		2: filepath.Join("..", "testdata", "data", "v2"),
	}
	fixtureDir = fixtureDirs[2]
)

// writeFixture builds fixtureDir: users, sessions, vlogs with an edit, a
// delete and a video, comments and likes, half of it in a snapshot and the
// rest only in the log.
func writeFixture(t *testing.T) {
	if err := os.RemoveAll(fixtureDir); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s, err := Open(fixtureDir, Options{NoPosters: true, NoTranscode: true, Now: func() time.Time { clock = clock.Add(time.Minute); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := s.CreateUser("alice", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	bob, _ := s.CreateUser("Bob", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	s.CreateSession("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", alice.ID, 100*365*24*time.Hour)
	v1, _ := s.CreateVlog(alice.ID, VlogInput{Title: "First day", Body: "Hello.\nSecond line."})
	v2, _ := s.CreateVlog(bob.ID, VlogInput{Title: "Deleted later", Body: "gone"})
	video, release, err := s.PutVideo(bytes.NewReader(readFixture(t, "clip.webm")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	v3, _ := s.CreateVlog(alice.ID, VlogInput{Title: "A clip", Body: "with video", Video: video})
	release()
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	s.EditVlog(v1.ID, alice.ID, VlogInput{Title: "First day (edited)", Body: "Hello again."})
	s.DeleteVlog(v2.ID, bob.ID)
	c, _ := s.AddComment(v3.ID, bob.ID, "Nice clip!")
	s.AddComment(v3.ID, alice.ID, "Thanks")
	s.AddComment(v1.ID, bob.ID, "to be deleted")
	s.DeleteComment(v1.ID, c.ID+2, bob.ID)
	s.SetLike(v3.ID, bob.ID, true)
	s.SetLike(v3.ID, alice.ID, true)
	s.SetLike(v1.ID, bob.ID, true)
	s.SetLike(v1.ID, bob.ID, false)
	// Close without the final snapshot, so loading replays the log too.
	s.bg.Wait()
	s.bgStop()
	if err := s.log.Close(); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(fixtureDir, "LOCK"))
}

func TestDataFixturesKeepLoading(t *testing.T) {
	if *update {
		writeFixture(t)
	}
	for version, fixture := range fixtureDirs {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			snaps, err := wal.Snapshots(filepath.Join(fixture, "snap"))
			if err != nil || len(snaps) != 1 {
				t.Fatalf("fixture snapshots %v, %v; want one", snaps, err)
			}
			r, err := wal.OpenSnapshot(snaps[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			if r.Version != version {
				t.Fatalf("%s is format %d, want %d", snaps[0].Path, r.Version, version)
			}
			checkFixture(t, fixture)
		})
	}
}

// checkFixture opens a copy of a fixture directory and checks every part
// of the state it holds.
func checkFixture(t *testing.T, fixture string) {
	dir := t.TempDir()
	copyDir(t, fixture, dir)
	s := MustOpenStore(t, dir, Options{NoSync: true, NoPosters: true, NoTranscode: true})
	r := s.Recovery()
	if r.SnapshotSeq == 0 || r.Replayed == 0 {
		t.Fatalf("fixture recovered with snapshot seq %d and %d replayed records; want both", r.SnapshotSeq, r.Replayed)
	}
	p := s.Vlogs(Cursor{}, 10)
	titles := []string{}
	for _, v := range p.Vlogs {
		titles = append(titles, v.Title)
	}
	if !slices.Equal(titles, []string{"A clip", "First day (edited)"}) {
		t.Fatalf("vlogs = %q", titles)
	}
	clip, first := p.Vlogs[0], p.Vlogs[1]
	if !first.Edited() || first.Body != "Hello again." || first.Author != "alice" {
		t.Fatalf("edited vlog = %+v", first)
	}
	if clip.Video == nil || clip.Video.Type != "video/webm" || clip.Video.Size != int64(len(readFixture(t, "clip.webm"))) {
		t.Fatalf("video = %+v", clip.Video)
	}
	f, err := s.OpenMedia(clip.Video.Hash)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, readFixture(t, "clip.webm")) {
		t.Fatal("the fixture's blob differs from clip.webm")
	}
	if cs := s.Comments(clip.ID); len(cs) != 2 || cs[0].Body != "Nice clip!" || cs[0].Author != "Bob" || s.CommentCount(first.ID) != 0 {
		t.Fatalf("comments = %v", cs)
	}
	if s.LikeCount(clip.ID) != 2 || s.LikeCount(first.ID) != 0 {
		t.Fatalf("likes = %d, %d", s.LikeCount(clip.ID), s.LikeCount(first.ID))
	}
	if _, u, err := s.Session("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); err != nil || u.Name != "alice" {
		t.Fatalf("session: %v, %v", u, err)
	}
	if u, err := s.UserByName("bob"); err != nil || u.Name != "Bob" {
		t.Fatalf("user bob: %v, %v", u, err)
	}
	if v, _ := s.CreateVlog(first.AuthorID, VlogInput{Title: "next"}); v.ID != 4 {
		t.Fatalf("next vlog ID = %d, want 4", v.ID)
	}
}

// Inspect reads the same state as Open, without the lock or any change.
func TestInspectMatchesOpen(t *testing.T) {
	for _, fixtureDir := range fixtureDirs {
		inspectMatchesOpen(t, fixtureDir)
	}
}

func inspectMatchesOpen(t *testing.T, fixtureDir string) {
	dir := t.TempDir()
	copyDir(t, fixtureDir, dir)
	in, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "LOCK")); err == nil {
		t.Fatal("Inspect created the lock file")
	}
	s := MustOpenStore(t, dir, Options{NoSync: true, NoPosters: true, NoTranscode: true})
	clip := s.Vlogs(Cursor{}, 1).Vlogs[0]
	if in.LastSeq != s.Recovery().LastSeq || in.Vlogs != s.VlogCount() || in.Users != 2 || !slices.Equal(in.Blobs, []string{clip.Video.Hash}) {
		t.Fatalf("Inspect = %+v; Open has seq %d, %d vlogs, blob %s", in, s.Recovery().LastSeq, s.VlogCount(), clip.Video.Hash)
	}
}

func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

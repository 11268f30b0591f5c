package memstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"vlogd/wal"
)

// TestRestartAnswersTheSame builds a random corpus (users, vlogs, edits,
// deletes, comments, likes), writes a snapshot half way and goes on, so
// that recovery reads a snapshot and replays a log; then it checks that
// every search, every page of the listing and of each user's page, and
// every vlog's comments and likes read the same after a restart as
// before. It runs with the snapshot in format 2 (as written) and again
// with the same state written in format 1, which older versions wrote.
func TestRestartAnswersTheSame(t *testing.T) {
	for _, format := range []int{1, 2} {
		t.Run(fmt.Sprintf("format%d", format), func(t *testing.T) {
			for seed := range uint64(3) {
				restartAnswersTheSame(t, format, seed)
			}
		})
	}
}

func restartAnswersTheSame(t *testing.T, format int, seed uint64) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true, NoPosters: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	vocab := strings.Fields("sun rain Snow wind river Stone tree bird fish cloud Straße café 東京 naïve x2 2026 Über über")
	text := func(n int) string {
		var b strings.Builder
		for range 1 + rng.IntN(n) {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			b.WriteString([]string{" ", ". ", ",\n", "-", "!"}[rng.IntN(5)])
		}
		return b.String()
	}
	title := func() string { return strings.ReplaceAll(text(4), "\n", " ") }
	var users []*User
	for i := range 6 {
		u, err := s.CreateUser(fmt.Sprintf("user%d", i), "hash")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	var ids []uint64
	step := func() {
		u := users[rng.IntN(len(users))]
		switch r := rng.IntN(10); {
		case r < 5 || len(ids) == 0:
			v, err := s.CreateVlog(u.ID, VlogInput{Title: title(), Body: text(30)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
		case r < 7:
			v, err := s.Vlog(ids[rng.IntN(len(ids))])
			if err == nil {
				s.EditVlog(v.ID, v.AuthorID, VlogInput{Title: title(), Body: text(30)})
			}
		case r < 8:
			v, err := s.Vlog(ids[rng.IntN(len(ids))])
			if err == nil {
				s.DeleteVlog(v.ID, v.AuthorID)
			}
		case r < 9:
			s.AddComment(ids[rng.IntN(len(ids))], u.ID, text(5))
		default:
			s.SetLike(ids[rng.IntN(len(ids))], u.ID, rng.IntN(3) > 0)
		}
	}
	for range 300 {
		step()
	}
	s.mu.Lock()
	v1, snapSeq := encodeFormat1(t, s.st, s.now()), s.seq
	s.mu.Unlock()
	if err := s.Snapshot(); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		step()
	}
	before := answers(s, vocab, users)
	// Stop without a final snapshot, so that recovery replays the log.
	s.bgStop()
	s.bg.Wait()
	if err := s.log.Close(); err != nil {
		t.Fatal(err)
	}
	if format == 1 {
		replaceSnapshots(t, dir, snapSeq, v1)
	}

	s = MustOpenStore(t, dir, Options{NoSync: true, NoPosters: true})
	if r := s.Recovery(); r.SnapshotSeq != snapSeq || r.Replayed == 0 {
		t.Fatalf("recovered from snapshot %d with %d replayed; want snapshot %d and a replay", r.SnapshotSeq, r.Replayed, snapSeq)
	}
	after := answers(s, vocab, users)
	if len(before) != len(after) {
		t.Fatalf("%d answers before the restart, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("seed %d: answer %d differs after the restart:\nbefore %s\nafter  %s", seed, i, before[i], after[i])
		}
	}
}

// answers renders everything a reader can ask for, one string per answer.
func answers(s *Store, vocab []string, users []*User) []string {
	var out []string
	page := func(what string, get func(Cursor) Page) {
		// Every page, older and back newer, so that both cursors count.
		var c Cursor
		for {
			p := get(c)
			out = append(out, what+" "+renderPage(s, p))
			if p.Older == 0 {
				break
			}
			c = Cursor{Before: p.Older}
		}
		for {
			p := get(c)
			out = append(out, what+" back "+renderPage(s, p))
			if p.Newer == 0 {
				break
			}
			c = Cursor{After: p.Newer}
		}
	}
	page("list", func(c Cursor) Page { return s.Vlogs(c, 7) })
	for _, u := range users {
		page("user "+u.Name, func(c Cursor) Page { return s.VlogsBy(u.ID, c, 5) })
		got, err := s.UserByName(strings.ToUpper(u.Name))
		out = append(out, fmt.Sprintf("user %v %v", got, err))
	}
	for i, w := range vocab {
		page("search "+w, func(c Cursor) Page { return s.Search(w, c, 6) })
		q := w + " " + vocab[(i+3)%len(vocab)]
		page("search "+q, func(c Cursor) Page { return s.Search(q, c, 4) })
	}
	return out
}

func renderPage(s *Store, p Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "older %d newer %d:", p.Older, p.Newer)
	for _, v := range p.Vlogs {
		fmt.Fprintf(&b, " [%d %d %q %q %q %d %d %v likes %d comments", v.ID, v.AuthorID, v.Author, v.Title, v.Body,
			v.Created.UnixNano(), v.Updated.UnixNano(), v.Edited(), s.LikeCount(v.ID))
		for _, c := range s.Comments(v.ID) {
			fmt.Fprintf(&b, " (%d %d %q %q %d)", c.ID, c.AuthorID, c.Author, c.Body, c.Created.UnixNano())
		}
		b.WriteString("]")
	}
	return b.String()
}

// encodeFormat1 encodes st as format 1 wrote it: a header map, then one
// msgpack map per user, session, vlog, comment, like and invite.
func encodeFormat1(t *testing.T, st *state, now time.Time) []byte {
	v := st.view(now)
	st.orderShared = false // the view is used before any change
	var b strings.Builder
	enc := msgpack.NewEncoder(&b)
	hdr := snapshotHeader{Version: snapshotVersion1, NextVlogID: v.next[0], NextUserID: v.next[1],
		NextCommentID: v.next[2], NextInviteID: v.next[3], Users: len(v.users), Sessions: len(v.sessions),
		Vlogs: len(v.vlogs), Comments: len(v.comments), Likes: len(v.likes), Invites: len(v.invites)}
	items := []any{&hdr}
	for _, x := range v.users {
		items = append(items, x)
	}
	for _, x := range v.sessions {
		items = append(items, x)
	}
	for _, x := range v.vlogs {
		items = append(items, x)
	}
	for _, x := range v.comments {
		items = append(items, x)
	}
	for _, x := range v.likes {
		items = append(items, &x)
	}
	for _, x := range v.invites {
		items = append(items, x)
	}
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
	}
	return []byte(b.String())
}

// replaceSnapshots removes dir's snapshots and writes payload as a version
// 1 snapshot file at seq, byte for byte as format 1 was written.
func replaceSnapshots(t *testing.T, dir string, seq uint64, payload []byte) {
	snapDir := filepath.Join(dir, "snap")
	snaps, err := wal.Snapshots(snapDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		os.Remove(s.Path)
	}
	b := append([]byte("VLOGSNAP"), 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = append(b, payload...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	name := fmt.Sprintf("%016x-%016x.snap", seq, 1)
	if err := os.WriteFile(filepath.Join(snapDir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

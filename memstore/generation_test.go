package memstore

import (
	"testing"
	"time"
)

// Every change a page could show moves Generation before the writer is
// answered; signing in and out does not.
func TestGeneration(t *testing.T) {
	s := MustOpenStore(t, t.TempDir(), Options{NoSync: true, NoPosters: true})
	last := s.Generation()
	step := func(what string, moves bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		g := s.Generation()
		if moved := g != last; moved != moves || g < last {
			t.Fatalf("%s: Generation %d → %d, want moved = %v", what, last, g, moves)
		}
		last = g
	}
	u, err := s.CreateUser("gen_user", "$argon2id$x")
	step("create user", true, err)
	_, err = s.CreateSession("hash", u.ID, time.Hour)
	step("create session", false, err)
	v, err := s.CreateVlog(u.ID, VlogInput{Title: "t"})
	step("create vlog", true, err)
	_, err = s.EditVlog(v.ID, u.ID, VlogInput{Title: "t2"})
	step("edit vlog", true, err)
	c, err := s.AddComment(v.ID, u.ID, "c")
	step("comment", true, err)
	step("like", true, s.SetLike(v.ID, u.ID, true))
	step("delete comment", true, s.DeleteComment(v.ID, c.ID, u.ID))
	step("delete session", false, s.DeleteSession("hash"))
	step("delete vlog", true, s.DeleteVlog(v.ID, u.ID))
}

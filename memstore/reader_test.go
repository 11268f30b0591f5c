package memstore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestComments(t *testing.T) {
	opts := Options{NoSync: true}
	s := MustOpenStore(t, "", opts)
	alice, bob, carol := mustUser(t, s, "alice"), mustUser(t, s, "bob"), mustUser(t, s, "carol")
	v, _ := s.CreateVlog(alice.ID, VlogInput{Title: "talk"})

	for _, tt := range []struct {
		body  string
		field string
	}{{"", "body"}, {"   \n ", "body"}, {strings.Repeat("x", MaxCommentRunes+1), "body"}, {strings.Repeat("é", MaxCommentRunes), ""}} {
		_, err := s.AddComment(v.ID, bob.ID, tt.body)
		var ve *ValidationError
		if (tt.field == "") != (err == nil) || (err != nil && (!errors.As(err, &ve) || ve.Field != tt.field)) {
			t.Errorf("AddComment(%d chars) err = %v, want field %q", len(tt.body), err, tt.field)
		}
	}
	if _, err := s.AddComment(999, bob.ID, "hi"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("comment on a missing vlog err = %v, want ErrNotFound", err)
	}
	c1, _ := s.AddComment(v.ID, bob.ID, " first ")
	c2, _ := s.AddComment(v.ID, carol.ID, "second")
	c3, _ := s.AddComment(v.ID, bob.ID, "third")
	if c1.Body != "first" || c1.Author != "bob" {
		t.Fatalf("comment = %+v", c1)
	}
	// Only the comment's author or the vlog's author may delete it.
	if err := s.DeleteComment(v.ID, c2.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bob deleting carol's comment err = %v, want ErrForbidden", err)
	}
	if err := s.DeleteComment(v.ID, c2.ID, carol.ID); err != nil {
		t.Fatalf("carol deleting her comment: %v", err)
	}
	if err := s.DeleteComment(v.ID, c3.ID, alice.ID); err != nil {
		t.Fatalf("the vlog's author deleting a comment: %v", err)
	}
	if err := s.DeleteComment(v.ID+1, c1.ID, alice.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting through the wrong vlog err = %v, want ErrNotFound", err)
	}
	s = reopen(t, s, opts)
	// The longest valid comment from the table, then c1, oldest first.
	got := s.Comments(v.ID)
	if len(got) != 2 || got[0].ID != c1.ID-1 || got[1].ID != c1.ID || s.CommentCount(v.ID) != 2 {
		t.Fatalf("after restart %d comments, want IDs %d and %d", len(got), c1.ID-1, c1.ID)
	}
	// Comments disappear with their vlog; their IDs are not reused.
	if err := s.DeleteVlog(v.ID, alice.ID); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, opts)
	if n := len(s.st.comments); n != 0 {
		t.Fatalf("%d comments outlived their vlog", n)
	}
	w, _ := s.CreateVlog(alice.ID, VlogInput{Title: "again"})
	if c, _ := s.AddComment(w.ID, bob.ID, "new"); c.ID <= c3.ID {
		t.Fatalf("comment ID %d reused (had %d)", c.ID, c3.ID)
	}
}

func TestLikes(t *testing.T) {
	opts := Options{NoSync: true}
	s := MustOpenStore(t, "", opts)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	v, _ := s.CreateVlog(alice.ID, VlogInput{Title: "likeable"})
	if err := s.SetLike(999, bob.ID, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("like of a missing vlog err = %v, want ErrNotFound", err)
	}
	for range 2 { // one like per user, however often they ask
		if err := s.SetLike(v.ID, bob.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	s.SetLike(v.ID, alice.ID, true)
	if n := s.LikeCount(v.ID); n != 2 || !s.Liked(v.ID, bob.ID) {
		t.Fatalf("LikeCount = %d, Liked(bob) = %v; want 2, true", n, s.Liked(v.ID, bob.ID))
	}
	s.SetLike(v.ID, bob.ID, false)
	s = reopen(t, s, opts)
	if n := s.LikeCount(v.ID); n != 1 || s.Liked(v.ID, bob.ID) || !s.Liked(v.ID, alice.ID) {
		t.Fatalf("after restart: %d likes, bob %v, alice %v", n, s.Liked(v.ID, bob.ID), s.Liked(v.ID, alice.ID))
	}
	s.DeleteVlog(v.ID, alice.ID)
	if len(s.st.likes) != 0 {
		t.Fatal("likes outlived their vlog")
	}
}

func TestVlogsBy(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	var mine []uint64
	for i := range 30 {
		by := bob
		if i%3 == 0 {
			by = alice
		}
		v, _ := s.CreateVlog(by.ID, VlogInput{Title: fmt.Sprint(i)})
		if by == alice {
			mine = append([]uint64{v.ID}, mine...)
		}
	}
	s.DeleteVlog(mine[1], alice.ID)
	mine = slices.Delete(mine, 1, 2)
	s.EditVlog(mine[0], alice.ID, VlogInput{Title: "edited"})
	p := s.VlogsBy(alice.ID, Cursor{}, 100)
	if !slices.Equal(ids(p.Vlogs), mine) || p.Vlogs[0].Title != "edited" {
		t.Fatalf("VlogsBy(alice) = %v, want %v with the edit", ids(p.Vlogs), mine)
	}
}

func TestSearch(t *testing.T) {
	opts := Options{NoSync: true}
	s := MustOpenStore(t, "", opts)
	alice := mustUser(t, s, "alice")
	create := func(title, body string) uint64 {
		v, err := s.CreateVlog(alice.ID, VlogInput{Title: title, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	a := create("Cooking pasta", "Boil the water. Salt it!")
	b := create("Hiking", "Water bottles and boots")
	c := create("Pasta again", "With WATER and tomatoes")
	d := create("Café", "crème brûlée")
	tests := []struct {
		q    string
		want []uint64
	}{
		{"water", []uint64{c, b, a}},
		{"WATER pasta", []uint64{c, a}},
		{"pasta water salt", []uint64{a}},
		{"café", []uint64{d}},
		{"brûlée CRÈME", []uint64{d}},
		{"wat", nil}, // whole words
		{"", nil},
		{"  ...  ", nil},
		{"water nothing", nil},
	}
	check := func(stage string) {
		t.Helper()
		for _, tt := range tests {
			if got := ids(s.Search(tt.q, Cursor{}, 10).Vlogs); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("%s: Search(%q) = %v, want %v", stage, tt.q, got, tt.want)
			}
		}
	}
	check("live")
	s = reopen(t, s, opts)
	check("after restart")

	// Edits re-index; deletes drop out.
	s.EditVlog(b, alice.ID, VlogInput{Title: "Hiking", Body: "boots only"})
	s.DeleteVlog(a, alice.ID)
	if got := ids(s.Search("water", Cursor{}, 10).Vlogs); !slices.Equal(got, []uint64{c}) {
		t.Fatalf("after edit and delete Search(water) = %v, want [%d]", got, c)
	}
	if got := ids(s.Search("boots", Cursor{}, 10).Vlogs); !slices.Equal(got, []uint64{b}) {
		t.Fatalf("Search(boots) = %v", got)
	}
}

func TestSearchPaging(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	alice := mustUser(t, s, "alice")
	var want []uint64
	for i := range 50 {
		body := "plain"
		if i%2 == 0 {
			body = "needle in here"
		}
		v, _ := s.CreateVlog(alice.ID, VlogInput{Title: fmt.Sprint("v", i), Body: body})
		switch {
		case i%10 == 4: // deleted matches never show up
			s.DeleteVlog(v.ID, alice.ID)
		case i%2 == 0:
			want = append([]uint64{v.ID}, want...)
		}
	}
	var got []uint64
	c := Cursor{}
	pages := 0
	for {
		p := s.Search("needle", c, 7)
		got = append(got, ids(p.Vlogs)...)
		pages++
		if pages > 1 && p.Newer == 0 {
			t.Fatalf("page %d has no link back to newer results", pages)
		}
		if p.Older == 0 {
			break
		}
		c = Cursor{Before: p.Older}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged search = %v, want %v", got, want)
	}
	// And back up from the last page.
	last := s.Search("needle", Cursor{Before: want[len(want)-4]}, 7)
	newer := s.Search("needle", Cursor{After: last.Newer}, 7)
	if w := want[len(want)-3-7 : len(want)-3]; !slices.Equal(ids(newer.Vlogs), w) {
		t.Fatalf("Search after %d = %v, want %v", last.Newer, ids(newer.Vlogs), w)
	}
}

package memstore

import (
	"errors"
	"strings"
	"testing"
)

// A vlog with a bad title and a bad body reports both, and errors.As still
// finds the first for callers that look for one.
func TestValidationReportsEveryField(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	author := mustUser(t, s, "alice")
	_, err := s.CreateVlog(author.ID, VlogInput{Title: "", Body: strings.Repeat("x", MaxBodyBytes+1)})
	es := Invalid(err)
	if len(es) != 2 || es[0].Field != "title" || es[1].Field != "body" {
		t.Fatalf("CreateVlog err = %v; Invalid = %v, want title then body", err, es)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "title" {
		t.Fatalf("errors.As(%v) = %v, want the title error", err, ve)
	}
	if s.VlogCount() != 0 {
		t.Fatal("invalid input stored a vlog")
	}
	// One wrong field is still a lone *ValidationError.
	_, err = s.CreateVlog(author.ID, VlogInput{Title: "ok", Body: "\xff"})
	if _, lone := err.(*ValidationError); !lone || len(Invalid(err)) != 1 {
		t.Fatalf("CreateVlog err = %#v, want one *ValidationError", err)
	}
	if Invalid(ErrNotFound) != nil || Invalid(nil) != nil {
		t.Fatal("Invalid of a non-validation error is not nil")
	}
}

// Pages know where they are in their listing: "vlogs 21–40 of 62".
func TestPageTotalAndOffset(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	for range 62 {
		mustCreate(t, s, "v")
	}
	if err := s.DeleteVlog(62, mustUser(t, s, "alice").ID); err != nil {
		t.Fatal(err)
	}
	// 61 left, IDs 1–61, newest first.
	tests := []struct {
		c             Cursor
		total, offset int
		first         uint64
	}{
		{Cursor{}, 61, 0, 61},
		{Cursor{Before: 42}, 61, 20, 41},
		{Cursor{Before: 22}, 61, 40, 21},
		{Cursor{After: 21}, 61, 20, 41},
	}
	for _, tt := range tests {
		p := s.Vlogs(tt.c, 20)
		if p.Total != tt.total || p.Offset != tt.offset || p.Vlogs[0].ID != tt.first {
			t.Errorf("Vlogs(%+v): total %d offset %d first %d; want %d %d %d", tt.c, p.Total, p.Offset, p.Vlogs[0].ID, tt.total, tt.offset, tt.first)
		}
	}
	bob := mustUser(t, s, "bob")
	for range 3 {
		if _, err := s.CreateVlog(bob.ID, VlogInput{Title: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if p := s.VlogsBy(bob.ID, Cursor{}, 2); p.Total != 3 || p.Offset != 0 || len(p.Vlogs) != 2 {
		t.Fatalf("VlogsBy: total %d offset %d len %d, want 3 0 2", p.Total, p.Offset, len(p.Vlogs))
	}
}

func TestSearchCount(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	alice := mustUser(t, s, "alice")
	for i := range 30 {
		title := "red fox"
		if i%3 == 0 {
			title = "red hen"
		}
		if _, err := s.CreateVlog(alice.ID, VlogInput{Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	// IDs 1, 4, …, 28 are hens (10); the other 20 are foxes.
	if err := s.DeleteVlog(2, alice.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q            string
		newerThan    uint64
		total, newer int
	}{
		{"red", 0, 29, 29},
		{"RED fox", 0, 19, 19},
		{"fox red", 20, 19, 7}, // 21 23 24 26 27 29 30
		{"hen", 25, 10, 1},
		{"red cat", 0, 0, 0},
		{"", 0, 0, 0},
	}
	for _, tt := range tests {
		total, newer := s.SearchCount(tt.q, tt.newerThan)
		if total != tt.total || newer != tt.newer {
			t.Errorf("SearchCount(%q, %d) = %d, %d; want %d, %d", tt.q, tt.newerThan, total, newer, tt.total, tt.newer)
		}
	}
}

package memstore

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestValidateUsername(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"A_b-9", true},
		{strings.Repeat("x", 32), true},
		{"ab", false},
		{strings.Repeat("x", 33), false},
		{"has space", false},
		{"émile", false},
		{"<script>", false},
		{"a/b", false},
		{"", false},
	}
	for _, tt := range tests {
		err := ValidateUsername(tt.name)
		var ve *ValidationError
		if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &ve) || ve.Field != "username")) {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestUsernamesUniqueIgnoringCase(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	u := mustUser(t, s, "Alice")
	_, err := s.CreateUser("aLICE", "h")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "username" {
		t.Fatalf("CreateUser(aLICE) err = %v, want a username ValidationError", err)
	}
	got, err := s.UserByName("ALICE")
	if err != nil || got != u {
		t.Fatalf("UserByName(ALICE) = %v, %v; want %v", got, err, u)
	}
	if u.Name != "Alice" {
		t.Fatalf("Name = %q, want the name as typed", u.Name)
	}
}

// Two concurrent sign-ups for one name both reach the log; apply lets
// exactly one win, and replay agrees.
func TestConcurrentSignupsForOneName(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateUser(fmt.Sprintf("Name%c", "nN"[i%2]), "h"); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d sign-ups for one name succeeded, want 1", wins.Load())
	}
	s = reopen(t, s, Options{NoSync: true})
	if _, err := s.UserByName("NAMEN"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestOnlyTheAuthorChangesAVlog(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	v, err := s.CreateVlog(alice.ID, VlogInput{Title: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Author != "alice" || v.AuthorID != alice.ID {
		t.Fatalf("vlog author = %q/%d, want alice/%d", v.Author, v.AuthorID, alice.ID)
	}
	if _, err := s.EditVlog(v.ID, bob.ID, VlogInput{Title: "stolen"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("EditVlog by another user err = %v, want ErrForbidden", err)
	}
	if err := s.DeleteVlog(v.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("DeleteVlog by another user err = %v, want ErrForbidden", err)
	}
	if _, err := s.EditVlog(999, alice.ID, VlogInput{Title: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EditVlog of a missing vlog err = %v, want ErrNotFound", err)
	}
	if got, _ := s.Vlog(v.ID); got.Title != "mine" {
		t.Fatalf("refused edit changed the title to %q", got.Title)
	}
	if _, err := s.CreateVlog(12345, VlogInput{Title: "ghost"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CreateVlog by an unknown user err = %v, want ErrNotFound", err)
	}
}

func TestEditKeepsCreatedAndSurvivesRestart(t *testing.T) {
	clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	opts := Options{NoSync: true, Now: func() time.Time { return clock }}
	s := MustOpenStore(t, "", opts)
	alice := mustUser(t, s, "alice")
	v, _ := s.CreateVlog(alice.ID, VlogInput{Title: "draft", Body: "one"})
	clock = clock.Add(time.Hour)
	e, err := s.EditVlog(v.ID, alice.ID, VlogInput{Title: " final ", Body: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "final" || e.Body != "two" || !e.Created.Equal(v.Created) || !e.Updated.Equal(clock) || !e.Edited() {
		t.Fatalf("edited = %+v", e)
	}
	if v.Title != "draft" {
		t.Fatalf("the old value changed under its holder: %+v", v)
	}
	if _, err := s.EditVlog(v.ID, alice.ID, VlogInput{Title: ""}); err == nil {
		t.Fatal("EditVlog with an empty title succeeded")
	}
	s = reopen(t, s, opts)
	got, err := s.Vlog(v.ID)
	if err != nil || got.Title != "final" || !got.Edited() || s.Vlogs(Cursor{}, 0).Vlogs[0].Title != "final" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
}

func TestSessions(t *testing.T) {
	clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	opts := Options{NoSync: true, Now: func() time.Time { return clock }}
	s := MustOpenStore(t, "", opts)
	alice := mustUser(t, s, "alice")
	if _, err := s.CreateSession("short", alice.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSession("long", alice.ID, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, u, err := s.Session("long"); err != nil || u.ID != alice.ID {
		t.Fatalf("Session(long) = %v, %v", u, err)
	}
	if _, _, err := s.Session("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Session(nope) err = %v, want ErrNotFound", err)
	}
	clock = clock.Add(2 * time.Hour)
	if _, _, err := s.Session("short"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired Session err = %v, want ErrNotFound", err)
	}
	// Sessions survive a restart through log replay and through a
	// snapshot; expired ones are not carried into the snapshot.
	s = reopen(t, s, opts)
	if _, _, err := s.Session("long"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if _, ok := s.st.sessions["short"]; ok {
		t.Fatal("an expired session was carried into the snapshot")
	}
	if err := s.DeleteSession("long"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession("long"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteSession err = %v, want ErrNotFound", err)
	}
	s = reopen(t, s, opts)
	if _, _, err := s.Session("long"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted session back after restart: %v", err)
	}
}

package memstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// accountState is what the account ops decide, in a comparable form.
func accountState(s *Store) string {
	out := ""
	for _, u := range s.Users() {
		out += fmt.Sprintf("user %d %s owner=%v disabled=%v\n", u.ID, u.Name, u.Owner, u.Disabled)
	}
	for _, inv := range s.Invites() {
		out += fmt.Sprintf("invite %d by %d exp %s used_by %d revoked %v\n", inv.ID, inv.By, inv.Expires.Format(time.RFC3339), inv.UsedBy, inv.Revoked)
	}
	return out
}

func TestFirstAccountIsOwner(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	if _, err := s.Owner(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Owner() of an empty site err = %v, want ErrNotFound", err)
	}
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	// A claim on an owned site changes nothing.
	carol, err := s.AddUser(NewUser{Name: "carol", PasswordHash: "h", ClaimOwner: true})
	if err != nil {
		t.Fatal(err)
	}
	if !alice.Owner || bob.Owner || carol.Owner || !s.IsOwner(alice.ID) || s.IsOwner(bob.ID) {
		t.Fatalf("owners: alice %v, bob %v, carol %v; want alice only", alice.Owner, bob.Owner, carol.Owner)
	}
	if o, err := s.Owner(); err != nil || o.ID != alice.ID {
		t.Fatalf("Owner() = %v, %v; want alice", o, err)
	}
	// The would-be owner's sign-up is refused once someone else is first.
	if _, err := s.AddUser(NewUser{Name: "dave", PasswordHash: "h", FirstOnly: true}); !errors.Is(err, ErrNotFirst) {
		t.Fatalf("FirstOnly sign-up on a site with accounts err = %v, want ErrNotFirst", err)
	}
}

// Many would-be owners race for an empty site: exactly one account is
// made, and it is the owner.
func TestConcurrentFirstSignups(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := s.AddUser(NewUser{Name: fmt.Sprintf("owner%d", i), PasswordHash: "h", FirstOnly: true})
			switch {
			case err == nil && u.Owner:
				wins.Add(1)
			case err == nil:
				t.Errorf("%s made without being the owner", u.Name)
			case !errors.Is(err, ErrNotFirst):
				t.Errorf("AddUser err = %v, want nil or ErrNotFirst", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || s.UserCount() != 1 {
		t.Fatalf("%d owners and %d accounts, want 1 and 1", wins.Load(), s.UserCount())
	}
}

func TestInvites(t *testing.T) {
	clock := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	s := MustOpenStore(t, "", Options{NoSync: true, Now: now})
	owner := mustUser(t, s, "owner")
	member := mustUser(t, s, "member")

	if _, err := s.CreateInvite(member.ID, time.Hour); !errors.Is(err, ErrForbidden) {
		t.Fatalf("CreateInvite by a member err = %v, want ErrForbidden", err)
	}
	inv, err := s.CreateInvite(owner.ID, time.Hour)
	if err != nil || inv.ID != 1 || !inv.Usable(now()) {
		t.Fatalf("CreateInvite = %+v, %v", inv, err)
	}
	u, err := s.AddUser(NewUser{Name: "guest", PasswordHash: "h", InviteID: inv.ID})
	if err != nil || u.Owner {
		t.Fatalf("sign-up with invite = %+v, %v", u, err)
	}
	if got, _ := s.Invite(inv.ID); got.UsedBy != u.ID || got.Usable(now()) {
		t.Fatalf("spent invite = %+v, want used by %d", got, u.ID)
	}
	if _, err := s.AddUser(NewUser{Name: "second", PasswordHash: "h", InviteID: inv.ID}); !errors.Is(err, ErrInvalidInvite) {
		t.Fatalf("second use of an invite err = %v, want ErrInvalidInvite", err)
	}

	expiring, _ := s.CreateInvite(owner.ID, time.Hour)
	advance(time.Hour)
	if _, err := s.AddUser(NewUser{Name: "late", PasswordHash: "h", InviteID: expiring.ID}); !errors.Is(err, ErrInvalidInvite) {
		t.Fatalf("expired invite err = %v, want ErrInvalidInvite", err)
	}
	revoked, _ := s.CreateInvite(owner.ID, time.Hour)
	if err := s.RevokeInvite(member.ID, revoked.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("RevokeInvite by a member err = %v, want ErrForbidden", err)
	}
	if err := s.RevokeInvite(owner.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUser(NewUser{Name: "revoked", PasswordHash: "h", InviteID: revoked.ID}); !errors.Is(err, ErrInvalidInvite) {
		t.Fatalf("revoked invite err = %v, want ErrInvalidInvite", err)
	}
	if _, err := s.AddUser(NewUser{Name: "unknown", PasswordHash: "h", InviteID: 99}); !errors.Is(err, ErrInvalidInvite) {
		t.Fatalf("unknown invite err = %v, want ErrInvalidInvite", err)
	}

	// Racing sign-ups on one invite: exactly one account.
	race, _ := s.CreateInvite(owner.ID, time.Hour)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddUser(NewUser{Name: fmt.Sprintf("racer%d", i), PasswordHash: "h", InviteID: race.ID}); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, ErrInvalidInvite) {
				t.Errorf("AddUser err = %v, want nil or ErrInvalidInvite", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d sign-ups spent one invite, want 1", wins.Load())
	}
	if got := s.Invites(); len(got) != 4 || got[0].ID != race.ID {
		t.Fatalf("Invites() = %d, want 4 newest first", len(got))
	}
}

func TestOwnerModerates(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	owner := mustUser(t, s, "owner")
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	v, _ := s.CreateVlog(alice.ID, VlogInput{Title: "spam", Body: "buy"})
	c, _ := s.AddComment(v.ID, alice.ID, "more spam")
	keep, _ := s.CreateVlog(alice.ID, VlogInput{Title: "kept"})

	if err := s.DeleteComment(v.ID, c.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bob deletes alice's comment err = %v, want ErrForbidden", err)
	}
	if err := s.DeleteVlog(v.ID, bob.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bob deletes alice's vlog err = %v, want ErrForbidden", err)
	}
	if !s.CanDeleteComment(c, owner.ID) || s.CanDeleteComment(c, bob.ID) {
		t.Fatal("CanDeleteComment: want the owner yes and bob no")
	}
	if err := s.DeleteComment(v.ID, c.ID, owner.ID); err != nil {
		t.Fatalf("owner deletes a comment: %v", err)
	}
	if err := s.DeleteVlog(v.ID, owner.ID); err != nil {
		t.Fatalf("owner deletes a vlog: %v", err)
	}
	if _, err := s.Vlog(v.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moderated vlog still there: %v", err)
	}
	s = reopen(t, s, Options{NoSync: true})
	if _, err := s.Vlog(v.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moderated vlog back after restart: %v", err)
	}
	if _, err := s.Vlog(keep.ID); err != nil {
		t.Fatal(err)
	}
}

func TestDisableEndsSessions(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	owner := mustUser(t, s, "owner")
	alice := mustUser(t, s, "alice")
	for _, tok := range []string{"a1", "a2"} {
		if _, err := s.CreateSession(tok, alice.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateSession("o1", owner.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(alice.ID, owner.ID, true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a member disables the owner err = %v, want ErrForbidden", err)
	}
	if err := s.SetDisabled(owner.ID, owner.ID, true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the owner disables itself err = %v, want ErrForbidden", err)
	}
	if err := s.SetDisabled(owner.ID, 99, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disable an unknown account err = %v, want ErrNotFound", err)
	}
	if err := s.SetDisabled(owner.ID, alice.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"a1", "a2"} {
		if _, _, err := s.Session(tok); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session %s of a disabled account err = %v, want ErrNotFound", tok, err)
		}
	}
	if _, _, err := s.Session("o1"); err != nil {
		t.Fatalf("the owner's session ended too: %v", err)
	}
	if _, err := s.CreateSession("a3", alice.ID, time.Hour); !errors.Is(err, ErrDisabled) {
		t.Fatalf("new session for a disabled account err = %v, want ErrDisabled", err)
	}
	if u, _ := s.UserByName("alice"); !u.Disabled {
		t.Fatal("UserByName does not show alice disabled")
	}
	s = reopen(t, s, Options{NoSync: true})
	if _, err := s.CreateSession("a4", alice.ID, time.Hour); !errors.Is(err, ErrDisabled) {
		t.Fatalf("after restart, new session err = %v, want ErrDisabled", err)
	}
	if err := s.SetDisabled(owner.ID, alice.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSession("a5", alice.ID, time.Hour); err != nil {
		t.Fatalf("enabled again, new session err = %v", err)
	}
}

// Every account op survives a restart from the log alone (replay) and from
// a snapshot, to the same state.
func TestAccountStateSurvivesRestart(t *testing.T) {
	clock := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{NoSync: true, Now: func() time.Time { return clock }}
	s := MustOpenStore(t, "", opts)
	owner := mustUser(t, s, "owner")
	spent, _ := s.CreateInvite(owner.ID, time.Hour)
	guest, err := s.AddUser(NewUser{Name: "guest", PasswordHash: "h", InviteID: spent.ID})
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := s.CreateInvite(owner.ID, 2*time.Hour)
	s.RevokeInvite(owner.ID, revoked.ID)
	s.CreateInvite(owner.ID, 3*time.Hour)
	if err := s.SetDisabled(owner.ID, guest.ID, true); err != nil {
		t.Fatal(err)
	}
	want := accountState(s)

	replayDir := t.TempDir()
	copyDir(t, s.log.Dir(), replayDir) // the log only: no snapshot yet
	replayed := MustOpenStore(t, replayDir, opts)
	if r := replayed.Recovery(); r.SnapshotSeq != 0 || r.Replayed == 0 {
		t.Fatalf("copy recovered from snapshot %d with %d records replayed; want the log alone", r.SnapshotSeq, r.Replayed)
	}
	if got := accountState(replayed); got != want {
		t.Fatalf("after replay:\n%s\nwant:\n%s", got, want)
	}

	s = reopen(t, s, opts)
	if r := s.Recovery(); r.SnapshotSeq == 0 || r.Replayed != 0 {
		t.Fatalf("reopened with snapshot %d and %d records replayed; want the snapshot alone", r.SnapshotSeq, r.Replayed)
	}
	if got := accountState(s); got != want {
		t.Fatalf("after snapshot:\n%s\nwant:\n%s", got, want)
	}
	// IDs keep counting after the snapshot.
	if inv, err := s.CreateInvite(owner.ID, time.Hour); err != nil || inv.ID != 4 {
		t.Fatalf("next invite = %+v, %v; want ID 4", inv, err)
	}
}

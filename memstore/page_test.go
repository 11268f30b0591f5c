package memstore

import (
	"slices"
	"testing"
)

func TestPageOf(t *testing.T) {
	var list []*Vlog
	for id := uint64(1); id <= 10; id++ {
		if id == 4 || id == 7 {
			continue // deleted: cursors must work across gaps
		}
		list = append(list, &Vlog{ID: id})
	}
	tests := []struct {
		c            Cursor
		limit        int
		want         []uint64
		older, newer uint64
	}{
		{Cursor{}, 3, []uint64{10, 9, 8}, 8, 0},
		{Cursor{Before: 8}, 3, []uint64{6, 5, 3}, 3, 6},
		{Cursor{Before: 7}, 3, []uint64{6, 5, 3}, 3, 6},
		{Cursor{Before: 3}, 3, []uint64{2, 1}, 0, 2},
		{Cursor{After: 2}, 3, []uint64{6, 5, 3}, 3, 6},
		{Cursor{After: 6}, 3, []uint64{10, 9, 8}, 8, 0},
		{Cursor{After: 7}, 3, []uint64{10, 9, 8}, 8, 0},
		{Cursor{}, 100, []uint64{10, 9, 8, 6, 5, 3, 2, 1}, 0, 0},
		{Cursor{Before: 1}, 3, []uint64{}, 0, 0},
		{Cursor{After: 10}, 3, []uint64{}, 0, 0},
	}
	for _, tt := range tests {
		p := pageOf(list, tt.c, tt.limit)
		if got := ids(p.Vlogs); !slices.Equal(got, tt.want) || p.Older != tt.older || p.Newer != tt.newer {
			t.Errorf("pageOf(%+v, %d) = %v older %d newer %d; want %v older %d newer %d",
				tt.c, tt.limit, got, p.Older, p.Newer, tt.want, tt.older, tt.newer)
		}
	}
}

// A vlog created while someone pages backwards never makes them see a
// duplicate or miss one.
func TestPagingIsStableUnderInserts(t *testing.T) {
	s := MustOpenStore(t, "", Options{NoSync: true})
	for i := range 45 {
		mustCreate(t, s, "v"+string(rune('a'+i%26)))
	}
	var seen []uint64
	c := Cursor{}
	for {
		p := s.Vlogs(c, 20)
		seen = append(seen, ids(p.Vlogs)...)
		mustCreate(t, s, "inserted while paging")
		if p.Older == 0 {
			break
		}
		c = Cursor{Before: p.Older}
	}
	want := make([]uint64, 0, 45)
	for id := uint64(45); id >= 1; id-- {
		want = append(want, id)
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged through %v, want %v", seen, want)
	}
}

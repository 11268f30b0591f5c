package memstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// referenceWords is the plain definition of a word that eachWord must
// match: runs of letters and digits, lowered, at most maxWordRunes runes,
// each once.
func referenceWords(text string) []string {
	seen := make(map[string]bool)
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w = strings.ToLower(w)
		if utf8.RuneCountInString(w) > maxWordRunes || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// FuzzWords checks the fast tokenizer against the plain definition on any
// text, valid UTF-8 or not.
func FuzzWords(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := words(text), referenceWords(text); !slices.Equal(got, want) {
			t.Fatalf("words(%q) = %q, want %q", text, got, want)
		}
	})
}

// TestIndexBuiltBesideChanges: the index built in the background from the
// vlogs at the start of the build, plus the creates, edits and deletes
// queued meanwhile, answers every search exactly like an index kept live
// all along.
func TestIndexBuiltBesideChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	vocab := []string{"alpha", "beta", "gamma", "delta", "Épée", "ÉPÉE", "x1", "数据", "zeta", "eta"}
	text := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			b.WriteString([]string{" ", ", ", "\n", "-"}[rng.IntN(4)])
		}
		return b.String()
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	built, live := newState(), newState()
	live.index.mode = indexLive
	for _, st := range []*state{built, live} {
		st.apply(&op{Kind: opCreateUser, At: at, Name: "ann"})
	}
	apply := func(o *op) {
		built.apply(o)
		live.apply(o)
	}
	for range 500 {
		apply(&op{Kind: opCreateVlog, At: at, UserID: 1, Title: text(), Body: text()})
	}
	built.index.mode = indexBuilding
	list := slices.Clone(built.order)
	for range 300 {
		id := uint64(1 + rng.IntN(int(built.nextVlogID-1)))
		switch rng.IntN(3) {
		case 0:
			apply(&op{Kind: opCreateVlog, At: at, UserID: 1, Title: text(), Body: text()})
		case 1:
			apply(&op{Kind: opEditVlog, At: at, ID: id, UserID: 1, Title: text(), Body: text()})
		case 2:
			apply(&op{Kind: opDeleteVlog, At: at, ID: id, UserID: 1})
		}
	}
	if n := built.index.finish(buildPostings(list), built.vlogs); n == 0 {
		t.Fatal("no change was queued during the build")
	}
	whole := buildShards(list, 1)
	if split := buildShards(list, 3); fmt.Sprint(split) != fmt.Sprint(whole) {
		t.Fatalf("an index built in 3 ranges differs from one built whole:\n%v\n%v", split, whole)
	}
	queries := append(slices.Clone(vocab), "alpha beta", "épée gamma", "missing")
	for _, q := range queries {
		for _, c := range []Cursor{{}, {Before: 300}, {After: 200}} {
			got := built.index.search(q, c, 7, built.vlogs)
			want := live.index.search(q, c, 7, live.vlogs)
			if fmt.Sprint(pageIDs(got)) != fmt.Sprint(pageIDs(want)) || got.Older != want.Older || got.Newer != want.Newer {
				t.Fatalf("search %q %+v = %v (older %d newer %d), want %v (older %d newer %d)",
					q, c, pageIDs(got), got.Older, got.Newer, pageIDs(want), want.Older, want.Newer)
			}
		}
	}
}

func pageIDs(p Page) []uint64 {
	var ids []uint64
	for _, v := range p.Vlogs {
		ids = append(ids, v.ID)
	}
	return ids
}

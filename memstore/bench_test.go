package memstore

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// benchStore builds a store holding n vlogs directly in memory (through
// apply's own insertVlog, without the log), so that read benchmarks can use
// a million vlogs without a minute of setup. Bodies draw 12 words from a
// 2,000-word vocabulary with a skew, like real text.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s := MustOpenStore(b, "", Options{NoSync: true})
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 1999)
	vocab := make([]string, 2000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("word%d", i)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.mu.Lock()
	defer s.mu.Unlock()
	var body strings.Builder
	for i := range n {
		body.Reset()
		for range 12 {
			body.WriteString(vocab[zipf.Uint64()])
			body.WriteByte(' ')
		}
		v := &Vlog{ID: s.st.nextVlogID, AuthorID: uint64(1 + i%100), Title: fmt.Sprintf("vlog %d", i), Body: body.String(), Created: at, Updated: at}
		s.st.nextVlogID++
		s.st.insertVlog(v)
	}
	return s
}

// BenchmarkVlogsPage shows a page costs the same with a thousand vlogs and
// with a million: a binary search plus the page.
func BenchmarkVlogsPage(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		s := benchStore(b, n)
		mid := uint64(n / 2)
		b.Run(fmt.Sprintf("vlogs=%d/newest", n), func(b *testing.B) {
			for b.Loop() {
				if p := s.Vlogs(Cursor{}, 20); len(p.Vlogs) != 20 {
					b.Fatal("short page")
				}
			}
		})
		b.Run(fmt.Sprintf("vlogs=%d/middle", n), func(b *testing.B) {
			for b.Loop() {
				if p := s.Vlogs(Cursor{Before: mid}, 20); len(p.Vlogs) != 20 {
					b.Fatal("short page")
				}
			}
		})
		b.Run(fmt.Sprintf("vlogs=%d/by-user", n), func(b *testing.B) {
			for b.Loop() {
				if p := s.VlogsBy(7, Cursor{Before: mid}, 20); len(p.Vlogs) == 0 {
					b.Fatal("short page")
				}
			}
		})
	}
}

// BenchmarkSearch reports the time of a query over a million vlogs: a
// common word, a rare one, two words together, and a word absent from the
// index.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		s := benchStore(b, n)
		for _, q := range []string{"word1", "word1500", "word1 word2", "word3 word700", "nosuchword"} {
			b.Run(fmt.Sprintf("vlogs=%d/q=%s", n, strings.ReplaceAll(q, " ", "+")), func(b *testing.B) {
				hits := 0
				for b.Loop() {
					hits = len(s.Search(q, Cursor{}, 20).Vlogs)
				}
				b.ReportMetric(float64(hits), "hits")
			})
		}
	}
}

package web

import (
	"strings"
	"testing"
)

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("ab ", 100)
	tests := []struct{ in, want string }{
		{"", ""},
		{"one\n\ntwo  three", "one two three"},
		{long, strings.TrimSpace(long[:200]) + "…"},
		{strings.Repeat("é", 201), strings.Repeat("é", 200) + "…"},
		{strings.Repeat("é", 200), strings.Repeat("é", 200)},
		// Only the head of a long body is read; the cut is still marked.
		{"short start" + strings.Repeat(" ", 2000) + "tail", "short start …"},
		{strings.Repeat("é", 50_000), strings.Repeat("é", 200) + "…"},
	}
	for _, tt := range tests {
		if got := excerpt(tt.in); got != tt.want {
			t.Errorf("excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1", 1, true},
		{"18446744073709551615", 18446744073709551615, true},
		{"18446744073709551616", 0, false},
		{"0", 0, false},
		{"01", 0, false},
		{"", 0, false},
		{"+1", 0, false},
		{"1a", 0, false},
		{"١", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

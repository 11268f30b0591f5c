package media

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"512MiB", 512 << 20},
		{"512 MiB", 512 << 20},
		{"512mib", 512 << 20},
		{"512M", 512 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"200MB", 200e6},
		{"200mb", 200e6},
		{"64KiB", 64 << 10},
		{"64kb", 64e3},
		{"64k", 64 << 10},
		{"7B", 7},
		{"7 b", 7},
		{"  3GB ", 3e9},
		{"2TiB", 2 << 40},
		{"0007KiB", 7 << 10},
		{"9223372036854775807", math.MaxInt64},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tt := range tests {
		if got, err := ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", " ", "MiB", "-1", "-1MiB", "+1", "1.5GiB", "1,000", "1_000",
		"12XB", "12 MiBs", "12iB", "12 Mi", "1e6", "0x10", "١٢",
		"512MiB junk", "5 1 2", "1GiB1",
		"9223372036854775808",  // one past MaxInt64
		"8388608TiB",           // 2^63
		"99999999999999999999", // overflows the digits alone
		"10000000000GB",
	}
	for _, in := range bad {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, nil; want an error", in, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{900, "900 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{512 << 20, "512 MiB"},
		{1 << 30, "1 GiB"},
		{3 << 29, "1.5 GiB"},
		{1<<20 - 1, "1023.9 KiB"}, // rounded down: never above the real limit
		{200e6, "190.7 MiB"},
		{math.MaxInt64, "7.9 EiB"},
		{-5, "-5 B"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseSize checks that ParseSize never panics or returns a negative
// count, that its result reads back as a plain number, and that FormatSize
// of it is well formed and, when whole, parses back to the same count.
func FuzzParseSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		if back, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, but ParseSize(%d) = %d, %v", s, n, n, back, err)
		}
		text := FormatSize(n)
		if strings.Contains(text, ".") {
			return // shown rounded down, by design not exact
		}
		if back, err := ParseSize(text); err != nil || back != n {
			t.Fatalf("FormatSize(%d) = %q, which parses as %d, %v", n, text, back, err)
		}
	})
}

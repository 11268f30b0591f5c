package httpraw

import (
	"strings"
	"testing"
)

func acceptHeader(values ...string) *Header {
	var h Header
	for _, v := range values {
		h.Add("Accept-Encoding", v)
	}
	return &h
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"br", "gzip"}, true}, // several field lines are one list
		{[]string{"br"}, false},
		{[]string{"*"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"gzip;q=0, *"}, false}, // an explicit 0 beats "*"
		{[]string{"*;q=0"}, false},
		{[]string{"*;q=0.5, gzip;q=0"}, false},
		{[]string{"br;q=1, *;q=0.2"}, true},
		{[]string{"gzip;q=0.5, identity;q=0.8"}, false}, // identity preferred
		{[]string{"gzip;q=0.8, identity;q=0.8"}, true},
		{[]string{"gzip;q=1.0"}, true},
		{[]string{"gzip;q=1.001"}, false}, // malformed weight: element ignored
		{[]string{"gzip;q=2"}, false},
		{[]string{"gzip;q="}, false},
		{[]string{"gzip;q=0.5x"}, false},
		{[]string{"gzip;q=0.12345"}, false},
		{[]string{"gzip;level=1;q=0.3"}, true},
		{[]string{" gzip ; Q=0.7 "}, true},
	}
	for _, tc := range tests {
		if got := AcceptsGzip(acceptHeader(tc.values...)); got != tc.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestAcceptsGzipAllocs(t *testing.T) {
	h := acceptHeader("gzip, deflate, br, zstd;q=0.9")
	if n := testing.AllocsPerRun(100, func() { AcceptsGzip(h) }); n != 0 {
		t.Errorf("AcceptsGzip allocates %v times, want 0", n)
	}
}

func TestNotModified(t *testing.T) {
	const etag = `"abc"`
	tests := []struct {
		method string
		inm    []string
		want   bool
	}{
		{"GET", nil, false},
		{"GET", []string{`"abc"`}, true},
		{"HEAD", []string{`"abc"`}, true},
		{"POST", []string{`"abc"`}, false},
		{"GET", []string{`W/"abc"`}, true}, // weak comparison
		{"GET", []string{`"x", "abc"`}, true},
		{"GET", []string{`"x"`, `"abc"`}, true},
		{"GET", []string{`"x"`}, false},
		{"GET", []string{`*`}, true},
		{"GET", []string{`abc`}, false}, // malformed
		{"GET", []string{`"abc`}, false},
	}
	for _, tc := range tests {
		r := testRequest(tc.method, "/")
		for _, v := range tc.inm {
			r.Header.Add("If-None-Match", v)
		}
		if got := NotModified(r, etag); got != tc.want {
			t.Errorf("NotModified(%s, If-None-Match %q) = %v, want %v", tc.method, tc.inm, got, tc.want)
		}
	}
}

// FuzzAcceptsGzip checks the Accept-Encoding parser against a plain
// reference reading of RFC 9110 §12.5.3 written with the strings package.
func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0, *", "br;q=1, *;q=0.2", "gzip;q=0.5, identity;q=0.8", "gzip;q=1.001", " gzip ; Q=0.7 ", "*;q=0", "x-gzip;q=.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := AcceptsGzip(acceptHeader(v))
		if want := referenceAcceptsGzip(v); got != want {
			t.Fatalf("AcceptsGzip(%q) = %v, reference says %v", v, got, want)
		}
	})
}

func referenceAcceptsGzip(v string) bool {
	weights := map[string]int{}
	for _, elem := range strings.Split(v, ",") {
		parts := strings.Split(elem, ";")
		coding := strings.ToLower(strings.Trim(parts[0], " \t"))
		q, valid := 1000, true
		for _, p := range parts[1:] {
			k, val, _ := strings.Cut(strings.Trim(p, " \t"), "=")
			if strings.ToLower(strings.Trim(k, " \t")) != "q" {
				continue
			}
			q, valid = referenceQ(strings.Trim(val, " \t"))
			break
		}
		if !valid {
			continue
		}
		if coding == "x-gzip" {
			coding = "gzip"
		}
		if old, ok := weights[coding]; !ok || q > old {
			weights[coding] = q
		}
	}
	gz, ok := weights["gzip"]
	if !ok {
		gz, ok = weights["*"]
	}
	if !ok || gz == 0 {
		return false
	}
	id, ok := weights["identity"]
	return !ok || gz >= id
}

func referenceQ(s string) (int, bool) {
	ok := len(s) >= 1 && len(s) <= 5 && (s[0] == '0' || s[0] == '1') && (len(s) == 1 || s[1] == '.')
	if !ok || strings.Trim(s[min(len(s), 2):], "0123456789") != "" {
		return 0, false
	}
	digits := (s[min(len(s), 2):] + "000")[:3]
	q := int(s[0]-'0')*1000 + int(digits[0]-'0')*100 + int(digits[1]-'0')*10 + int(digits[2]-'0')
	return q, q <= 1000
}

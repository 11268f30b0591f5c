package web

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLinkify(t *testing.T) {
	L := func(u string) textSegment { return textSegment{Text: u, URL: u} }
	T := func(s string) textSegment { return textSegment{Text: s} }
	tests := []struct {
		in   string
		want []textSegment
	}{
		{"", []textSegment{T("")}},
		{"no links here", []textSegment{T("no links here")}},
		{"http://a.test", []textSegment{L("http://a.test")}},
		{"go to https://a.test/x?y=1#z.", []textSegment{T("go to "), L("https://a.test/x?y=1#z"), T(".")}},
		{"HTTPS://A.test/ ok", []textSegment{L("HTTPS://A.test/"), T(" ok")}},
		{"(see http://a.test/wiki/Foo_(bar))", []textSegment{T("(see "), L("http://a.test/wiki/Foo_(bar)"), T(")")}},
		{"two: http://a.test,http://b.test!", []textSegment{T("two: "), L("http://a.test,http://b.test"), T("!")}},
		{"x http://a.test\nhttp://b.test", []textSegment{T("x "), L("http://a.test"), T("\n"), L("http://b.test")}},
		{`<a href="http://a.test">`, []textSegment{T(`<a href="`), L("http://a.test"), T(`">`)}},
		{"javascript:alert(1) data:text/html,x ftp://a.test", []textSegment{T("javascript:alert(1) data:text/html,x ftp://a.test")}},
		{"nohttp://a.test", []textSegment{T("nohttp://a.test")}},
		{"http:// alone and https://", []textSegment{T("http:// alone and https://")}},
		{"http://user:pw@a.test/", []textSegment{T("http://user:pw@a.test/")}},
		{"é(http://ä.test/ü)", []textSegment{T("é("), L("http://ä.test/ü"), T(")")}},
	}
	for _, tt := range tests {
		if got := linkify(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("linkify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	tests := []struct {
		text  string
		words []string
		want  []markSegment
	}{
		{"Lake view", nil, []markSegment{{Text: "Lake view"}}},
		{"Lake view", []string{"lake"}, []markSegment{{Text: "Lake", Mark: true}, {Text: " view"}}},
		{"a <b>VIEW</b>!", []string{"view"}, []markSegment{{Text: "a <b>"}, {Text: "VIEW", Mark: true}, {Text: "</b>!"}}},
		{"lakes lake", []string{"lake"}, []markSegment{{Text: "lakes "}, {Text: "lake", Mark: true}}},
		{"", []string{"x"}, []markSegment{{Text: ""}}},
	}
	for _, tt := range tests {
		if got := highlight(tt.text, tt.words); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("highlight(%q, %q) = %v, want %v", tt.text, tt.words, got, tt.want)
		}
	}
}

// FuzzLinkify checks what the template relies on: the segments put back
// together are the input, and every link is a well-formed http(s) address
// with nothing in it that could end an attribute or a tag.
func FuzzLinkify(f *testing.F) {
	for _, s := range []string{"see https://a.test/x?y=1.", "(http://a.test/(x))", "http://", "javascript:alert(1)", "x\xffhttp://a.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var joined strings.Builder
		for _, seg := range linkify(in) {
			joined.WriteString(seg.Text)
			if seg.URL == "" {
				continue
			}
			if seg.URL != seg.Text || strings.ContainsAny(seg.URL, " \t\r\n<>\"'`") || !utf8.ValidString(seg.URL) {
				t.Fatalf("linkify(%q): bad link %q", in, seg.URL)
			}
			u, err := url.Parse(seg.URL)
			if err != nil || u.Host == "" || (strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") {
				t.Fatalf("linkify(%q): link %q is not an http(s) address (%v)", in, seg.URL, err)
			}
		}
		if joined.String() != in {
			t.Fatalf("linkify(%q) joined = %q", in, joined.String())
		}
	})
}

// FuzzHighlight: the runs put back together are the input.
func FuzzHighlight(f *testing.F) {
	f.Add("a Lake view", "lake")
	f.Add("ÉTÉ été", "été")
	f.Fuzz(func(t *testing.T, text, q string) {
		var joined strings.Builder
		for _, seg := range highlight(text, queryWords(q)) {
			joined.WriteString(seg.Text)
		}
		if joined.String() != text {
			t.Fatalf("highlight(%q, %q) joined = %q", text, q, joined.String())
		}
	})
}

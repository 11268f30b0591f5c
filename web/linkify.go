package web

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textSegment is a run of user text, either plain or, when URL is set, a
// web address to show as a link. Templates print Text (escaped as always);
// no HTML is ever built here.
type textSegment struct {
	Text string
	URL  string
}

// maxLinkBytes bounds one address; anything longer stays text.
const maxLinkBytes = 2048

// linkify splits text into plain runs and the http and https addresses in
// it. An address starts with "http://" or "https://" (any case) at the
// start of the text or after a character that is not a letter or digit,
// and runs to the next space, control character, or character that
// cannot appear in a URL unescaped (<>"'`{}|\^); trailing punctuation
// (.,;:!?) and unbalanced closing brackets are left out, as in prose.
// What remains must parse as an absolute URL with a host. The segments'
// texts joined are always exactly text.
func linkify(text string) []textSegment {
	var out []textSegment
	plainFrom := 0
	for i := 0; i < len(text); {
		j := nextScheme(text, i)
		if j < 0 {
			break
		}
		end := j + linkEnd(text[j:])
		if u := text[j:end]; end > j && validLink(u) {
			if j > plainFrom {
				out = append(out, textSegment{Text: text[plainFrom:j]})
			}
			out = append(out, textSegment{Text: u, URL: u})
			plainFrom = end
			i = end
			continue
		}
		i = j + 1
	}
	if plainFrom < len(text) || len(out) == 0 {
		out = append(out, textSegment{Text: text[plainFrom:]})
	}
	return out
}

// nextScheme returns the index of the next "http://" or "https://" at or
// after i that does not continue a word, or -1.
func nextScheme(text string, i int) int {
	for i < len(text) {
		k := indexFold(text[i:], "http")
		if k < 0 {
			return -1
		}
		j := i + k
		rest := text[j+4:]
		if len(rest) > 0 && (rest[0] == 's' || rest[0] == 'S') {
			rest = rest[1:]
		}
		if strings.HasPrefix(rest, "://") {
			if j == 0 {
				return j
			}
			prev, _ := utf8.DecodeLastRuneInString(text[:j])
			if !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				return j
			}
		}
		i = j + 1
	}
	return -1
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring the
// case of text.
func indexFold(text, needle string) int {
	for i := 0; i+len(needle) <= len(text); i++ {
		if strings.EqualFold(text[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// linkEnd returns the length of the address at the start of s.
func linkEnd(s string) int {
	n := 0
	for n < len(s) && n < maxLinkBytes {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>\"'`{}|\\^", r) {
			break
		}
		n += size
	}
	if n == maxLinkBytes {
		return 0
	}
	for n > 0 {
		last := s[n-1]
		switch {
		case strings.IndexByte(".,;:!?", last) >= 0:
			n--
		case last == ')' && strings.Count(s[:n], "(") < strings.Count(s[:n], ")"),
			last == ']' && strings.Count(s[:n], "[") < strings.Count(s[:n], "]"):
			n--
		default:
			return n
		}
	}
	return 0
}

// validLink reports whether u is an absolute http or https URL with a
// host, the only kind shown as a link.
func validLink(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return false
	}
	scheme := strings.ToLower(p.Scheme)
	return scheme == "http" || scheme == "https"
}

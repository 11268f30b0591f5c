package web

import (
	"strings"
	"unicode"
)

// markSegment is a run of text that is, or is not, one of the words
// searched for. Templates put the marked runs in <mark>; the text is
// escaped like any other.
type markSegment struct {
	Text string
	Mark bool
}

// highlight splits text into runs, marking each word (a run of letters and
// digits, as the search index reads words) that equals one of words,
// ignoring case. The runs joined are exactly text.
func highlight(text string, words []string) []markSegment {
	if len(words) == 0 {
		return []markSegment{{Text: text}}
	}
	var out []markSegment
	plainFrom, wordFrom := 0, -1
	flush := func(end int) {
		w := text[wordFrom:end]
		for _, q := range words {
			if strings.EqualFold(w, q) {
				if wordFrom > plainFrom {
					out = append(out, markSegment{Text: text[plainFrom:wordFrom]})
				}
				out = append(out, markSegment{Text: w, Mark: true})
				plainFrom = end
				break
			}
		}
		wordFrom = -1
	}
	for i, r := range text {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case inWord && wordFrom < 0:
			wordFrom = i
		case !inWord && wordFrom >= 0:
			flush(i)
		}
	}
	if wordFrom >= 0 {
		flush(len(text))
	}
	if plainFrom < len(text) || len(out) == 0 {
		out = append(out, markSegment{Text: text[plainFrom:]})
	}
	return out
}

// queryWords are the words of a search as the index splits them.
func queryWords(q string) []string {
	return strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

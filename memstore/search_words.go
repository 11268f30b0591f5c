package memstore

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isWordByte tells, for each ASCII byte, whether it belongs to a word (a
// letter or a digit).
var isWordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
	}
	return t
}()

// eachWord calls fn with every word of text in lower case, in order and
// with repeats: runs of letters and digits, longer ones than maxWordRunes
// left out. ASCII words are lowered into buf without allocating; w is only
// valid during the call. It defines what a word is for indexing and for
// queries alike.
func eachWord(text string, buf []byte, fn func(w []byte)) []byte {
	start, ascii := -1, true
	emit := func(end int) {
		tok := text[start:end]
		if ascii {
			if len(tok) > maxWordRunes {
				return
			}
			buf = buf[:0]
			for i := 0; i < len(tok); i++ {
				c := tok[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			fn(buf)
			return
		}
		w := strings.ToLower(tok)
		if utf8.RuneCountInString(w) <= maxWordRunes {
			fn([]byte(w))
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		var in bool
		size := 1
		if c < utf8.RuneSelf {
			in = isWordByte[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			in = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		switch {
		case in && start < 0:
			start, ascii = i, c < utf8.RuneSelf
		case in:
			ascii = ascii && c < utf8.RuneSelf
		case start >= 0:
			emit(i)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		emit(len(text))
	}
	return buf
}

// words splits text into its distinct lower-case words (see eachWord).
func words(text string) []string {
	seen := make(map[string]bool)
	var out []string
	eachWord(text, nil, func(w []byte) {
		if !seen[string(w)] {
			seen[string(w)] = true
			out = append(out, string(w))
		}
	})
	return out
}

func vlogWords(v *Vlog) []string { return words(v.Title + "\n" + v.Body) }

package httpraw

import (
	"strings"
	"time"
)

// byteRange is a satisfiable byte range of a representation.
type byteRange struct{ start, length int64 }

// Outcomes of parseRange.
const (
	rangeIgnore        = iota // serve the whole representation (200)
	rangeOK                   // serve the one range (206)
	rangeUnsatisfiable        // 416 with Content-Range: bytes */size
)

// parseRange evaluates a Range field value against a representation of
// size bytes (RFC 9110 §14.1.2, §14.2). A single range is served. Anything
// else a server may ignore is ignored: a unit other than bytes, a syntax
// error, several ranges (which would need multipart/byteranges, and which
// browsers do not send for media).
func parseRange(s string, size int64) (byteRange, int) {
	unit, spec, ok := strings.Cut(s, "=")
	if !ok || !equalFold(trimOWS(unit), "bytes") {
		return byteRange{}, rangeIgnore
	}
	spec = trimOWS(spec)
	if strings.IndexByte(spec, ',') >= 0 {
		return byteRange{}, rangeIgnore
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return byteRange{}, rangeIgnore
	}
	if first == "" {
		// suffix-range = "-" suffix-length: the last N bytes.
		n, ok := parseContentLength(last)
		if !ok {
			return byteRange{}, rangeIgnore
		}
		if n == 0 || size == 0 {
			return byteRange{}, rangeUnsatisfiable
		}
		n = min(n, size)
		return byteRange{size - n, n}, rangeOK
	}
	start, ok := parseContentLength(first)
	if !ok {
		return byteRange{}, rangeIgnore
	}
	end := size - 1
	if last != "" {
		e, ok := parseContentLength(last)
		if !ok || e < start {
			return byteRange{}, rangeIgnore // RFC 9110 §14.1.1: last < first is invalid
		}
		end = min(e, size-1)
	}
	if start >= size {
		// RFC 9110 §14.1.1: satisfiable only if first-pos < length.
		return byteRange{}, rangeUnsatisfiable
	}
	return byteRange{start, end - start + 1}, rangeOK
}

// ifRangeAllows evaluates If-Range (RFC 9110 §13.1.5): the Range applies
// only if the validator still matches, by strong comparison for an
// entity-tag and by exact equality for a date.
func ifRangeAllows(ifRange, etag string, modtime time.Time) bool {
	if ifRange == "" {
		return true
	}
	if strings.HasPrefix(ifRange, `"`) || strings.HasPrefix(ifRange, "W/") {
		return etag != "" && !isWeak(etag) && ifRange == etag
	}
	t, err := time.Parse(TimeFormat, ifRange)
	return err == nil && !modtime.IsZero() && modtime.Truncate(time.Second).Equal(t)
}

func isWeak(etag string) bool { return strings.HasPrefix(etag, "W/") }

// etagMatch reports whether the If-Match / If-None-Match list matches etag
// (RFC 9110 §13.1.1, §13.1.2). weak selects weak comparison (If-None-Match);
// strong comparison never matches a weak tag.
func etagMatch(list, etag string, weak bool) bool {
	if trimOWS(list) == "*" {
		return true
	}
	if etag == "" {
		return false
	}
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			break
		}
		tag := list
		body := list
		if strings.HasPrefix(body, "W/") {
			body = body[2:]
		}
		if !strings.HasPrefix(body, `"`) {
			return false // malformed list: no match
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return false
		}
		n := len(tag) - len(body) + end + 2
		tag, list = list[:n], list[n:]
		switch {
		case weak && strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/"):
			return true
		case !weak && !isWeak(tag) && !isWeak(etag) && tag == etag:
			return true
		}
	}
	return false
}

package httpraw

import "encoding/binary"

// Field is one header field line: a name and its value, as received or as set
// by a handler.
type Field struct {
	Name, Value string
}

// Header is an ordered list of fields. Lookups compare names ASCII
// case-insensitively (RFC 9110 §5.1); the original spelling and order are kept,
// which matters for fields such as Set-Cookie that must not be combined.
//
// The zero value is an empty header ready to use. A request's Header is owned
// by the server and reused for the next request on the connection: do not keep
// it (or the slice returned by Fields) after the handler returns. The strings
// themselves are immutable and safe to keep.
type Header struct {
	fields []Field
}

// Get returns the value of the first field named name, or "".
func (h *Header) Get(name string) string {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			return h.fields[i].Value
		}
	}
	return ""
}

// has reports whether a field named name is present.
func (h *Header) has(name string) bool {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			return true
		}
	}
	return false
}

// Values returns the values of every field named name, in order, or nil.
func (h *Header) Values(name string) []string {
	var vs []string
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			vs = append(vs, h.fields[i].Value)
		}
	}
	return vs
}

// Set replaces every field named name with one field name: value, kept at the
// position of the first one (or appended).
func (h *Header) Set(name, value string) {
	for i := range h.fields {
		if equalFold(h.fields[i].Name, name) {
			h.fields[i].Value = value
			h.delFrom(name, i+1)
			return
		}
	}
	h.fields = append(h.fields, Field{name, value})
}

// Add appends the field name: value, keeping any existing ones.
func (h *Header) Add(name, value string) {
	h.fields = append(h.fields, Field{name, value})
}

// Del removes every field named name.
func (h *Header) Del(name string) { h.delFrom(name, 0) }

func (h *Header) delFrom(name string, start int) {
	j := start
	for i := start; i < len(h.fields); i++ {
		if !equalFold(h.fields[i].Name, name) {
			h.fields[j] = h.fields[i]
			j++
		}
	}
	clear(h.fields[j:])
	h.fields = h.fields[:j]
}

// Fields returns the fields in order. The slice is the header's own storage:
// read it, do not modify it, and do not keep it past the handler's return.
func (h *Header) Fields() []Field { return h.fields }

// Len returns the number of fields.
func (h *Header) Len() int { return len(h.fields) }

// reset empties h, keeping its storage for the next message.
func (h *Header) reset() {
	clear(h.fields)
	h.fields = h.fields[:0]
}

// equalFold reports whether a and b are equal under ASCII case folding.
// Field names are ASCII tokens, so Unicode folding (strings.EqualFold) would
// only be slower and, for non-ASCII input, wrong.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list value contains token,
// compared case-insensitively (RFC 9110 §5.6.1 lists, e.g. Connection).
func hasToken(value, token string) bool {
	for value != "" {
		var elem string
		elem, value = cutByte(value, ',')
		if equalFold(trimOWS(elem), token) {
			return true
		}
	}
	return false
}

// cutByte splits s around the first c.
func cutByte(s string, c byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// trimOWS removes optional whitespace (SP / HTAB, RFC 9110 §5.6.3) at both ends.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// Character classes of RFC 9110 §5.6.2 (tchar) and §5.5 (field-vchar).
const (
	classTchar = 1 << iota
	classFieldVchar
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] |= classTchar
		}
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			t[c] |= classTchar
		}
		// field-vchar = VCHAR / obs-text; SP and HTAB are allowed inside a value.
		if (0x21 <= c && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t' {
			t[c] |= classFieldVchar
		}
	}
	return t
}()

func isTchar(c byte) bool { return charClass[c]&classTchar != 0 }

// isToken reports whether s is a non-empty token (RFC 9110 §5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// validFieldBytes reports whether b holds only field-vchar, SP and HTAB
// (RFC 9110 §5.5). Field values are most of a request head, so it checks
// eight bytes at a time for a control byte (< 0x20) or DEL, falling back to
// the byte table only for a word that has one (such as a HTAB).
func validFieldBytes(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		less20 := (x - ones*0x20) & ^x & highs // some byte < 0x20
		y := x ^ (ones * 0x7f)
		del := (y - ones) & ^y & highs // some byte == 0x7f
		if less20|del != 0 {
			break
		}
		b = b[8:]
	}
	for _, c := range b {
		if charClass[c]&classFieldVchar == 0 {
			return false
		}
	}
	return true
}

// validFieldValue reports whether v may be sent as a field value: no CR, LF,
// NUL or other controls (RFC 9110 §5.5). Used for response fields, where a
// handler's mistake must not split the response.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if charClass[v[i]]&classFieldVchar == 0 {
			return false
		}
	}
	return true
}

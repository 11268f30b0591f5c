package memstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// This file holds the row encoding of snapshot format 2 (see doc.go): a
// row is its length and a list of numbered fields, in the manner of
// protocol buffers, so that adding a field to a row is one line in its
// encoder and one case in its decoder, and older rows (without the field)
// decode to its zero value.

// Wire types: the low bit of a field's key.
const (
	wireVarint = 0 // a uvarint follows
	wireBytes  = 1 // a uvarint length and that many bytes follow
)

// errBadRow is wrapped by every row decoding error.
var errBadRow = errors.New("malformed row")

// rowWriter appends one row's fields; see appendRow. err keeps the first
// error of an encoding that can fail (msgpack).
type rowWriter struct {
	b   []byte
	err error
}

func (w *rowWriter) key(field, wire int) {
	w.b = binary.AppendUvarint(w.b, uint64(field)<<1|uint64(wire))
}

// uint writes v under field; zero is not written (it is what absence means).
func (w *rowWriter) uint(field int, v uint64) {
	if v != 0 {
		w.key(field, wireVarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
}

// int writes a signed v, zig-zag encoded.
func (w *rowWriter) int(field int, v int64) { w.uint(field, uint64(v<<1)^uint64(v>>63)) }

func (w *rowWriter) bool(field int, v bool) {
	if v {
		w.uint(field, 1)
	}
}

// time writes t as Unix nanoseconds; the zero time is not written.
func (w *rowWriter) time(field int, t time.Time) {
	if !t.IsZero() {
		w.key(field, wireVarint)
		n := t.UnixNano()
		w.b = binary.AppendUvarint(w.b, uint64(n<<1)^uint64(n>>63))
	}
}

func (w *rowWriter) str(field int, s string) {
	if s != "" {
		w.key(field, wireBytes)
		w.b = binary.AppendUvarint(w.b, uint64(len(s)))
		w.b = append(w.b, s...)
	}
}

// msgpack writes v encoded with msgpack, for nested or rarely used values
// where a few bytes more do not matter; nil is not written.
func (w *rowWriter) msgpack(field int, v any) {
	b, err := msgpack.Marshal(v)
	if err != nil {
		w.err = cmp.Or(w.err, fmt.Errorf("field %d: %w", field, err))
		return
	}
	w.str(field, string(b))
}

// rowReader reads rows out of one chunk. The chunk is held as a string so
// that every string field is a substring of it: decoding a row allocates
// nothing for its text.
type rowReader struct {
	s   string
	off int
}

func (r *rowReader) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if r.off >= len(r.s) {
			return 0, fmt.Errorf("%w: varint past the end", errBadRow)
		}
		c := r.s[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: varint overflows", errBadRow)
}

// row returns a reader of the next row's fields.
func (r *rowReader) row() (fieldReader, error) {
	n, err := r.uvarint()
	if err != nil {
		return fieldReader{}, err
	}
	if n > uint64(len(r.s)-r.off) {
		return fieldReader{}, fmt.Errorf("%w: row of %d bytes, %d left", errBadRow, n, len(r.s)-r.off)
	}
	fr := fieldReader{rowReader{s: r.s[:r.off+int(n)], off: r.off}}
	r.off += int(n)
	return fr, nil
}

// fieldReader reads one row's fields: next returns each field's number,
// then the caller takes its value with uint, int, time, str or msgpack (or
// skip, for a field it does not know).
type fieldReader struct {
	rowReader
}

type field struct {
	num  int
	wire int
	v    uint64 // the value (wireVarint) or the length (wireBytes)
}

// next reads the next field's key and value; ok is false at the row's end.
func (r *fieldReader) next() (f field, ok bool, err error) {
	if r.off >= len(r.s) {
		return field{}, false, nil
	}
	k, err := r.uvarint()
	if err != nil {
		return field{}, false, err
	}
	f = field{num: int(k >> 1), wire: int(k & 1)}
	if f.v, err = r.uvarint(); err != nil {
		return field{}, false, err
	}
	if f.wire == wireBytes && f.v > uint64(len(r.s)-r.off) {
		return field{}, false, fmt.Errorf("%w: field %d of %d bytes, %d left", errBadRow, f.num, f.v, len(r.s)-r.off)
	}
	return f, true, nil
}

// str returns f's bytes as a string (a substring of the chunk).
func (r *fieldReader) str(f field) (string, error) {
	if f.wire != wireBytes {
		return "", fmt.Errorf("%w: field %d is not bytes", errBadRow, f.num)
	}
	s := r.s[r.off : r.off+int(f.v)]
	r.off += int(f.v)
	return s, nil
}

func (r *fieldReader) uint(f field) (uint64, error) {
	if f.wire != wireVarint {
		return 0, fmt.Errorf("%w: field %d is not a varint", errBadRow, f.num)
	}
	return f.v, nil
}

func (r *fieldReader) bool(f field) (bool, error) {
	u, err := r.uint(f)
	return u != 0, err
}

func (r *fieldReader) int(f field) (int64, error) {
	u, err := r.uint(f)
	return int64(u>>1) ^ -int64(u&1), err
}

// time returns f as a time.Time in the local zone, as msgpack decodes
// times (format 1 and the log), so that a state reads the same whichever
// way it was loaded.
func (r *fieldReader) time(f field) (time.Time, error) {
	n, err := r.int(f)
	return time.Unix(0, n), err
}

func (r *fieldReader) msgpack(f field, v any) error {
	s, err := r.str(f)
	if err != nil {
		return err
	}
	if err := msgpack.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("%w: field %d: %w", errBadRow, f.num, err)
	}
	return nil
}

// skip passes over a field this version does not know: a newer vlogd may
// have added it.
func (r *fieldReader) skip(f field) {
	if f.wire == wireBytes {
		r.off += int(f.v)
	}
}

// eachField calls fn with every field of the row, after which it checks fn
// consumed each bytes field it took (fn calls skip for fields it ignores).
func (r *fieldReader) eachField(fn func(f field) error) error {
	for {
		f, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
}

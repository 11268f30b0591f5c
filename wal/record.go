package wal

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/vmihailenco/msgpack/v5"
)

// RecordType says what a frame's payload is.
type RecordType uint8

const (
	// TypeEntry is a caller's record: a sequence number and opaque bytes.
	TypeEntry RecordType = 1
	// TypeCommit ends a batch and covers every entry frame in it.
	TypeCommit RecordType = 2
)

// Record is the decoded payload of one frame (see doc.go for the bytes).
type Record struct {
	Type RecordType
	// Seq is an entry's sequence number; for a commit, the batch's last.
	Seq uint64
	// First is a commit's first sequence number (zero for entries).
	First uint64
	// Sum is a commit's CRC-32C over the 8-byte headers of the batch's
	// entry frames, in order (zero for entries).
	Sum uint32
	// Data is an entry's payload (nil for commits).
	Data []byte
	// Time is a commit's wall-clock time in Unix nanoseconds, taken when
	// the batch was written (zero for entries). Point-in-time restore cuts
	// the log by it.
	Time int64
}

const (
	// MaxFrameSize bounds a frame's payload length. A length above it is
	// damage, never a reason to allocate.
	MaxFrameSize = 64 << 20
	// MaxRecordSize is the largest payload Append accepts: MaxFrameSize
	// less the msgpack overhead of an entry (array, type, seq, bin32 header).
	MaxRecordSize = MaxFrameSize - 16

	frameHeaderSize  = 8  // uint32 length + uint32 CRC-32C
	minPayload       = 4  // smallest entry: [1, seq<128, nil]
	minCommitPayload = 6  // [2, first, last, sum, time], every field one byte
	maxCommitPayload = 34 // fixarray + type + uint64 + uint64 + uint32 + uint64
	maxCommitFrame   = frameHeaderSize + maxCommitPayload
)

// castagnoli is the CRC-32C table used for frames, headers and snapshots.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeRecord appends the msgpack payload of r to buf.
// Entries are [1, seq, data]; commits are [2, first, last, sum, time].
func encodeRecord(enc *msgpack.Encoder, r *Record) error {
	switch r.Type {
	case TypeEntry:
		if err := enc.EncodeArrayLen(3); err != nil {
			return err
		}
		if err := enc.EncodeUint(uint64(TypeEntry)); err != nil {
			return err
		}
		if err := enc.EncodeUint(r.Seq); err != nil {
			return err
		}
		return enc.EncodeBytes(r.Data)
	case TypeCommit:
		if r.Time < 0 {
			return fmt.Errorf("commit time %d before 1970", r.Time)
		}
		if err := enc.EncodeArrayLen(5); err != nil {
			return err
		}
		if err := enc.EncodeUint(uint64(TypeCommit)); err != nil {
			return err
		}
		if err := enc.EncodeUint(r.First); err != nil {
			return err
		}
		if err := enc.EncodeUint(r.Seq); err != nil {
			return err
		}
		if err := enc.EncodeUint(uint64(r.Sum)); err != nil {
			return err
		}
		return enc.EncodeUint(uint64(r.Time))
	}
	return fmt.Errorf("unknown record type %d", r.Type)
}

// recordDecoder decodes frame payloads, reusing its msgpack state.
type recordDecoder struct {
	br bytes.Reader
	mp *msgpack.Decoder
}

func newRecordDecoder() *recordDecoder {
	d := &recordDecoder{}
	d.mp = msgpack.NewDecoder(&d.br)
	return d
}

// decode parses payload strictly: the exact array shape of its type and no
// trailing bytes. An entry's Data aliases payload (no copy).
func (d *recordDecoder) decode(payload []byte) (Record, error) {
	d.br.Reset(payload)
	d.mp.Reset(&d.br)
	n, err := d.mp.DecodeArrayLen()
	if err != nil {
		return Record{}, fmt.Errorf("record: %w", err)
	}
	t, err := d.mp.DecodeUint8()
	if err != nil {
		return Record{}, fmt.Errorf("record type: %w", err)
	}
	var r Record
	switch RecordType(t) {
	case TypeEntry:
		r, err = d.decodeEntry(n, payload)
	case TypeCommit:
		r, err = d.decodeCommit(n)
	default:
		return Record{}, fmt.Errorf("unknown record type %d", t)
	}
	if err != nil {
		return Record{}, err
	}
	if d.br.Len() != 0 {
		return Record{}, fmt.Errorf("%d trailing bytes after record", d.br.Len())
	}
	return r, nil
}

func (d *recordDecoder) decodeEntry(n int, payload []byte) (Record, error) {
	if n != 3 {
		return Record{}, fmt.Errorf("entry has %d fields, want 3", n)
	}
	seq, err := d.mp.DecodeUint64()
	if err != nil {
		return Record{}, fmt.Errorf("entry seq: %w", err)
	}
	if seq == 0 {
		return Record{}, errors.New("entry seq 0")
	}
	size, err := d.mp.DecodeBytesLen()
	if err != nil {
		return Record{}, fmt.Errorf("entry data: %w", err)
	}
	r := Record{Type: TypeEntry, Seq: seq}
	if size < 0 { // msgpack nil
		return r, nil
	}
	// Check the claimed length against the bytes left before slicing.
	if size > d.br.Len() {
		return Record{}, fmt.Errorf("entry data length %d exceeds the %d bytes left", size, d.br.Len())
	}
	start := len(payload) - d.br.Len()
	r.Data = payload[start : start+size : start+size]
	d.br.Reset(payload[start+size:])
	return r, nil
}

func (d *recordDecoder) decodeCommit(n int) (Record, error) {
	if n != 5 {
		return Record{}, fmt.Errorf("commit has %d fields, want 5", n)
	}
	first, err := d.mp.DecodeUint64()
	if err != nil {
		return Record{}, fmt.Errorf("commit first: %w", err)
	}
	last, err := d.mp.DecodeUint64()
	if err != nil {
		return Record{}, fmt.Errorf("commit last: %w", err)
	}
	sum, err := d.mp.DecodeUint32()
	if err != nil {
		return Record{}, fmt.Errorf("commit sum: %w", err)
	}
	nanos, err := d.mp.DecodeUint64()
	if err != nil {
		return Record{}, fmt.Errorf("commit time: %w", err)
	}
	if first == 0 || last < first {
		return Record{}, fmt.Errorf("commit covers seq %d..%d", first, last)
	}
	if nanos > math.MaxInt64 {
		return Record{}, fmt.Errorf("commit time %d out of range", nanos)
	}
	return Record{Type: TypeCommit, First: first, Seq: last, Sum: sum, Time: int64(nanos)}, nil
}

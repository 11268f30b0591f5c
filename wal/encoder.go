package wal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/vmihailenco/msgpack/v5"
)

// Encoder frames records: length + CRC-32C + msgpack payload (doc.go).
// It is not safe for concurrent use; the log's writer goroutine owns one.
type Encoder struct {
	scratch bytes.Buffer
	mp      *msgpack.Encoder
}

// NewEncoder returns an Encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.mp = msgpack.NewEncoder(&e.scratch)
	return e
}

// AppendFrame appends the frame of r to dst and returns the extended slice.
func (e *Encoder) AppendFrame(dst []byte, r *Record) ([]byte, error) {
	e.scratch.Reset()
	if err := encodeRecord(e.mp, r); err != nil {
		return dst, fmt.Errorf("encode seq %d: %w", r.Seq, err)
	}
	payload := e.scratch.Bytes()
	if len(payload) > MaxFrameSize {
		return dst, fmt.Errorf("encode seq %d: payload %d bytes: %w", r.Seq, len(payload), ErrTooLarge)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...), nil
}

// AppendBatch appends one entry frame per payload, numbered from first, and
// the commit frame covering them, to dst. The commit's Sum is the CRC-32C of
// the entry frames' 8-byte headers in order; as each header holds its
// payload's CRC, the commit covers every byte of the batch, and recovery can
// tell a complete batch from one that a crash cut short (Invariant 4).
// commitTime (Unix nanoseconds, >= 0) is stamped on the commit frame: the
// log passes its clock, a restore that cuts a batch short passes the
// original batch's time. Errors: no payloads, a negative time, a payload
// over MaxFrameSize (ErrTooLarge); dst is then returned unextended.
func (e *Encoder) AppendBatch(dst []byte, first uint64, payloads [][]byte, commitTime int64) ([]byte, error) {
	if len(payloads) == 0 {
		return dst, fmt.Errorf("encode batch at seq %d: no entries", first)
	}
	start := len(dst)
	var sum uint32
	var err error
	for i, p := range payloads {
		at := len(dst)
		dst, err = e.AppendFrame(dst, &Record{Type: TypeEntry, Seq: first + uint64(i), Data: p})
		if err != nil {
			return dst[:start], err
		}
		sum = crc32.Update(sum, castagnoli, dst[at:at+frameHeaderSize])
	}
	commit := Record{
		Type:  TypeCommit,
		First: first,
		Seq:   first + uint64(len(payloads)) - 1,
		Sum:   sum,
		Time:  commitTime,
	}
	dst, err = e.AppendFrame(dst, &commit)
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

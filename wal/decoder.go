package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Frame is one decoded frame and where it lies in its file.
type Frame struct {
	Record
	Offset int64 // where the frame's header starts
	Size   int64 // header plus payload bytes

	hdr [frameHeaderSize]byte
}

// Decoder reads frames from an io.Reader. Next reports, as the error:
//   - io.EOF: the input ended cleanly at a frame boundary;
//   - io.ErrUnexpectedEOF: the input ended inside a frame, or a frame's length
//     runs past the bytes left (a torn write, or a damaged length);
//   - *CorruptError: a length out of range, a checksum mismatch, or a payload
//     that is not a well-formed record;
//   - any other error: reading failed.
//
// Offset then says where the failing frame starts. After an error, Next keeps
// returning it. A Decoder does not judge batches; see batchReader.
type Decoder struct {
	r      io.Reader
	br     *bufio.Reader // r, when it is one: payloads are peeked, not copied twice
	path   string
	off    int64 // absolute offset of the next frame
	left   int64 // bytes left in r, or -1 when unknown
	rec    *recordDecoder
	err    error
	hdr    [frameHeaderSize]byte
	slab   []byte // carved into entry payloads, to allocate in bulk
	borrow bool   // drop entry Data instead of copying it (scans that keep no data)
}

// slabSize is the bulk allocation payloads are carved from. A payload kept
// by the caller keeps its slab alive, so it stays modest.
const slabSize = 64 << 10

// NewDecoder returns a Decoder for frames read from r. path names the file
// in errors; offset is the absolute offset in it where r starts; size is the
// number of bytes r holds, or -1 when unknown (a file still growing). With a
// known size a frame's length is checked against the bytes left before any
// allocation; with an unknown size the payload buffer grows only as bytes
// actually arrive. Pass a *bufio.Reader to save a copy per frame.
func NewDecoder(r io.Reader, path string, offset, size int64) *Decoder {
	d := &Decoder{r: r, path: path, off: offset, left: size, rec: newRecordDecoder()}
	d.br, _ = r.(*bufio.Reader)
	return d
}

// Offset returns the absolute offset of the next frame, or of the frame that
// failed after an error.
func (d *Decoder) Offset() int64 { return d.off }

// Next decodes the next frame. An entry's Data is the caller's to keep; the
// Decoder never writes to it again.
func (d *Decoder) Next() (Frame, error) {
	if d.err != nil {
		return Frame{}, d.err
	}
	f, err := d.next()
	if err != nil {
		d.err = err
		return Frame{}, err
	}
	d.off += f.Size
	if d.left >= 0 {
		d.left -= f.Size
	}
	return f, nil
}

func (d *Decoder) next() (Frame, error) {
	if _, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		return Frame{}, err // io.EOF at a boundary, io.ErrUnexpectedEOF inside
	}
	length := binary.LittleEndian.Uint32(d.hdr[0:4])
	sum := binary.LittleEndian.Uint32(d.hdr[4:8])
	if length < minPayload || length > MaxFrameSize {
		return Frame{}, d.corrupt(fmt.Sprintf("frame length %d out of range [%d, %d]", length, minPayload, MaxFrameSize))
	}
	// Check the length against the bytes left before allocating for it.
	if d.left >= 0 && int64(length) > d.left-frameHeaderSize {
		return Frame{}, io.ErrUnexpectedEOF
	}
	raw, peeked, err := d.readPayload(int(length))
	if err != nil {
		return Frame{}, err
	}
	if peeked {
		defer d.br.Discard(int(length))
	}
	if got := crc32.Checksum(raw, castagnoli); got != sum {
		return Frame{}, d.corrupt(fmt.Sprintf("frame checksum %08x, want %08x", got, sum))
	}
	rec, err := d.rec.decode(raw)
	if err != nil {
		return Frame{}, d.corrupt(err.Error())
	}
	if peeked && rec.Data != nil {
		rec.Data = d.keep(rec.Data) // out of bufio's buffer before it is reused
	}
	return Frame{Record: rec, Offset: d.off, Size: frameHeaderSize + int64(length), hdr: d.hdr}, nil
}

// readPayload returns the next n bytes. peeked means they still lie in the
// bufio.Reader's buffer and must be discarded from it once decoded.
func (d *Decoder) readPayload(n int) (raw []byte, peeked bool, err error) {
	if d.br != nil && n <= d.br.Size() {
		raw, err = d.br.Peek(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		return raw, true, nil
	}
	raw, err = d.readCopy(n)
	return raw, false, err
}

// readCopy reads exactly n bytes into a new buffer. With an unknown size it
// grows the buffer as data arrives, so a damaged length cannot force a huge
// allocation.
func (d *Decoder) readCopy(n int) ([]byte, error) {
	if d.left >= 0 {
		raw := make([]byte, n)
		if _, err := io.ReadFull(d.r, raw); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return raw, nil
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, d.r, int64(n))
	if got < int64(n) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// keep copies an entry's data out of the read buffer into the slab. In
// borrow mode (a scan that keeps no data) it returns nil instead.
func (d *Decoder) keep(data []byte) []byte {
	if d.borrow {
		return nil
	}
	n := len(data)
	if n > slabSize/4 {
		return bytes.Clone(data)
	}
	if cap(d.slab)-len(d.slab) < n {
		d.slab = make([]byte, 0, slabSize)
	}
	start := len(d.slab)
	d.slab = append(d.slab, data...)
	return d.slab[start : start+n : start+n]
}

func (d *Decoder) corrupt(reason string) *CorruptError {
	return &CorruptError{Path: d.path, Offset: d.off, Reason: reason}
}

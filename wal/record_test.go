package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []Record{
		{Type: TypeEntry, Seq: 1, Data: []byte("hello")},
		{Type: TypeEntry, Seq: 127, Data: nil},
		{Type: TypeEntry, Seq: 128, Data: []byte{}},
		{Type: TypeEntry, Seq: 1 << 40, Data: bytes.Repeat([]byte{0xc1}, 70000)},
		{Type: TypeEntry, Seq: ^uint64(0), Data: []byte{0}},
		{Type: TypeCommit, First: 1, Seq: 1, Sum: 0},
		{Type: TypeCommit, First: 300, Seq: 70000, Sum: 0xffffffff, Time: 1767225600123456789},
		{Type: TypeCommit, First: ^uint64(0), Seq: ^uint64(0), Sum: 1, Time: math.MaxInt64},
	}
	enc := NewEncoder()
	for _, want := range tests {
		frame, err := enc.AppendFrame(nil, &want)
		if err != nil {
			t.Fatalf("AppendFrame(%+v) err = %v", want, err)
		}
		d := NewDecoder(bytes.NewReader(frame), "mem", 0, int64(len(frame)))
		got, err := d.Next()
		if err != nil {
			t.Fatalf("Next() of %+v err = %v", want, err)
		}
		if got.Type != want.Type || got.Seq != want.Seq || got.First != want.First || got.Sum != want.Sum || got.Time != want.Time ||
			!bytes.Equal(got.Data, want.Data) {
			t.Errorf("round trip of %+v = %+v", want, got.Record)
		}
		if got.Offset != 0 || got.Size != int64(len(frame)) {
			t.Errorf("frame of seq %d at %d size %d, want 0 and %d", want.Seq, got.Offset, got.Size, len(frame))
		}
		if _, err := d.Next(); err != io.EOF {
			t.Errorf("Next() after the only frame err = %v, want io.EOF", err)
		}
		if want.Type == TypeCommit && (len(frame) < frameHeaderSize+minCommitPayload || len(frame) > maxCommitFrame) {
			t.Errorf("commit frame is %d bytes, outside [%d, %d]", len(frame), frameHeaderSize+minCommitPayload, maxCommitFrame)
		}
	}
}

// TestDecoderDamage pins the decoder contract: io.EOF only at a clean end,
// io.ErrUnexpectedEOF for a cut frame, *CorruptError for damage.
func TestDecoderDamage(t *testing.T) {
	enc := NewEncoder()
	good, err := enc.AppendFrame(nil, &Record{Type: TypeEntry, Seq: 7, Data: []byte("payload")})
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	le32 := func(b []byte, v uint32) []byte {
		b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string // "eof", "torn", or a substring of the CorruptError reason
	}{
		{"empty", nil, "eof"},
		{"half header", good[:5], "torn"},
		{"header only", good[:8], "torn"},
		{"cut payload", good[:len(good)-1], "torn"},
		{"length past end", with(func(b []byte) []byte { return le32(b, 1000) }), "torn"},
		{"length over max", with(func(b []byte) []byte { return le32(b, MaxFrameSize+1) }), "out of range"},
		{"length zero", with(func(b []byte) []byte { return le32(b, 0) }), "out of range"},
		{"flipped payload", with(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "checksum"},
		{"flipped crc", with(func(b []byte) []byte { b[5] ^= 0x80; return b }), "checksum"},
		{"not msgpack", frameOf([]byte{0xc1, 0xc1, 0xc1, 0xc1}), "record"},
		{"unknown type", frameOf([]byte{0x93, 0x09, 0x01, 0xc0}), "unknown record type 9"},
		{"entry seq zero", frameOf([]byte{0x93, 0x01, 0x00, 0xc0}), "seq 0"},
		{"trailing bytes", frameOf([]byte{0x93, 0x01, 0x01, 0xc0, 0x00}), "trailing"},
		{"bin longer than payload", frameOf([]byte{0x93, 0x01, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff}), "exceeds"},
		{"commit last before first", frameOf([]byte{0x95, 0x02, 0x05, 0x04, 0x00, 0x00}), "covers seq 5..4"},
		{"commit without time", frameOf([]byte{0x94, 0x02, 0x01, 0x01, 0x00}), "4 fields, want 5"},
		{"commit time over int64", frameOf([]byte{0x95, 0x02, 0x01, 0x01, 0x00, 0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0}), "time"},
	}
	for _, tt := range tests {
		d := NewDecoder(bytes.NewReader(tt.in), "mem", 100, int64(len(tt.in)))
		_, err := d.Next()
		var ce *CorruptError
		switch {
		case tt.want == "eof":
			if err != io.EOF {
				t.Errorf("%s: Next() err = %v, want io.EOF", tt.name, err)
			}
		case tt.want == "torn":
			if err != io.ErrUnexpectedEOF {
				t.Errorf("%s: Next() err = %v, want io.ErrUnexpectedEOF", tt.name, err)
			}
		case !errors.As(err, &ce) || !strings.Contains(ce.Reason, tt.want) || ce.Offset != 100 || ce.Path != "mem":
			t.Errorf("%s: Next() err = %v, want *CorruptError at mem offset 100 with %q", tt.name, err, tt.want)
		}
		if d.Offset() != 100 {
			t.Errorf("%s: Offset() after error = %d, want 100", tt.name, d.Offset())
		}
		// An unknown size must give the same verdict.
		d2 := NewDecoder(bytes.NewReader(tt.in), "mem", 100, -1)
		if _, err2 := d2.Next(); (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Errorf("%s: with unknown size err = %v, want %v", tt.name, err2, err)
		}
	}
}

// frameOf frames a raw payload with a correct length and checksum.
func frameOf(payload []byte) []byte {
	var b []byte
	b = append(b, byte(len(payload)), byte(len(payload)>>8), byte(len(payload)>>16), byte(len(payload)>>24))
	sum := crc32c(payload)
	b = append(b, byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24))
	return append(b, payload...)
}

// goldenTime is the clock of the log that writes the golden segment.
var goldenTime = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)

// TestGoldenSegment pins the on-disk format byte for byte: a fresh segment
// written by the real Log holding one batch. Run with -update to rewrite it
// after a deliberate format change (which also needs a new version number).
func TestGoldenSegment(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(nil)
	opts.Now = func() time.Time { return goldenTime }
	l := mustOpen(t, dir, opts)
	mustAppend(t, l, "hello, vlogd")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "wal", segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "segment-v1.wal")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test -run TestGoldenSegment -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fresh segment bytes changed:\n got %x\nwant %x", got, want)
	}
	// The golden must still load: format fixtures keep loading forever.
	dir2 := t.TempDir()
	os.MkdirAll(filepath.Join(dir2, "wal"), 0o755)
	os.WriteFile(filepath.Join(dir2, "wal", segmentName(1)), want, 0o644)
	l2 := mustOpen(t, dir2, testOptions(nil))
	if got := replayAll(t, l2, 0); len(got) != 1 || got[0] != (rec{1, "hello, vlogd"}) {
		t.Fatalf("Replay of golden = %v, want [{1 hello, vlogd}]", got)
	}
}

// TestGoldenLayout spells out the golden's bytes field by field, so the
// doc.go description and the code cannot drift apart unnoticed.
func TestGoldenLayout(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "segment-v1.wal"))
	if err != nil {
		t.Fatalf("read golden: %v", err)
	}
	want := []byte("VLOGWAL\x00")
	want = append(want, 1, 0, 0, 0)             // version
	want = append(want, 1, 0, 0, 0, 0, 0, 0, 0) // first seq
	if !bytes.Equal(b[:20], want) {
		t.Fatalf("header = %x, want %x", b[:20], want)
	}
	entry := []byte{0x93, 0x01, 0x01, 0xc4, 12}
	entry = append(entry, "hello, vlogd"...)
	if !bytes.Equal(b[24:24+8+len(entry)], frameOf(entry)) {
		t.Fatalf("entry frame = %x, want %x", b[24:24+8+len(entry)], frameOf(entry))
	}
	sum := crc32c(frameOf(entry)[:frameHeaderSize])
	// The golden's sum needs all 32 bits: msgpack uint32 (0xce), big-endian;
	// its time (Unix nanoseconds) needs 64: msgpack uint64 (0xcf).
	commit := []byte{0x95, 0x02, 0x01, 0x01, 0xce, byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum), 0xcf}
	commit = binary.BigEndian.AppendUint64(commit, uint64(goldenTime.UnixNano()))
	if rest := b[24+8+len(entry):]; !bytes.Equal(rest, frameOf(commit)) {
		t.Fatalf("commit frame = %x, want %x", rest, frameOf(commit))
	}
}

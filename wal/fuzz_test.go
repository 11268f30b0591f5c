package wal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to the frame decoder (as a frame stream,
// with known and unknown size) and to the segment scanner (as a whole
// segment). Every input must end in records plus io.EOF, a torn tail or a
// *CorruptError: never a panic, never an allocation the input's size cannot
// justify, and repairing a torn tail must leave a segment that scans clean.
func FuzzDecoder(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc

		known := decodeAll(t, bytes.NewReader(data), data, int64(len(data)))
		if unknown := decodeAll(t, bytes.NewReader(data), data, -1); unknown != known {
			t.Fatalf("known size gives %s, unknown size gives %s", known, unknown)
		}
		// A small bufio.Reader: short payloads are peeked, long ones copied.
		if peeked := decodeAll(t, bufio.NewReaderSize(bytes.NewReader(data), 16), data, int64(len(data))); peeked != known {
			t.Fatalf("plain reader gives %s, bufio.Reader gives %s", known, peeked)
		}
		scanAndRepair(t, data)

		runtime.ReadMemStats(&ms)
		if got, limit := ms.TotalAlloc-before, uint64(16*len(data)+256<<10); got > limit {
			t.Fatalf("%d-byte input allocated %d bytes, limit %d", len(data), got, limit)
		}
	})
}

// decodeAll decodes frames until an error and summarises what it saw.
func decodeAll(t *testing.T, r io.Reader, data []byte, size int64) string {
	d := NewDecoder(r, "fuzz", 0, size)
	var total int64
	var sum uint32
	for {
		fr, err := d.Next()
		if err == nil {
			if fr.Offset != total || fr.Size < frameHeaderSize+minPayload {
				t.Fatalf("frame at %d size %d, want offset %d", fr.Offset, fr.Size, total)
			}
			if fr.Type == TypeEntry && !bytes.Equal(fr.Data, data[total+fr.Size-int64(len(fr.Data)):total+fr.Size]) {
				t.Fatalf("entry at %d: Data %q is not the payload's last %d bytes", total, fr.Data, len(fr.Data))
			}
			total += fr.Size
			sum = crc32.Update(sum, castagnoli, fr.hdr[:])
			continue
		}
		if total > int64(len(data)) || d.Offset() != total {
			t.Fatalf("decoded %d bytes of %d, Offset() = %d", total, len(data), d.Offset())
		}
		var ce *CorruptError
		switch {
		case err == io.EOF:
			if total != int64(len(data)) {
				t.Fatalf("io.EOF after %d of %d bytes", total, len(data))
			}
		case err == io.ErrUnexpectedEOF:
		case errors.As(err, &ce):
			if ce.Offset != total {
				t.Fatalf("CorruptError at %d, want %d", ce.Offset, total)
			}
		default:
			t.Fatalf("Next() err = %v, want io.EOF, io.ErrUnexpectedEOF or *CorruptError", err)
		}
		return fmt.Sprintf("%d bytes sum %08x then %T %v", total, sum, err, err)
	}
}

// scanAndRepair scans data as the last segment; a torn tail cut at its
// offset must scan clean with the same complete batches.
func scanAndRepair(t *testing.T, data []byte) {
	seg := segment{path: "fuzz.wal"}
	s, err := scanSegmentAt(seg, bytes.NewReader(data), int64(len(data)), true, false, nil)
	var ce *CorruptError
	switch {
	case err == nil:
	case errors.As(err, &ce), errors.Is(err, ErrNewerFormat):
		return
	default:
		t.Fatalf("scan err = %v, want nil, *CorruptError or ErrNewerFormat", err)
	}
	if s.end > int64(len(data)) || s.end < segHeaderSize {
		t.Fatalf("scan end %d outside [%d, %d]", s.end, segHeaderSize, len(data))
	}
	if s.torn == nil {
		if s.end != int64(len(data)) {
			t.Fatalf("clean scan ended at %d of %d bytes", s.end, len(data))
		}
		return
	}
	if s.torn.Offset != s.end {
		t.Fatalf("torn tail at %d, last complete batch ends at %d", s.torn.Offset, s.end)
	}
	cut := data[:s.end]
	s2, err := scanSegmentAt(seg, bytes.NewReader(cut), int64(len(cut)), false, false, nil)
	if err != nil || s2.last != s.last || s2.end != s.end {
		t.Fatalf("after cutting the torn tail: last %d end %d err %v, want last %d end %d", s2.last, s2.end, err, s.last, s.end)
	}
}

// fuzzSeeds are the committed corpus plus inputs built from the real
// encoder: the golden segment, each fixture segment, bare frames.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	add := func(p string) {
		if b, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, b)
		}
	}
	add(filepath.Join("testdata", "golden", "segment-v1.wal"))
	paths, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "wal", "*.wal"))
	for _, p := range paths {
		add(p)
	}
	enc := NewEncoder()
	b, _ := enc.AppendBatch(nil, 1, [][]byte{[]byte("a"), nil, []byte("ccc")}, fixtureTime(1))
	seeds = append(seeds, b, b[:len(b)-3], nil, []byte{0, 0, 0, 0, 0, 0, 0, 0})
	seg := appendSegmentHeader(nil, 9)
	seg, _ = enc.AppendBatch(seg, 9, [][]byte{[]byte("x")}, fixtureTime(9))
	seeds = append(seeds, seg, append(bytes.Clone(seg), 0xff, 0xff, 0xff, 0x00, 1, 2, 3, 4))
	return seeds
}

// TestWriteFuzzSeeds writes the seeds to testdata/fuzz/FuzzDecoder (with
// -update) so the corpus is committed where go test looks for it.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzDecoder")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecoder")
	os.MkdirAll(dir, 0o755)
	for i, seed := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRecover builds a valid segment from the input, then cuts it and/or
// flips bits in it, and checks Invariant 4 on the scan: a pure cut is always
// a torn tail; whatever is recovered is an exact prefix of the committed
// batches; every batch that ends before the damage is recovered; and an
// undamaged segment scans clean.
func FuzzRecover(f *testing.F) {
	f.Add([]byte{3, 0, 7, 1}, uint16(60), uint16(0), byte(0))
	f.Add([]byte{1, 2, 3}, uint16(0xffff), uint16(40), byte(0x10))
	f.Add([]byte{9, 9}, uint16(30), uint16(30), byte(0xff))
	f.Fuzz(func(t *testing.T, shape []byte, cut, flip uint16, mask byte) {
		if len(shape) > 16 {
			shape = shape[:16]
		}
		seg, ends, payloads := buildSegment(shape)
		damaged := bytes.Clone(seg)
		damageAt := int64(len(seg))
		if c := int64(cut); c < int64(len(seg)) {
			damaged, damageAt = damaged[:c], c
		}
		if mask != 0 && int(flip) < len(damaged) {
			damaged[flip] ^= mask
			damageAt = min(damageAt, int64(flip))
		}
		var got [][]byte
		s, err := scanSegmentAt(segment{path: "f.wal"}, bytes.NewReader(damaged), int64(len(damaged)), true, true,
			func(recs []Record, _ int64) error {
				for _, r := range recs {
					got = append(got, r.Data)
				}
				return nil
			})
		onlyCut := mask == 0 || int(flip) >= len(damaged)
		if err != nil {
			if onlyCut && damageAt >= segHeaderSize {
				t.Fatalf("a cut at %d of %d bytes was refused: %v", damageAt, len(seg), err)
			}
			return
		}
		for i := range got {
			if i >= len(payloads) || !bytes.Equal(got[i], payloads[i]) {
				t.Fatalf("record %d = %q, not the committed %q", i+1, got[i], payloads[min(i, len(payloads)-1)])
			}
		}
		// Every batch ending at or before the damage must survive.
		mustHave := 0
		for _, e := range ends {
			if e.end <= damageAt {
				mustHave = e.records
			}
		}
		if len(got) < mustHave || s.last != uint64(len(got)) {
			t.Fatalf("recovered %d records (last seq %d), want at least %d (damage at %d)", len(got), s.last, mustHave, damageAt)
		}
		if damageAt == int64(len(seg)) && (s.torn != nil || len(got) != len(payloads)) {
			t.Fatalf("undamaged segment: torn %v, %d of %d records", s.torn, len(got), len(payloads))
		}
	})
}

type batchEnd struct {
	end     int64 // offset after the batch
	records int   // records up to and including it
}

// buildSegment makes a segment starting at seq 1 with one batch per shape
// byte: (b%4)+1 records whose payloads are derived from b.
func buildSegment(shape []byte) ([]byte, []batchEnd, [][]byte) {
	enc := NewEncoder()
	seg := appendSegmentHeader(nil, 1)
	var ends []batchEnd
	var all [][]byte
	for i, b := range shape {
		var batch [][]byte
		for j := 0; j < int(b%4)+1; j++ {
			batch = append(batch, bytes.Repeat([]byte{b, byte(i), byte(j)}, int(b)%50))
		}
		seg, _ = enc.AppendBatch(seg, uint64(len(all))+1, batch, fixtureTime(uint64(len(all))+1))
		all = append(all, batch...)
		ends = append(ends, batchEnd{int64(len(seg)), len(all)})
	}
	return seg, ends, all
}

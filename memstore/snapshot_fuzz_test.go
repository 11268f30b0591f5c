package memstore

import (
	"testing"
)

// FuzzDecodeChunk feeds arbitrary bytes to the format 2 chunk decoder and
// merges what decodes: neither may panic or allocate beyond what the input
// could describe. The seed corpus (testdata/fuzz/FuzzDecodeChunk) holds the
// chunks of testdata/data/v2's snapshot.
func FuzzDecodeChunk(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		d := decodeChunk(b)
		if d.err != nil {
			return
		}
		ld := &loader{st: newState(), sizeHint: len(b), counts: make(map[sectionID]uint64)}
		if err := d.merge(ld, 0); err != nil {
			return
		}
		// A meta chunk merged: the loader accepts any section after it.
		if err := d.merge(ld, 1); err == nil {
			t.Fatalf("a second meta chunk merged")
		}
	})
}

package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// countingReader counts the bytes its callers took from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// mp4Stream returns an endless-looking upload: a real MP4 head, then n-len
// pseudo-random bytes (deterministic for a given seed).
func mp4Stream(tb testing.TB, n int64, seed uint64) io.Reader {
	head := mustReadFixture(tb, "clip.mp4")[:headSize]
	var key [32]byte
	key[0] = byte(seed)
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(rand.NewChaCha8(key), n-int64(len(head))))
}

func TestPutSizeCapEnforcedWhileReading(t *testing.T) {
	for _, limit := range []int64{1, 100, headSize, headSize + 1, 64 << 10} {
		s := mustOpenStore(t)
		cr := &countingReader{r: mp4Stream(t, 10*limit+headSize, 1)}
		_, err := s.Put(cr, limit, videoTypes)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("Put(10×limit %d) err = %v, want ErrTooLarge", limit, err)
		}
		if cr.n > limit+1 {
			t.Errorf("Put(limit %d) read %d bytes, want at most limit+1 = %d", limit, cr.n, limit+1)
		}
		if got := filesUnder(t, s.Dir()); len(got) != 0 {
			t.Errorf("Put(limit %d) over the limit left %v, want nothing (no tmp either)", limit, got)
		}
	}
}

func TestPutExactlyAtLimit(t *testing.T) {
	s := mustOpenStore(t)
	data := mustReadFixture(t, "clip.mp4")
	n := int64(len(data))
	if _, err := s.Put(bytes.NewReader(data), n-1, videoTypes); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put(%d bytes, limit %d) err = %v, want ErrTooLarge", n, n-1, err)
	}
	if b, err := s.Put(bytes.NewReader(data), n, videoTypes); err != nil || b.Size != n {
		t.Fatalf("Put(%d bytes, limit %d) = %+v, %v; want stored", n, n, b, err)
	}
}

func TestPutRefusesUnsupportedType(t *testing.T) {
	matroska := ebmlHeader("matroska")
	tests := []struct {
		name     string
		data     []byte
		accept   []string
		detected string
	}{
		{"html disguised as mp4", mustReadFixture(t, "disguised.mp4"), videoTypes, ""},
		{"matroska", matroska, videoTypes, TypeMatroska},
		{"jpeg as video", []byte("\xff\xd8\xff\xe0 a jpeg"), videoTypes, TypeJPEG},
		{"webm when only mp4", mustReadFixture(t, "clip.webm"), []string{TypeMP4}, TypeWebM},
		{"nothing accepted", mustReadFixture(t, "clip.mp4"), nil, TypeMP4},
		{"unknown even if \"\" is accepted", mustReadFixture(t, "disguised.mp4"), []string{""}, ""},
	}
	for _, tt := range tests {
		s := mustOpenStore(t)
		cr := &countingReader{r: io.MultiReader(bytes.NewReader(tt.data), zeros{})}
		_, err := s.Put(cr, 1<<30, tt.accept)
		var te *TypeError
		if !errors.As(err, &te) || te.Detected != tt.detected || !errors.Is(err, ErrUnsupportedType) {
			t.Errorf("%s: Put err = %v, want *TypeError{Detected: %q}", tt.name, err, tt.detected)
			continue
		}
		if !strings.HasPrefix(err.Error(), "media: unsupported type") {
			t.Errorf("%s: message %q, want it to start \"media: unsupported type\"", tt.name, err)
		}
		// Refused on its first bytes: the endless upload is not read on.
		if cr.n > headSize {
			t.Errorf("%s: Put read %d bytes before refusing, want at most %d", tt.name, cr.n, headSize)
		}
		if got := filesUnder(t, s.Dir()); len(got) != 0 {
			t.Errorf("%s: refused Put left %v, want nothing", tt.name, got)
		}
	}
}

func TestPutEmpty(t *testing.T) {
	s := mustOpenStore(t)
	if _, err := s.Put(strings.NewReader(""), 100, videoTypes); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Put(empty) err = %v, want ErrEmpty", err)
	}
	if got := filesUnder(t, s.Dir()); len(got) != 0 {
		t.Fatalf("Put(empty) left %v", got)
	}
}

// A reader that fails mid-upload (a client that went away) stores nothing.
func TestPutReadErrorStoresNothing(t *testing.T) {
	s := mustOpenStore(t)
	boom := errors.New("connection reset")
	r := io.MultiReader(mp4Stream(t, 100<<10, 2), &failingReader{boom})
	if _, err := s.Put(r, 1<<30, videoTypes); !errors.Is(err, boom) {
		t.Fatalf("Put err = %v, want it to wrap %v", err, boom)
	}
	if got := filesUnder(t, s.Dir()); len(got) != 0 {
		t.Fatalf("failed Put left %v", got)
	}
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestPutLargeWithBoundedMemory streams 200 MiB, more than a server would
// ever buffer, and checks that the heap did not grow with it.
func TestPutLargeWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MiB upload skipped under -short")
	}
	const size = 200 << 20
	const bound = 32 << 20
	s := mustOpenStore(t)

	want := sha256.New()
	if _, err := io.Copy(want, mp4Stream(t, size, 7)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := s.Put(mp4Stream(t, size, 7), size, videoTypes)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Put(200 MiB) err = %v", err)
	}
	if b.Size != size || b.Hash != hex.EncodeToString(want.Sum(nil)) || b.Type != TypeMP4 {
		t.Fatalf("Put(200 MiB) = %+v, want size %d, hash %x, video/mp4", b, size, want.Sum(nil))
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("Put(200 MiB): allocated %d bytes in total, heap in use grew by %d bytes", allocated, grown)
	if allocated > bound || grown > bound {
		t.Fatalf("Put(200 MiB) allocated %d bytes, heap grew %d bytes; want both under %d: the upload must stream", allocated, grown, bound)
	}
}

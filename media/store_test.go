package media

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPutOpenStatRoundTrip(t *testing.T) {
	for _, name := range []string{"clip.mp4", "clip.webm"} {
		t.Run(name, func(t *testing.T) {
			s := mustOpenStore(t)
			data := mustReadFixture(t, name)
			sum := sha256.Sum256(data)
			want := Blob{Hash: hex.EncodeToString(sum[:]), Size: int64(len(data)), Type: DetectType(data)}

			b, err := s.Put(bytes.NewReader(data), int64(len(data)), videoTypes)
			if err != nil {
				t.Fatalf("Put(%s) err = %v", name, err)
			}
			if b != want {
				t.Fatalf("Put(%s) = %+v, want %+v", name, b, want)
			}
			// The blob's name is its content address.
			path := filepath.Join(s.Dir(), b.Hash[:2], b.Hash)
			if got := filesUnder(t, s.Dir()); !slices.Equal(got, []string{filepath.Join(b.Hash[:2], b.Hash)}) {
				t.Fatalf("files after Put = %v, want only %s", got, path)
			}

			f, err := s.Open(b.Hash)
			if err != nil {
				t.Fatalf("Open(%s) err = %v", b.Hash, err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Open(%s) read %d bytes, err %v; want the %d bytes put", b.Hash, len(got), err, len(data))
			}
			st, err := s.Stat(b.Hash)
			if err != nil || st != want {
				t.Fatalf("Stat(%s) = %+v, %v; want %+v", b.Hash, st, err, want)
			}
			if err := s.Verify(b.Hash); err != nil {
				t.Fatalf("Verify(%s) = %v", b.Hash, err)
			}
		})
	}
}

func TestPutSameContentTwice(t *testing.T) {
	s := mustOpenStore(t)
	data := mustReadFixture(t, "clip.webm")
	first := mustPut(t, s, data)
	second := mustPut(t, s, data)
	if first != second {
		t.Fatalf("second Put = %+v, want %+v", second, first)
	}
	if got := filesUnder(t, s.Dir()); len(got) != 1 {
		t.Fatalf("files after two Puts of the same content = %v, want one blob", got)
	}
}

func TestPutConcurrentSameContent(t *testing.T) {
	s := mustOpenStore(t)
	data := mustReadFixture(t, "clip.mp4")
	var wg sync.WaitGroup
	blobs := make([]Blob, 8)
	errs := make([]error, 8)
	for i := range blobs {
		wg.Go(func() { blobs[i], errs[i] = s.Put(bytes.NewReader(data), 1<<20, videoTypes) })
	}
	wg.Wait()
	for i := range blobs {
		if errs[i] != nil || blobs[i] != blobs[0] {
			t.Fatalf("Put #%d = %+v, %v; want %+v", i, blobs[i], errs[i], blobs[0])
		}
	}
	if got := filesUnder(t, s.Dir()); len(got) != 1 {
		t.Fatalf("files after concurrent Puts = %v, want one blob", got)
	}
}

// A damaged blob (wrong size) is replaced by a fresh upload of the content.
func TestPutRepairsTruncatedBlob(t *testing.T) {
	s := mustOpenStore(t)
	data := mustReadFixture(t, "clip.mp4")
	b := mustPut(t, s, data)
	path, _ := s.path(b.Hash)
	if err := os.Truncate(path, 100); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, data)
	if err := s.Verify(b.Hash); err != nil {
		t.Fatalf("Verify after re-Put of a truncated blob = %v, want nil", err)
	}
}

func TestBadHashIsNotFound(t *testing.T) {
	s := mustOpenStore(t)
	b := mustPut(t, s, mustReadFixture(t, "clip.mp4"))
	// A file just outside the store, which traversal would reach.
	if err := os.WriteFile(filepath.Join(filepath.Dir(s.Dir()), "x"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"", "../x", "../../x", "/etc/passwd", "x",
		b.Hash[:63], b.Hash + "0", strings.ToUpper(b.Hash),
		b.Hash[:2] + "/" + b.Hash[3:], // right length, has a slash
		"../" + b.Hash[3:],            // right length, traversal
		strings.Repeat("g", 64),
		b.Hash[:63] + "\x00",
	}
	for _, h := range bad {
		if f, err := s.Open(h); !errors.Is(err, ErrNotFound) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%q) err = %v, want ErrNotFound", h, err)
		}
		if _, err := s.Stat(h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat(%q) err = %v, want ErrNotFound", h, err)
		}
		if err := s.Remove(h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Remove(%q) err = %v, want ErrNotFound", h, err)
		}
		if err := s.Verify(h); !errors.Is(err, ErrNotFound) {
			t.Errorf("Verify(%q) err = %v, want ErrNotFound", h, err)
		}
	}
	absent := strings.Repeat("0", 64)
	if _, err := s.Open(absent); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(absent) err = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(absent); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat(absent) err = %v, want ErrNotFound", err)
	}
}

func TestRemoveAndHashes(t *testing.T) {
	s := mustOpenStore(t)
	if hs, err := s.Hashes(); err != nil || len(hs) != 0 {
		t.Fatalf("Hashes of an empty store = %v, %v; want none", hs, err)
	}
	var want []string
	for _, name := range []string{"clip.mp4", "clip.webm"} {
		want = append(want, mustPut(t, s, mustReadFixture(t, name)).Hash)
	}
	png := mustPut(t, s, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...))
	want = append(want, png.Hash)
	slices.Sort(want)
	// Strays that are not blobs must not be reported.
	os.WriteFile(filepath.Join(s.Dir(), "README"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(s.Dir(), want[0][:2], "notablob"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(s.Dir(), "zz"), 0o755)

	hs, err := s.Hashes()
	if err != nil || !slices.Equal(hs, want) {
		t.Fatalf("Hashes = %v, %v; want %v", hs, err, want)
	}
	if err := s.Remove(png.Hash); err != nil {
		t.Fatalf("Remove(%s) = %v", png.Hash, err)
	}
	if err := s.Remove(png.Hash); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove(%s) = %v, want ErrNotFound", png.Hash, err)
	}
	if _, err := s.Stat(png.Hash); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after Remove = %v, want ErrNotFound", err)
	}
	hs, _ = s.Hashes()
	if slices.Contains(hs, png.Hash) || len(hs) != 2 {
		t.Fatalf("Hashes after Remove = %v, want %d without %s", hs, 2, png.Hash)
	}
}

func TestVerifyDetectsDamage(t *testing.T) {
	s := mustOpenStore(t)
	b := mustPut(t, s, mustReadFixture(t, "clip.webm"))
	path, _ := s.path(b.Hash)

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	f.ReadAt(one, 1000)
	one[0] ^= 0x01 // a single flipped bit, as bit rot would do
	f.WriteAt(one, 1000)
	f.Close()

	var ce *CorruptError
	if err := s.Verify(b.Hash); !errors.As(err, &ce) || ce.Hash != b.Hash || ce.Path != path {
		t.Fatalf("Verify after a flipped byte = %v, want *CorruptError for %s at %s", err, b.Hash, path)
	}
	os.Remove(path)
	if err := s.Verify(b.Hash); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "missing") {
		t.Fatalf("Verify of a missing blob = %v, want *CorruptError (missing)", err)
	}
}

func TestOpenRemovesStaleTemporaries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := mustPut(t, s, mustReadFixture(t, "clip.mp4"))
	// What a crash mid-upload leaves: a partial temporary file, here one in
	// the store's directory and one in a shard directory.
	os.WriteFile(filepath.Join(dir, "put-123456.tmp"), []byte("half an upl"), 0o600)
	os.WriteFile(filepath.Join(dir, b.Hash[:2], "put-9.tmp"), nil, 0o600)

	var logs bytes.Buffer
	s, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("re-Open: %v", err)
	}
	if got, want := filesUnder(t, dir), []string{filepath.Join(b.Hash[:2], b.Hash)}; !slices.Equal(got, want) {
		t.Fatalf("files after re-Open = %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "count=2") {
		t.Fatalf("Open logged %q, want the count of removed files (count=2)", logs.String())
	}
	if err := s.Verify(b.Hash); err != nil {
		t.Fatalf("blob damaged by Open: %v", err)
	}
}

// TestCrashDuringPut kills a real process in the middle of Put with SIGKILL
// and checks that only a temporary file is left, never a blob, and that the
// next Open removes it.
func TestCrashDuringPut(t *testing.T) {
	if dir := os.Getenv("MEDIA_CRASH_DIR"); dir != "" {
		crashHelper(dir) // never returns
	}
	dir := filepath.Join(t.TempDir(), "blobs")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringPut$")
	cmd.Env = append(os.Environ(), "MEDIA_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "uploading\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v; want \"uploading\"", line, err)
	}
	cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
	cmd.Wait()

	left := filesUnder(t, dir)
	if len(left) != 1 || !strings.HasSuffix(left[0], tmpExt) {
		t.Fatalf("after the crash the store holds %v, want exactly one temporary file", left)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := filesUnder(t, dir); len(got) != 0 {
		t.Fatalf("after re-Open the store holds %v, want nothing", got)
	}
	if hs, err := s.Hashes(); err != nil || len(hs) != 0 {
		t.Fatalf("Hashes after the crash = %v, %v; want none", hs, err)
	}
}

// crashHelper runs in the child process: it starts a Put that has written
// 1 MiB, says so on stdout, and blocks until killed.
func crashHelper(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		os.Exit(2)
	}
	head := mustReadFixtureRaw("clip.mp4")
	r := io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, 1<<20), &announceThenBlock{})
	s.Put(r, 1<<30, videoTypes)
	os.Exit(3) // unreachable: Put blocks
}

func mustReadFixtureRaw(name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "media", name))
	if err != nil {
		os.Exit(2)
	}
	return b
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// announceThenBlock is the tail of the helper's upload: by the time it is
// read, everything before it has been written to the temporary file.
type announceThenBlock struct{}

func (*announceThenBlock) Read(p []byte) (int, error) {
	os.Stdout.WriteString("uploading\n")
	time.Sleep(time.Hour) // not select{}: the runtime could call that a deadlock and exit
	return 0, io.EOF
}

package media

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

var (
	videoTypes = []string{TypeMP4, TypeWebM}
	anyType    = []string{TypeMP4, TypeWebM, TypeJPEG, TypePNG}
)

// mustOpenStore opens a store in a fresh temporary directory, with real
// fsyncs: the tests exercise the production path.
func mustOpenStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "blobs"), Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// mustReadFixture reads a file of testdata/media, shared with other packages.
func mustReadFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "media", name))
	if err != nil {
		tb.Fatalf("fixture: %v", err)
	}
	return b
}

// mustPut stores data and fails the test on error.
func mustPut(tb testing.TB, s *Store, data []byte) Blob {
	tb.Helper()
	b, err := s.Put(bytes.NewReader(data), 1<<30, anyType)
	if err != nil {
		tb.Fatalf("Put: %v", err)
	}
	return b
}

// filesUnder lists every regular file below dir, relative to it.
func filesUnder(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

package backup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Blobs that no snapshot or record kept in DEST references are removed
// once past the grace; referenced ones and young ones stay; DEST's size
// and free space are reported.
func TestPruneUnreferencedBlobs(t *testing.T) {
	src := buildSource(t)
	kept := putBlob(t, src, []byte("referenced video"))
	gone := putBlob(t, src, []byte("deleted video"))
	young := putBlob(t, src, []byte("video whose record is not copied yet"))
	dest := filepath.Join(t.TempDir(), "backup")
	refs := func(dir string) (map[string]bool, error) {
		if dir != dest {
			t.Errorf("ReferencedBlobs(%s), want DEST %s", dir, dest)
		}
		return map[string]bool{filepath.Base(kept): true}, nil
	}
	// First pass within the grace: everything is copied, nothing removed.
	logs := &logBuffer{}
	b := mustOpenBackup(t, src, dest, Options{Logger: testLogger(logs), ReferencedBlobs: refs})
	mustSync(t, b)
	destBlob := func(p string) string {
		name := filepath.Base(p)
		return filepath.Join(dest, "blobs", name[:2], name)
	}
	for _, p := range []string{kept, gone, young} {
		if _, err := os.Stat(destBlob(p)); err != nil {
			t.Fatalf("blob not copied or removed within the grace: %v", err)
		}
	}
	b.Close()

	// The live store collects the deleted video; later, past the grace of
	// its copy, retention removes it from DEST too. The young one was
	// copied only minutes ago (its DEST copy is young), so it stays.
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(destBlob(gone), time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour))
	os.Chtimes(destBlob(kept), time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour))
	logs = &logBuffer{}
	b = mustOpenBackup(t, src, dest, Options{Logger: testLogger(logs), ReferencedBlobs: refs})
	mustSync(t, b)
	if _, err := os.Stat(destBlob(gone)); !os.IsNotExist(err) {
		t.Fatalf("unreferenced blob past its grace still in DEST: %v", err)
	}
	for _, p := range []string{kept, young} {
		if _, err := os.Stat(destBlob(p)); err != nil {
			t.Fatalf("blob removed that was referenced or young: %v", err)
		}
	}
	if !strings.Contains(logs.String(), "removed blobs no kept snapshot or log references") {
		t.Errorf("removal not logged:\n%s", logs)
	}
	u, err := b.Usage()
	if err != nil || u.Bytes == 0 || u.Free == 0 {
		t.Fatalf("Usage() = %+v, %v; want the bytes of DEST and its free space", u, err)
	}

	// Without ReferencedBlobs nothing is ever removed.
	os.Chtimes(destBlob(young), time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour))
	os.Remove(young)
	b.Close()
	b = mustOpenBackup(t, src, dest, Options{})
	mustSync(t, b)
	if _, err := os.Stat(destBlob(young)); err != nil {
		t.Fatalf("blob removed without ReferencedBlobs: %v", err)
	}
}

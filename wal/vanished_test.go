package wal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A data directory deleted under a running log: the next append is
// refused (it would land in a file no restart can find), the log reports
// why, and the error says the directory is gone (web's 503 names that).
func TestRemovedDirectoryBreaksLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append([]byte("before"), nil); err != nil {
		t.Fatalf("Append before removal: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	applied := false
	_, err = l.Append([]byte("after"), func(uint64) { applied = true })
	if !errors.Is(err, ErrBroken) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Append after removal = %v, want ErrBroken wrapping fs.ErrNotExist", err)
	}
	if applied {
		t.Fatal("the refused record was applied")
	}
	if err := l.Err(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Err() = %v, want the removal", err)
	}
}

func TestNotWritableSaysSo(t *testing.T) {
	for _, cause := range []error{syscall.EROFS, syscall.EACCES} {
		err := notWritable("/srv/vlogd", &fs.PathError{Op: "open", Path: "/srv/vlogd/LOCK", Err: cause})
		if !errors.Is(err, cause) || !strings.Contains(err.Error(), "data directory /srv/vlogd cannot be written") {
			t.Errorf("notWritable(%v) = %v, want a plain message wrapping the cause", cause, err)
		}
	}
	other := errors.New("disk on fire")
	if got := notWritable("/srv/vlogd", other); got != other {
		t.Errorf("notWritable(other) = %v, want it unchanged", got)
	}
}

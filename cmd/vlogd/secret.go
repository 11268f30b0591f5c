package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"vlogd/wal"
)

// secretName is the file in the data directory holding the server's
// secret, which keys the CSRF tokens and the invite links. It is not in
// the log or the backups: a restored site makes a new one, which only
// means forms open before the restore must be reloaded and unused invite
// links made again.
const secretName = "secret"

// secretLen is the secret's size in bytes.
const secretLen = 32

// loadSecret returns the data directory's secret, creating it on first
// start: written with mode 0600 to a temporary file, fsynced, renamed into
// place and the directory fsynced, so a crash leaves either no secret or
// the whole one. The caller holds the directory's lock.
func loadSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, secretName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == secretLen:
		return b, nil
	case err == nil:
		return nil, fmt.Errorf("secret %s: %d bytes, want %d; remove it to make a new one", path, len(b), secretLen)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("secret: %w", err)
	}
	b = make([]byte, secretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	tmp := path + ".tmp"
	os.Remove(tmp) // left by a crash during an earlier first start
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = wal.SyncDir(dataDir)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("secret: %w", err)
	}
	return b, nil
}

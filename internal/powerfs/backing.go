package powerfs

import (
	"os"
	"path/filepath"
)

// load reads the tree under dir as a durable state.
func (f *FS) load(dir string) (*inode, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	root := newDir(f.newIno(), uint32(fi.Mode().Perm()))
	root.links = 1
	if err := f.loadDir(dir, root); err != nil {
		return nil, err
	}
	f.used = usedBytes(root)
	return root, nil
}

func (f *FS) loadDir(dir string, in *inode) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			return err
		}
		var c *inode
		switch {
		case fi.IsDir():
			c = newDir(f.newIno(), uint32(fi.Mode().Perm()))
			if err := f.loadDir(path, c); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			c = newFile(f.newIno(), uint32(fi.Mode().Perm()))
			if c.data, err = os.ReadFile(path); err != nil {
				return err
			}
			c.durable = append([]byte(nil), c.data...)
		default:
			continue // not modelled
		}
		c.mtime = fi.ModTime()
		c.links = 1
		in.entries[e.Name()] = c
		in.durEntries[e.Name()] = c
	}
	return nil
}

// store replaces the tree under dir by the durable state from root (which
// crash has just made the volatile state too).
func (f *FS) store(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return storeDir(dir, f.root)
}

func storeDir(dir string, in *inode) error {
	for name, c := range in.durEntries {
		path := filepath.Join(dir, name)
		if c.dir {
			if err := os.Mkdir(path, os.FileMode(c.mode|0o700)); err != nil {
				return err
			}
			if err := storeDir(path, c); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(path, c.durable, os.FileMode(c.mode|0o600)); err != nil {
			return err
		}
	}
	return nil
}
